"""Validation during training: scores a generator on the held-out dances.

Figures: L1 to the real poses on validation windows, a kinetic Fréchet distance between
generated and real validation motion (the model-selection criterion: lower is better), the beat
alignment score of generated dances against their music, and the ratio of generated to real
joint speed (about 1 when the model moves as much as people do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dance.analysis import analyse
from dance.audio import SAMPLES_PER_FRAME
from dance.generate import run_model
from dance.model import Generator
from dance.motion import VIDEO_FPS, resample

from .data import PreparedClip

VAL_SEED = 1234  # noise seed of validation dances, fixed so epochs are comparable
BAS_SIGMA_S = 0.05


def motion_beats(poses: np.ndarray, fps: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import argrelextrema

    speed = np.linalg.norm(np.diff(poses, axis=0), axis=-1).mean(axis=1)
    speed = gaussian_filter1d(speed, 1.5 * fps / 25)
    return (argrelextrema(speed, np.less)[0] + 0.5) / fps


def beat_alignment_score(music: np.ndarray, motion: np.ndarray) -> float:
    if len(music) == 0 or len(motion) == 0:
        return 0.0
    d = np.abs(music[:, None] - motion[None, :]).min(axis=1)
    return float(np.exp(-(d**2) / (2 * BAS_SIGMA_S**2)).mean())


def kinetic_features(poses: np.ndarray, fps: float) -> np.ndarray:
    v = np.diff(poses, axis=0) * fps
    return np.concatenate([np.abs(v).mean(0).ravel(), v.std(0).ravel(), poses.std(0).ravel()])


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu = b.mean(0)
    sd = b.std(0) + 1e-6
    a, b = (a - mu) / sd, (b - mu) / sd
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(ca @ cb).real
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * covmean))


@dataclass(frozen=True)
class ValidationResult:
    l1: float
    fid_k: float
    bas: float
    speed_ratio: float

    def as_dict(self) -> dict[str, float]:
        return {
            "l1": self.l1,
            "fid_k": self.fid_k,
            "bas": self.bas,
            "speed_ratio": self.speed_ratio,
        }


class Validator:
    """Holds the validation clips and their music beats, computed once."""

    def __init__(self, clips: list[PreparedClip], seconds: float, fps: int) -> None:
        self.fps = fps
        self.clips = []
        self.beats = []
        for clip in clips:
            frames = min(clip.poses.shape[0], int(round(seconds * fps)))
            self.clips.append((clip, frames))
            samples = clip.samples[: frames * SAMPLES_PER_FRAME]
            self.beats.append(analyse(samples).beat_times)

    def _windows(self, array: np.ndarray, window: int) -> list[np.ndarray]:
        return [array[s : s + window] for s in range(0, array.shape[0] - window + 1, window)]

    @torch.no_grad()
    def __call__(self, model: Generator) -> ValidationResult:
        was_training = model.training
        model.eval()
        window = model.config.window_frames
        l1s, bas, fake_feats, real_feats, fake_speed, real_speed = [], [], [], [], [], []
        for (clip, frames), beats in zip(self.clips, self.beats, strict=True):
            fake = run_model(model, clip.audio[:frames], VAL_SEED)
            real = clip.poses[:frames]
            l1s.append(float(np.abs(fake - real).mean()))
            fake_v = resample(fake, self.fps, VIDEO_FPS, frames * VIDEO_FPS // self.fps)
            bas.append(beat_alignment_score(beats, motion_beats(fake_v, VIDEO_FPS)))
            fake_speed.append(np.abs(np.diff(fake, axis=0)).mean())
            real_speed.append(np.abs(np.diff(real, axis=0)).mean())
            fake_feats += [kinetic_features(w, self.fps) for w in self._windows(fake, window)]
            real_feats += [kinetic_features(w, self.fps) for w in self._windows(real, window)]
        if was_training:
            model.train()
        return ValidationResult(
            l1=float(np.mean(l1s)),
            fid_k=frechet_distance(np.stack(fake_feats), np.stack(real_feats)),
            bas=float(np.mean(bas)),
            speed_ratio=float(np.mean(fake_speed) / max(np.mean(real_speed), 1e-9)),
        )
