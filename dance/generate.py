"""Song in, dance out: decode, analyse, run the generator over windows, return a `Dance`.

A song of any length is cut into windows of the length the model was trained on. Neighbouring
windows overlap by OVERLAP_FRACTION and are cross-faded; they see the same audio and the same
slice of one seeded noise sequence, so they agree where they meet and the seam does not show.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np
from tqdm.auto import tqdm

from .analysis import MusicAnalysis, analyse, frame_features, n_pose_frames, raw_frames
from .audio import DEFAULT_MAX_SECONDS, Song, load_song
from .errors import InputError, ModelError
from .motion import VIDEO_FPS, blend_windows, resample, window_starts
from .numpy_model import NumpyGenerator
from .styles import AUTO, auto_style, check_style, style_columns
from .variation import lead_columns, variation_columns

if TYPE_CHECKING:
    from .model import Generator

    AnyGenerator = Union[Generator, NumpyGenerator]  # noqa: UP007 (a runtime alias)

log = logging.getLogger(__name__)

OVERLAP_FRACTION = 0.4  # of a window shared with each neighbour and cross-faded
WINDOWS_PER_BATCH = 32  # windows run through the network at once
# Model frames of mirrored audio added before and after the span, then cut away: a window's
# first frame has no context on its left and comes out unsettled, so the song's own first and
# last frames should never be a window's edge.
EDGE_FRAMES = 5
# Model frames at the end of every window but the last that the cross-fade leaves out. The
# shipped generator's last two frames of a window jump for waltz and tango (1.2 normalised
# units from the next window's pose at the same time, against 0.02-0.05 elsewhere in the
# overlap), which tripled the waltz's high-band jitter; one frame more for margin. Must stay
# under EDGE_FRAMES, which hides the last window's own tail.
UNSETTLED_TAIL_FRAMES = 3
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Dance:
    """A generated dance and what it was made from.

    Attributes:
        keypoints: (frames, 18, 2) normalised poses at `fps` (the model's rate), frame k at
            k / fps seconds after `start_s`.
        fps: frame rate of `keypoints`.
        seed: the noise seed; the same song, seed and settings give the same keypoints.
        song: the audio file.
        start_s: where the dance starts in the song, in seconds.
        duration_s: length of the dance in seconds.
        tempo_bpm: the song's tempo estimate over the span.
        beat_times: music beats in seconds from `start_s`, shape (n_beats,).
        style: the style danced ("" for a generator without styles); when `auto` was asked,
            the one it chose.
        timings: seconds spent per stage ("decode", "analysis", "model").
    """

    keypoints: np.ndarray
    fps: int
    seed: int
    song: Path
    start_s: float
    duration_s: float
    tempo_bpm: float
    beat_times: np.ndarray
    style: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def video_frames(self, fps: int = VIDEO_FPS) -> int:
        """Number of frames a video of this dance has at fps."""
        return max(1, int(round(self.duration_s * fps)))

    def at_fps(self, fps: int = VIDEO_FPS) -> np.ndarray:
        """The keypoints resampled to fps: (video_frames(fps), 18, 2), cubic interpolation."""
        return resample(self.keypoints, self.fps, fps, self.video_frames(fps))


def check_seed(seed: object) -> int:
    """Return seed as an int in [0, 2**63 - 1].

    Raises:
        InputError: it is not a whole number in that range (NaN, 1.5, "abc", -1).
    """
    if isinstance(seed, bool):
        raise InputError(f"seed must be a whole number, got {seed!r}")
    try:
        value = float(seed) if not isinstance(seed, int) else seed
    except (TypeError, ValueError):
        raise InputError(f"seed must be a whole number, got {seed!r}") from None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise InputError(f"seed must be a whole number, got {seed!r}")
        value = int(value)
    if not 0 <= value <= MAX_SEED:
        raise InputError(f"seed must be between 0 and {MAX_SEED}, got {value}")
    return value


def condition_columns(
    model: AnyGenerator,
    style: str,
    tempo_bpm: float,
    beat_times: np.ndarray,
    n_frames: int,
    seed: int,
) -> np.ndarray:
    """The columns after the music's: the style one-hot, then (for a generator with the
    variation input) the manner of each phrase and (with the lead input) the side that leads
    it (dance.variation): (n_frames, k).

    Raises:
        ModelError: the generator has the variation input but no manner of the style.
    """
    config = model.config
    columns = [style_columns(config.styles, style, n_frames)]
    if config.variation:
        if not any(row[0] == style for row in config.variations):
            raise ModelError(f"this generator holds no manner (variation row) of {style!r}")
        columns.append(
            variation_columns(
                config.variations, style, tempo_bpm, beat_times, n_frames, config.fps, seed
            )
        )
    if config.lead:
        columns.append(lead_columns(beat_times, n_frames, config.fps, seed))
    return np.concatenate(columns, axis=1)


def audio_input(
    model: AnyGenerator,
    song: Song,
    analysis: MusicAnalysis,
    n_frames: int,
    style: str = "",
    seed: int = 0,
) -> np.ndarray:
    """What the model's front end eats for a song: (n_frames, config.audio_input_size).

    `style` (one of the model's styles) is required when the model has styles; `seed` draws
    the manner of each phrase when it has the variation input.
    """
    config = model.config
    if config.frontend == "raw":
        return raw_frames(song.samples, n_frames)
    features = frame_features(song.samples, config.features, n_frames, analysis)
    if not config.styles:
        return features
    beats = analysis.beat_times[analysis.beat_times < song.duration_s]
    condition = condition_columns(model, style, analysis.tempo_bpm, beats, n_frames, seed)
    return np.concatenate([features, condition], axis=1)


def choose_style(model: AnyGenerator, style: str, analysis: MusicAnalysis) -> str:
    """The style to dance: `style` checked against the model's, or the auto rule's pick.

    Raises:
        StyleError: an unknown style.
    """
    styles = model.config.styles
    name = check_style(style, styles)
    if not styles:
        return ""
    if name != AUTO:
        return name
    choice = auto_style(
        analysis.tempo_bpm,
        analysis.beat_times,
        analysis.onset_envelope,
        analysis.feature_rate,
        styles,
    )
    log.info(
        "auto style: %s (3/4 time: %s, %.0f BPM)", choice.style, choice.triple, choice.tempo_bpm
    )
    return choice.style


def run_model(
    model: AnyGenerator,
    audio: np.ndarray,
    seed: int,
    *,
    progress: bool = False,
) -> np.ndarray:
    """Run the generator over a whole song in cross-faded windows.

    Args:
        model: the generator: model.py's torch `Generator` in eval mode, or numpy_model.py's
            `NumpyGenerator` (the same network and noise without torch).
        audio: (frames, audio_input_size) for the whole song.
        seed: seeds the one noise sequence that all windows slice.
        progress: show a tqdm bar over batches of windows.

    Returns:
        (frames, 18, 2) normalised poses.
    """
    edge = min(EDGE_FRAMES, audio.shape[0] - 1)
    audio = np.pad(audio, ((edge, edge), (0, 0)), mode="reflect")
    n_frames = audio.shape[0]
    window = model.config.window_frames
    overlap = int(round(window * OVERLAP_FRACTION))
    starts = window_starts(n_frames, window, overlap)
    length = min(window, n_frames)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if isinstance(model, NumpyGenerator):
        noise = model.sample_noise(n_frames, seed)
        forward = model
    else:
        forward, noise = _torch_forward(model, n_frames, seed)
    outputs = []
    batches = range(0, len(starts), WINDOWS_PER_BATCH)
    for b in tqdm(batches, desc="Dancing", unit="batch", disable=not progress, leave=False):
        chunk = starts[b : b + WINDOWS_PER_BATCH]
        a = np.stack([audio[s : s + length] for s in chunk])
        z = np.stack([noise[s : s + length] for s in chunk])
        outputs.append(forward(a, z))
    drop_tail = min(UNSETTLED_TAIL_FRAMES, max(overlap - 1, 0))
    poses = blend_windows(np.concatenate(outputs), starts, n_frames, overlap, drop_tail)
    return poses[edge : n_frames - edge]


def _torch_forward(model: Generator, n_frames: int, seed: int):
    """A numpy-in, numpy-out forward pass of a torch Generator, and its noise as numpy."""
    import torch

    noise = model.sample_noise(1, n_frames, torch.Generator().manual_seed(seed))[0].numpy()
    device = next(model.parameters()).device

    @torch.no_grad()
    def forward(a: np.ndarray, z: np.ndarray) -> np.ndarray:
        out = model(torch.from_numpy(a).to(device), torch.from_numpy(z).to(device))
        return out.float().cpu().numpy()

    return forward, noise


def generate(
    model: AnyGenerator,
    song: str | Path | Song,
    *,
    seed: int = 0,
    style: str = AUTO,
    start: float = 0.0,
    seconds: float | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    progress: bool = False,
) -> Dance:
    """Make a dance for a span of a song.

    Args:
        model: a generator from `load_model` (torch) or `load_numpy_model` (numpy, no torch).
        song: an audio file, or a `Song` already decoded with `load_song`.
        seed: the noise seed (0 to 2**63 - 1). The same seed gives the same dance.
        style: one of the generator's styles (`dance.styles`), or "auto" to let the music
            choose. The same song, seed and style give the same dance.
        start: where the dance starts in the song, in seconds (ignored for a `Song`).
        seconds: how long; None takes the rest of the song (ignored for a `Song`).
        max_seconds: the longest span accepted.
        progress: show progress bars.

    Raises:
        InputError, AudioError, SongTooLongError: see `load_song`; InputError for a bad seed;
            StyleError (an InputError) for an unknown style.
    """
    seed = check_seed(seed)
    check_style(style, model.config.styles)  # before decoding: a typo fails at once
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not isinstance(song, Song):
        song = load_song(song, start=start, seconds=seconds, max_seconds=max_seconds)
    timings["decode"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    config = model.config
    analysis = analyse(
        song.samples, chroma=config.frontend == "features" and "chroma" in config.features
    )
    n_frames = n_pose_frames(song.duration_s, config.fps)
    style = choose_style(model, style, analysis)
    audio = audio_input(model, song, analysis, n_frames, style, seed)
    timings["analysis"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    keypoints = run_model(model, audio, seed, progress=progress)
    timings["model"] = time.perf_counter() - t0
    log.info(
        "%s: %.1f s from %.1f s, seed %d, tempo %.1f BPM, %d beats",
        song.path.name,
        song.duration_s,
        song.start_s,
        seed,
        analysis.tempo_bpm,
        analysis.beat_times.size,
    )
    return Dance(
        keypoints=keypoints,
        fps=model.config.fps,
        seed=seed,
        song=song.path,
        start_s=song.start_s,
        duration_s=song.duration_s,
        tempo_bpm=analysis.tempo_bpm,
        beat_times=analysis.beat_times[analysis.beat_times <= song.duration_s],
        style=style,
        timings=timings,
    )
