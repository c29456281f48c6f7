"""Validation during training: scores a generator on the held-out dances, keeps the best.

Figures (from dance.metrics, the evaluation suite): L1 to the real poses, FID_k between
generated and real validation motion (the model-selection criterion: lower is better), the beat
alignment score of generated dances against their music, and the ratio of generated to real
joint speed (about 1 when the model moves as much as people do).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from dance.analysis import analyse
from dance.audio import SAMPLES_PER_FRAME
from dance.generate import run_model
from dance.metrics import beat_alignment, fid, kinetic_features, motion_beats, reference_stats
from dance.model import Generator

from .data import PreparedClip

if TYPE_CHECKING:
    from .loop import Trainer

log = logging.getLogger(__name__)

VAL_SEED = 1234  # noise seed of validation dances, fixed so epochs are comparable


def fid_or_nan(real: np.ndarray, fake: np.ndarray) -> float:
    """FID_k, or NaN when the validation set is too short for a covariance."""
    if real.shape[0] < 2:
        return float("nan")
    return fid(reference_stats(real), fake)


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
            if clip.beat_times is not None:  # rhythm inputs from the dance's own beat grid
                self.beats.append(clip.beat_times[clip.beat_times <= frames / fps])
            else:
                samples = clip.samples[: frames * SAMPLES_PER_FRAME]
                self.beats.append(analyse(samples).beat_times)

    @torch.no_grad()
    def __call__(self, model: Generator, seed: int = VAL_SEED) -> ValidationResult:
        was_training = model.training
        model.eval()
        l1s, bas, fake_feats, real_feats, fake_speed, real_speed = [], [], [], [], [], []
        for (clip, frames), beats in zip(self.clips, self.beats, strict=True):
            fake = run_model(model, clip.audio[:frames], seed)
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
            fid_k=fid_or_nan(np.concatenate(real_feats), np.concatenate(fake_feats)),
            bas=float(np.nanmean(bas)),
            speed_ratio=float(np.mean(fake_speed) / max(np.mean(real_speed), 1e-9)),
        )


def better(result: dict[str, float], best: dict[str, float]) -> bool:
    """Model selection: lower FID_k; lower L1 where FID_k cannot be measured (tiny data)."""
    if math.isfinite(result["fid_k"]) and math.isfinite(best["fid_k"]):
        return result["fid_k"] < best["fid_k"]
    return result["l1"] < best["l1"]


def validate_epoch(trainer: Trainer) -> bool:
    """Score the trainer's generator on the validation dances, log and record the figures,
    and keep the best so far. Returns whether this one is the new best."""
    result = trainer.validator(trainer.generator).as_dict()
    for k, v in result.items():
        trainer.writer.add_scalar(f"val/{k}", v, trainer.step)
    trainer.history.append({"step": trainer.step, "epoch": trainer.epoch, **result})
    log.info("epoch %d step %d validation %s", trainer.epoch, trainer.step, result)
    improved = not trainer.best or better(result, trainer.best)
    if improved:
        trainer.best = {"step": trainer.step, "epoch": trainer.epoch, **result}
    return improved


def main(argv: list[str] | None = None) -> int:
    """Score generator checkpoints on the validation dances over several seeds."""
    import argparse
    import json

    from dance.model import load_model

    from .data import load_clips, prepare

    p = argparse.ArgumentParser(prog="python -m train.validate", description=main.__doc__)
    p.add_argument("checkpoints", nargs="+", help="generator .safetensors or training .pt files")
    p.add_argument("--data", required=True, help="ballroom folder")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args(argv)
    rows = {}
    for path in args.checkpoints:
        model = load_model(path)
        val = [c for c in prepare(load_clips(args.data), model.config) if c.split != "train"]
        validator = Validator(val, args.seconds, model.config.fps)
        runs = [validator(model, seed=s).as_dict() for s in range(args.seeds)]
        rows[path] = {
            k: (float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs])))
            for k in runs[0]
        }
        rows[path]["steps"] = model.meta.get("trained_steps")
        print(path, json.dumps(rows[path]))  # noqa: T201 (a CLI)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
