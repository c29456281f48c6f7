"""Training checkpoints: atomic writes, a SHA-256 beside each file, fallback to the last good one.

`last.pt` is rotated to `last.prev.pt` before a new one replaces it, so a run killed at any
moment leaves at least one complete, verifiable checkpoint. Files hold only tensors, numbers,
strings and dicts, so they load with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)

LAST = "last.pt"
PREVIOUS = "last.prev.pt"
BEST = "best.pt"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write(state: dict[str, Any], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    digest = sha256(tmp)
    side_tmp = path.with_name(f".{path.name}.sha256.tmp")
    side_tmp.write_text(digest + "\n")
    os.replace(tmp, path)
    os.replace(side_tmp, path.with_name(path.name + ".sha256"))


def save_training_checkpoint(state: dict[str, Any], out: Path, best: bool = False) -> None:
    """Write last.pt (keeping the previous one as last.prev.pt) and, if best, best.pt."""
    out.mkdir(parents=True, exist_ok=True)
    last = out / LAST
    if last.exists():
        os.replace(last, out / PREVIOUS)
        side = out / (LAST + ".sha256")
        if side.exists():
            os.replace(side, out / (PREVIOUS + ".sha256"))
    _write(state, last)
    if best:
        _write(state, out / BEST)


def verify(path: Path) -> dict[str, Any]:
    """Load a checkpoint after checking its SHA-256.

    Raises:
        ValueError: the hash is missing or wrong, or the file does not load.
    """
    side = path.with_name(path.name + ".sha256")
    if not side.exists():
        raise ValueError(f"{path}: no {side.name} beside it (the write did not finish)")
    if sha256(path) != side.read_text().strip():
        raise ValueError(f"{path}: SHA-256 mismatch (truncated or corrupt)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unpickling/zip error means the file is unusable
        raise ValueError(f"{path}: does not load: {err}") from err


def load_training_checkpoint(out: Path) -> tuple[dict[str, Any] | None, Path | None]:
    """The newest valid checkpoint in out: last.pt, else last.prev.pt, else best.pt."""
    for name in (LAST, PREVIOUS, BEST):
        path = out / name
        if not path.exists():
            continue
        try:
            return verify(path), path
        except ValueError as err:
            log.warning("skipping a bad checkpoint: %s", err)
    return None, None
