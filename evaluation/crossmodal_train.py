"""Train the cross-modal encoders and the FID reference on the real TRAINING dances.

    python -m evaluation.crossmodal_train --data ../shared/data/ballroom

writes checkpoints/crossmodal.safetensors (encoders + a training record with validation
retrieval) and checkpoints/fid_reference.safetensors (real kinetic and geometric feature
statistics), so the evaluation runs without the data. Only training dances are used for
either; validation dances are scored once, at the end, for the record.

Loss: symmetric InfoNCE (CLIP) over a batch of music and dance windows, the paired window
being the positive and every other window in the batch a negative. Each batch takes two
non-overlapping windows from each of several dances, so a window must be told from another
moment of its own dance as well as from other songs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dance.analysis import analyse
from dance.checkpoint import code_commit
from dance.metrics.common import ANALYSIS_FPS, WINDOW_S
from dance.metrics.crossmodal import (
    DEFAULT_CROSSMODAL,
    CrossModal,
    CrossModalConfig,
    Retrieval,
    dance_input,
    embed,
    music_input,
    retrieval,
    save_crossmodal,
    windows,
)
from dance.metrics.fid import ReferenceStats, reference_stats, save_reference
from dance.metrics.geometric import geometric_features
from dance.metrics.kinetic import kinetic_features
from dance.skeleton import mirror_norm

log = logging.getLogger(__name__)

DEFAULT_REFERENCE = DEFAULT_CROSSMODAL.with_name("fid_reference.safetensors")
# The temperature is learned, as in CLIP, within these bounds on 1 / temperature: CLIP's cap
# above, and below a floor, because a temperature free to grow makes every logit equal, a
# flat minimum that stops the encoders from learning (seen on tiny data).
LOGIT_SCALE_RANGE = (float(np.log(5.0)), float(np.log(100.0)))


@dataclass(frozen=True)
class TrainConfig:
    """How the encoders are trained.

    Attributes:
        steps: optimiser steps.
        dances_per_batch: distinct dances per batch.
        windows_per_dance: non-overlapping windows from each (negatives within a dance).
        lr: Adam learning rate.
        weight_decay: AdamW weight decay.
        mirror_prob: chance of mirroring a dance window left-right (music does not care).
        seed: seeds initialisation, sampling and dropout (restored afterwards).
        log_every: steps between loss log lines.
    """

    steps: int = 2000
    dances_per_batch: int = 16
    windows_per_dance: int = 2
    lr: float = 1e-3
    weight_decay: float = 1e-4
    mirror_prob: float = 0.5
    seed: int = 0
    log_every: int = 100


@dataclass(frozen=True)
class Pair:
    """One dance with its music, both at the encoders' frame rate.

    Attributes:
        name: the dance.
        music: (T, F) music features.
        poses: (T, 18, 2) normalised poses.
    """

    name: str
    music: np.ndarray
    poses: np.ndarray


def make_pair(name: str, poses: np.ndarray, samples: np.ndarray, config: CrossModalConfig) -> Pair:
    """Analyse a dance's audio and cut music and poses (at config.fps) to the same length."""
    n = poses.shape[0]
    music = music_input(samples, config, n, analyse(samples))
    return Pair(name, music.astype(np.float32), np.asarray(poses, dtype=np.float32))


def _offsets(rng: np.random.Generator, length: int, window: int, count: int) -> list[int]:
    """count window starts in [0, length - window], pairwise at least a window apart if possible."""
    last = length - window
    chosen: list[int] = []
    for _ in range(count):
        free = [o for o in range(last + 1) if all(abs(o - c) >= window for c in chosen)]
        chosen.append(int(rng.choice(free)) if free else int(rng.integers(0, last + 1)))
    return chosen


