"""The generator's input for each clip, computed once and cached on disk.

Each clip's audio becomes the generator's input (raw chunks, or librosa features over the whole
dance). librosa analysis is the slow part of start-up, so features are cached as .npy files
keyed by the clip, the front end and CACHE_VERSION; the trainer fills the cache on rank 0
before the other ranks read it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dance.analysis import frame_features, raw_frames
from dance.model import GeneratorConfig

from .common import Clip

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # bump when the conversion or the features change


@dataclass(frozen=True)
class PreparedClip:
    """A clip with its model input. poses (T, 18, 2); audio (T, audio_input_size)."""

    name: str
    genre: str
    split: str
    poses: np.ndarray
    audio: np.ndarray
    samples: np.ndarray  # the raw 16 kHz audio, for validation renders and beat metrics


def _cache_key(clip: Clip, config: GeneratorConfig) -> str:
    h = hashlib.sha1()
    h.update(f"{CACHE_VERSION}|{clip.source}|{clip.name}|{config.frontend}|".encode())
    h.update(",".join(config.features).encode())
    h.update(np.ascontiguousarray(clip.poses[:: max(1, len(clip.poses) // 50)]).tobytes())
    return h.hexdigest()[:16]


def model_input(clip: Clip, config: GeneratorConfig, cache_dir: Path | None) -> np.ndarray:
    """The generator's input for a whole clip: (frames, config.audio_input_size) float32."""
    assert clip.audio is not None, f"{clip.name} has no music"
    n = clip.poses.shape[0]
    if config.frontend == "raw":
        return raw_frames(clip.audio, n)
    path = None
    if cache_dir is not None:
        safe = clip.name.replace("/", "_")
        path = cache_dir / f"{safe}-{_cache_key(clip, config)}.npy"
        if path.is_file():
            return np.load(path)
    features = frame_features(clip.audio, config.features, n)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, features)
        tmp.replace(path)
    return features


def prepare(
    clips: list[Clip], config: GeneratorConfig, cache_dir: Path | None = None
) -> list[PreparedClip]:
    """Attach the model input to every clip that has music."""
    out = []
    for clip in clips:
        if clip.audio is None:
            log.info("%s: motion only, skipped for the generator", clip.name)
            continue
        out.append(
            PreparedClip(
                name=clip.name,
                genre=clip.genre,
                split=clip.split,
                poses=clip.poses.astype(np.float32),
                audio=model_input(clip, config, cache_dir).astype(np.float32),
                samples=clip.audio,
            )
        )
    return out
