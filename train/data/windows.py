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

from dance.analysis import RHYTHM_BLOCKS, frame_features, raw_frames, rhythm_features
from dance.model import GeneratorConfig
from dance.skeleton import mirror_norm
from dance.styles import style_columns

from .ballroom import load_ballroom
from .cmu_modern import load_cmu_modern
from .common import Clip
from .g1moves import load_g1moves
from .paper_json import load_paper_json
from .styles import TIME_WARPS, clip_style, hold_out_tail, motion_beat_grid, time_warp

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # bump when the conversion or the features change


MAX_STYLE_REPEAT = 4  # a style with few windows is repeated at most this often per epoch


@dataclass(frozen=True)
class PreparedClip:
    """A clip with its model input. poses (T, 18, 2); audio (T, audio_input_size).

    samples: the raw 16 kHz audio, for validation renders and beat metrics; None for
    motion-only clips. style: the style it teaches ("" without styles). beat_times: the beat
    grid its rhythm inputs were computed from (its own motion beats), or None when they come
    from its music.
    """

    name: str
    genre: str
    split: str
    poses: np.ndarray
    audio: np.ndarray
    samples: np.ndarray | None
    style: str = ""
    beat_times: np.ndarray | None = None


def load_clips(data: str | Path) -> list[Clip]:
    """Dance clips from a ballroom folder, the paper's JSON file(s), a G1 Moves folder, a
    folder of BVH files, or a folder holding several of these (e.g. ../shared/data).

    Raises:
        FileNotFoundError: data holds none of these layouts.
    """
    data = Path(data)
    if (data / "dances.csv").is_file():
        return load_ballroom(data)
    if any(data.glob("*/motion.npz")):
        return load_g1moves(data)
    if any(data.glob("*.bvh")) or any(data.glob("*.bvh.gz")):
        return load_cmu_modern(data)
    if data.is_dir() and not any(data.glob("*.json")):
        found = [
            clip
            for sub in sorted(p for p in data.iterdir() if p.is_dir())
            if (sub / "dances.csv").is_file()
            or any(sub.glob("*/motion.npz"))
            or any(sub.glob("*.bvh*"))
            for clip in load_clips(sub)
        ]
        if found:
            return found
    files = [data] if data.suffix == ".json" else sorted(data.glob("*_revised_pose_pairs.json"))
    if files and all(f.is_file() for f in files):
        return [clip for f in files for clip in load_paper_json(f)]
    raise FileNotFoundError(
        f"{data}: none of a ballroom folder (with dances.csv), the paper's "
        "*_revised_pose_pairs.json files, a G1 Moves folder (*/motion.npz), BVH files, "
        "or a folder holding some of these"
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
    """Attach the model input to every clip the generator can learn from.

    Without styles, those are the clips with music. With styles (config.styles), every clip
    of one of those styles, its input the rhythm blocks of its own motion beat grid plus the
    style; training clips also come time-warped by each of TIME_WARPS.
    """
    if config.styles:
        return prepare_styled(clips, config)
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


def styled_input(poses: np.ndarray, config: GeneratorConfig, style: str, fps: float) -> tuple:
    """(model input (T, audio_input_size), beat grid) for a dance of a style."""
    beats = motion_beat_grid(poses, fps)
    rhythm = rhythm_features(beats, config.features, poses.shape[0])
    columns = style_columns(config.styles, style, poses.shape[0])
    return np.concatenate([rhythm, columns], axis=1).astype(np.float32), beats


def prepare_styled(clips: list[Clip], config: GeneratorConfig) -> list[PreparedClip]:
    """prepare() for a generator with styles."""
    unknown = [f for f in config.features if f not in RHYTHM_BLOCKS]
    if unknown:
        raise ValueError(
            f"a generator with styles learns from motion-only clips, so its features must be "
            f"rhythm blocks {RHYTHM_BLOCKS}; got {unknown}"
        )
    style_of = {c.name: clip_style(c) for c in clips}
    kept = [c for c in clips if style_of[c.name] in config.styles]
    kept = hold_out_tail(kept, style_of)
    missing = set(config.styles) - {style_of[c.name] for c in kept if c.split == "train"}
    if missing:
        raise ValueError(f"no training clips of the styles {sorted(missing)}")
    out = []
    for clip in kept:
        style = style_of[clip.name]
        versions = [(clip.name, clip.poses)]
        if clip.split == "train":
            versions += [
                (f"{clip.name}@x{f}", time_warp(clip.poses, f, clip.fps)) for f in TIME_WARPS
            ]
        for name, poses in versions:
            if poses.shape[0] < config.window_frames:
                continue
            audio, beats = styled_input(poses, config, style, clip.fps)
            out.append(
                PreparedClip(
                    name=name,
                    genre=clip.genre,
                    split=clip.split,
                    poses=poses.astype(np.float32),
                    audio=audio,
                    samples=clip.audio if name == clip.name else None,
                    style=style,
                    beat_times=beats,
                )
            )
    counts = {s: sum(c.split == "train" for c in out if c.style == s) for s in config.styles}
    log.info("styled training clips (with time-warped copies): %s", counts)
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
        per_style: dict[str, list[tuple[int, int, bool]]] = {}
        for ci, clip in enumerate(clips):
            for start in range(0, clip.poses.shape[0] - window + 1, stride):
                entries = per_style.setdefault(clip.style, [])
                entries.append((ci, start, False))
                if mirror:
                    entries.append((ci, start, True))
        # Styles are balanced by repeating the windows of the smaller ones (up to
        # MAX_STYLE_REPEAT times), so 30 waltzes do not drown one tango.
        largest = max((len(v) for v in per_style.values()), default=0)
        self.index: list[tuple[int, int, bool]] = []
        for entries in per_style.values():
            repeat = min(MAX_STYLE_REPEAT, max(1, round(largest / len(entries))))
            self.index.extend(entries * repeat)
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
