"""Training data: dataset clips -> model inputs -> fixed-length windows.

Clips come from the loaders beside this module (the same ones evaluation uses). Each clip's
audio is turned into the generator's input once (raw chunks or librosa features over the whole
dance) and cached on disk, because librosa analysis is the slow part of start-up.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from dance.analysis import frame_features, raw_frames
from dance.model import GeneratorConfig
from dance.skeleton import mirror_norm

from .ballroom import load_ballroom
from .common import Clip
from .paper_json import load_paper_json

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


def load_clips(data: str | Path) -> list[Clip]:
    """Paired music + dance clips from a ballroom folder or the paper's JSON file(s).

    Raises:
        FileNotFoundError: data holds neither layout.
    """
    data = Path(data)
    if (data / "dances.csv").is_file():
        return load_ballroom(data)
    files = [data] if data.suffix == ".json" else sorted(data.glob("*_revised_pose_pairs.json"))
    if files and all(f.is_file() for f in files):
        return [clip for f in files for clip in load_paper_json(f)]
    raise FileNotFoundError(
        f"{data}: neither a ballroom folder (with dances.csv) nor the paper's "
        "*_revised_pose_pairs.json files"
    )


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


class WindowDataset(Dataset):
    """Every window of `window` frames at `stride` across clips; optionally each also mirrored.

    Items are (audio (W, A), poses (W, 18, 2)) float tensors. The index is deterministic, so a
    seeded sampler gives the same batches on every run.
    """

    def __init__(
        self, clips: list[PreparedClip], window: int, stride: int, mirror: bool = False
    ) -> None:
        self.clips = clips
        self.window = window
        self.index: list[tuple[int, int, bool]] = []
        for ci, clip in enumerate(clips):
            for start in range(0, clip.poses.shape[0] - window + 1, stride):
                self.index.append((ci, start, False))
                if mirror:
                    self.index.append((ci, start, True))
        if not self.index:
            raise ValueError(f"no clip is at least {window} frames long")

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        ci, start, mirrored = self.index[i]
        clip = self.clips[ci]
        poses = clip.poses[start : start + self.window]
        if mirrored:
            poses = mirror_norm(poses)
        audio = clip.audio[start : start + self.window]
        return torch.from_numpy(np.ascontiguousarray(audio)), torch.from_numpy(
            np.ascontiguousarray(poses, dtype=np.float32)
        )
