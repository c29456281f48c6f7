"""Validation during training: scores a generator on the held-out dances.

Figures (from dance.metrics, the evaluation suite): L1 to the real poses, FID_k between
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
from dance.metrics import beat_alignment, fid, kinetic_features, motion_beats, reference_stats
from dance.model import Generator

from .data import PreparedClip

VAL_SEED = 1234  # noise seed of validation dances, fixed so epochs are comparable


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

    @torch.no_grad()
    def __call__(self, model: Generator) -> ValidationResult:
        was_training = model.training
        model.eval()
        l1s, bas, fake_feats, real_feats, fake_speed, real_speed = [], [], [], [], [], []
        for (clip, frames), beats in zip(self.clips, self.beats, strict=True):
            fake = run_model(model, clip.audio[:frames], VAL_SEED)
            real = clip.poses[:frames]
            l1s.append(float(np.abs(fake - real).mean()))
            seconds = (frames - 1) / self.fps
            bas.append(beat_alignment(beats, motion_beats(fake, self.fps), seconds).bas)
            fake_speed.append(np.abs(np.diff(fake, axis=0)).mean())
            real_speed.append(np.abs(np.diff(real, axis=0)).mean())
            fake_feats.append(kinetic_features(fake, self.fps))
            real_feats.append(kinetic_features(real, self.fps))
        if was_training:
            model.train()
        return ValidationResult(
            l1=float(np.mean(l1s)),
            fid_k=fid(reference_stats(np.concatenate(real_feats)), np.concatenate(fake_feats)),
            bas=float(np.nanmean(bas)),
            speed_ratio=float(np.mean(fake_speed) / max(np.mean(real_speed), 1e-9)),
        )