def sample_batch(
    pairs: Sequence[Pair], config: CrossModalConfig, train: TrainConfig, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of paired windows: music (B, W, F) and dance inputs (B, W, 72)."""
    window = config.window_frames
    usable = [p for p in pairs if p.poses.shape[0] >= window]
    picks = rng.choice(len(usable), size=min(train.dances_per_batch, len(usable)), replace=False)
    music, poses = [], []
    for i in picks:
        pair = usable[i]
        for o in _offsets(rng, pair.poses.shape[0], window, train.windows_per_dance):
            music.append(pair.music[o : o + window])
            p = pair.poses[o : o + window]
            poses.append(mirror_norm(p) if rng.random() < train.mirror_prob else p)
    return torch.from_numpy(np.stack(music)), torch.from_numpy(dance_input(np.stack(poses)))


def info_nce(music: torch.Tensor, dance: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric contrastive loss of paired unit embeddings (B, E) x (B, E)."""
    low, high = LOGIT_SCALE_RANGE
    logits = logit_scale.clamp(min=low, max=high).exp() * music @ dance.T
    labels = torch.arange(music.shape[0])
    loss_m = nn.functional.cross_entropy(logits, labels)
    loss_d = nn.functional.cross_entropy(logits.T, labels)
    return 0.5 * (loss_m + loss_d)


def evaluate_retrieval(model: CrossModal, pairs: Sequence[Pair]) -> Retrieval:
    """Music-to-dance retrieval over all non-overlapping windows of the given dances."""
    window = model.config.window_frames
    music, dances, groups = [], [], []
    for g, pair in enumerate(pairs):
        m = windows(pair.music, window)
        d = windows(pair.poses, window)
        n = min(m.shape[0], d.shape[0])
        music.append(m[:n])
        dances.append(d[:n])
        groups += [g] * n
    music_emb = embed(model.music, np.concatenate(music))
    dance_emb = embed(model.dance, dance_input(np.concatenate(dances)))
    return retrieval(music_emb, dance_emb, np.array(groups))


def train(
    pairs: Sequence[Pair],
    config: CrossModalConfig,
    train_config: TrainConfig,
    progress: bool = False,
) -> tuple[CrossModal, list[float]]:
    """Train the encoders; returns the model (eval mode) and the loss of every step."""
    from tqdm.auto import tqdm

    rng = np.random.default_rng(train_config.seed)
    losses: list[float] = []
    with torch.random.fork_rng():  # seeds init and dropout without touching the caller's RNG
        torch.manual_seed(train_config.seed)
        model = CrossModal(config)
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
        )
        model.train()
        for step in tqdm(range(train_config.steps), disable=not progress, desc="cross-modal"):
            music, dance = sample_batch(pairs, config, train_config, rng)
            loss = info_nce(model.music(music), model.dance(dance), model.logit_scale)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            if train_config.log_every and (step + 1) % train_config.log_every == 0:
                recent = np.mean(losses[-train_config.log_every :])
                log.info("step %d: loss %.3f", step + 1, recent)
    return model.eval(), losses


def reference_from(poses_list: Sequence[np.ndarray], fps: float) -> dict[str, ReferenceStats]:
    """Kinetic and geometric FID reference statistics of real dances."""
    kinetic = np.concatenate([kinetic_features(p, fps) for p in poses_list])
    geometric = np.concatenate([geometric_features(p, fps) for p in poses_list])
    return {"kinetic": reference_stats(kinetic), "geometric": reference_stats(geometric)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the ballroom data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_CROSSMODAL)
    parser.add_argument("--reference-out", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Small recurrent nets gain little from more threads, and a shared machine loses a lot.
    torch.set_num_threads(args.threads)

    from train.data import load_ballroom

    t0 = time.perf_counter()
    config = CrossModalConfig()
    train_config = TrainConfig(steps=args.steps, seed=args.seed)
    clips = load_ballroom(args.data)
    train_clips = [c for c in clips if c.split == "train"]
    val_clips = [c for c in clips if c.split == "val"]
    log.info("%d training and %d validation dances", len(train_clips), len(val_clips))
    train_pairs = [make_pair(c.name, c.poses, c.audio, config) for c in train_clips]
    val_pairs = [make_pair(c.name, c.poses, c.audio, config) for c in val_clips]

    stats = reference_from([c.poses for c in train_clips], train_clips[0].fps)
    ref_meta = {
        "data": "ballroom training split",
        "dances": [c.name for c in train_clips],
        "window_s": WINDOW_S,
        "analysis_fps": ANALYSIS_FPS,
        "commit": code_commit(),
    }
    save_reference(args.reference_out, stats, ref_meta)
    log.info("wrote %s", args.reference_out)

    model, losses = train(train_pairs, config, train_config, progress=args.progress)
    train_ret = evaluate_retrieval(model, train_pairs)
    val_ret = evaluate_retrieval(model, val_pairs)
    seconds = time.perf_counter() - t0
    meta = {
        "trained_steps": train_config.steps,
        "train_config": asdict(train_config),
        "loss": "symmetric InfoNCE",
        "data": "ballroom",
        "train_dances": [c.name for c in train_clips],
        "val_dances": [c.name for c in val_clips],
        "loss_first_100": float(np.mean(losses[:100])),
        "loss_last_100": float(np.mean(losses[-100:])),
        "train_retrieval": asdict(train_ret),
        "val_retrieval": asdict(val_ret),
        "seconds": round(seconds, 1),
        "command": "python -m evaluation.crossmodal_train " + " ".join(sys.argv[1:]),
        "commit": code_commit(),
    }
    save_crossmodal(model, args.out, meta)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("wrote %s in %.0f s; validation retrieval %s", args.out, seconds, asdict(val_ret))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
