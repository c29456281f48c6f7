"""The exceptions `dance` raises for bad input, each with the CLI exit code it maps to.

Our own bugs stay plain `ValueError`/`AssertionError` so they show a traceback; everything a
user can cause (a bad file, a bad span, a missing checkpoint) is a `DanceError` subclass whose
message names the file and the problem.
"""

from __future__ import annotations


class DanceError(Exception):
    """Base class of every user-facing error in `dance`."""

    exit_code = 1


class InputError(DanceError):
    """An argument is out of range: negative seconds, a start past the end, a NaN seed."""

    exit_code = 2


class StyleError(InputError):
    """An unknown dance style, or a style asked of a generator trained without styles."""


class UnknownLookError(InputError):
    """A look name that is not in dance.looks.LOOKS."""


class AudioError(DanceError):
    """The song cannot be used: not audio, corrupt, empty, silent or too short."""

    exit_code = 3


class SongTooLongError(AudioError):
    """The requested span is longer than the configured maximum."""

    exit_code = 4


class ModelError(DanceError):
    """The generator checkpoint is missing, corrupt, incompatible or untrained."""

    exit_code = 5


NO_TRAINED_MODEL = "no trained model is installed"  # the headline the CLI and the app show


class NoTrainedModelError(ModelError):
    """No trained generator is installed where one was looked for, or the file never trained.

    `reason` is the message without the NO_TRAINED_MODEL headline, for callers that state the
    headline themselves (the CLI's one line, the app's page).
    """

    exit_code = 5

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason


class VideoError(DanceError):
    """ffmpeg is missing or failed while encoding the video."""

    exit_code = 6


class LookUnavailableError(VideoError):
    """A look's drawing library (skia-python) cannot be loaded on this machine."""


class OutputError(DanceError):
    """An output path cannot be written (missing folder, no permission, a directory)."""

    exit_code = 7
