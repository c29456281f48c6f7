"""Output files: checking that a path can be written, and writing it atomically.

Every file `dance` writes (MP4, zip, NPZ, JSON) goes through `atomic_output`, so a crash or an
error midway never leaves a half-written file that looks finished. What goes in them is the
business of video.py and export.py.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError, OutputError

NEW_FILE_MODE = 0o666  # what open() would give a new file, before the umask


def _create_scratch(folder: Path, prefix: str, suffix: str) -> Path:
    """Create a new empty file with a random name in folder; OSError if that is impossible."""
    for _ in range(100):
        scratch = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            # O_EXCL: never reuse a name; the umask applies as for any new file (mkstemp's
            # 0600 would leave the finished file readable by its owner only).
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        return scratch
    raise FileExistsError(f"no free scratch name in {folder}")


def check_writable(path: str | Path) -> Path:
    """Check, before any expensive work, that a file can be created at path.

    The check creates and removes a scratch file in the target folder, so it tells the truth
    for read-only file systems and for root alike, where `os.access` would not.

    Returns:
        path as a Path.

    Raises:
        OutputError: the folder is missing or is a file, path is a folder, or the folder
            cannot be written.
    """
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name to write")
    if not parent.exists():
        raise OutputError(f"{path}: cannot write here: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write here: {parent} is a file, not a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{path}: cannot write here: the file exists and is read-only")
    try:
        scratch = _create_scratch(parent, f".{path.name}.", ".check")
    except OSError as err:
        raise OutputError(f"{path}: cannot write here: {err.strerror or err}") from err
    scratch.unlink(missing_ok=True)
    return path


def check_distinct(paths: list[Path]) -> None:
    """Refuse two outputs that name the same file (the second would overwrite the first).

    Raises:
        InputError: two of the paths resolve to the same file.
    """
    seen: dict[Path, Path] = {}
    for path in paths:
        key = path.resolve()
        if key in seen:
            raise InputError(f"{path}: given twice as an output (also as {seen[key]})")
        seen[key] = path


@contextlib.contextmanager
def atomic_output(out: str | Path) -> Iterator[Path]:
    """Yield a scratch path beside out; on normal exit rename it onto out, else delete it.

    The scratch file starts with a dot and has out's suffix (ffmpeg picks its muxer by it).

    Raises:
        OutputError: the folder cannot be written.
    """
    out = Path(out)
    try:
        tmp = _create_scratch(out.parent, f".{out.stem}.", out.suffix)
    except OSError as err:
        raise OutputError(f"{out}: cannot write here: {err.strerror or err}") from err
    try:
        yield tmp
        try:
            os.replace(tmp, out)  # atomic within one filesystem
        except OSError as err:
            raise OutputError(f"{out}: cannot replace it: {err.strerror or err}") from err
    finally:
        tmp.unlink(missing_ok=True)
