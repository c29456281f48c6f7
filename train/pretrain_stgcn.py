"""Pretrain the ST-GCN of the pose perceptual loss on the real motion here.

The paper's GCN.pth (a 16-class classifier of unknown data) was never released. We train the
same architecture to tell which dance a 5-second window comes from: the training dances of the
ballroom set plus the G1 Moves clips (and AIST++ sequences if given), so its features must
capture each dance's characteristic poses and movement. The last HOLDOUT_FRACTION of every
clip is held out in time, and accuracy on it is recorded in the checkpoint. Validation dances
of the generator's split are never used.

    python -m train.pretrain_stgcn --ballroom ../shared/data/ballroom \
        --g1moves ../shared/data/g1moves_dance --out checkpoints/stgcn.safetensors
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from dance.skeleton import mirror_norm

from .data import Clip, load_aist, load_ballroom, load_g1moves
from .stgcn import STGCN, STGCNConfig, save_stgcn

log = logging.getLogger(__name__)

WINDOW = 50  # frames (5 s at 10 fps), the generator's training window
HOLDOUT_FRACTION = 0.2  # the end of every clip, held out for the accuracy figure
ARCHITECTURES = {
    # Four blocks: affordable inside every generator step on a 2-core CPU.
    "small": STGCNConfig(channels=(16, 32, 32, 64), strides=(1, 2, 1, 2)),
    "paper": STGCNConfig(),
}


def split_in_time(clips: list[Clip]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per clip, the first (1 - HOLDOUT_FRACTION) of frames to train on and the rest to test."""
    train, test = [], []
    for clip in clips:
        cut = int(clip.poses.shape[0] * (1 - HOLDOUT_FRACTION))
        train.append(clip.poses[:cut])
        test.append(clip.poses[cut:])
    return train, test


def windows(parts: list[np.ndarray], stride: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for label, poses in enumerate(parts):
        for s in range(0, poses.shape[0] - WINDOW + 1, stride):
            xs.append(poses[s : s + WINDOW])
            ys.append(label)
    return np.stack(xs).astype(np.float32), np.asarray(ys)


@torch.no_grad()
def accuracy(model: STGCN, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(x), 256):
        logits = model(torch.from_numpy(x[i : i + 256]))
        correct += int((logits.argmax(1).numpy() == y[i : i + 256]).sum())
    model.train()
    return correct / len(x)


def pretrain(
    clips: list[Clip],
    config: STGCNConfig,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> tuple[STGCN, dict]:
    """Train an ST-GCN to classify which clip a window comes from; returns it and its record."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_parts, test_parts = split_in_time(clips)
    x_train, y_train = windows(train_parts, stride=2)
    x_test, y_test = windows(test_parts, stride=10)
    model = STGCN(
        STGCNConfig(**{**asdict(config), "n_classes": len(clips)})  # one class per clip
    )
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    started = time.perf_counter()
    for _ in tqdm(range(steps), disable=not progress, desc="st-gcn", unit="step"):
        idx = rng.integers(0, len(x_train), batch_size)
        xb = x_train[idx].copy()
        flip = rng.random(batch_size) < 0.5  # a mirrored dance is still the same dance
        xb[flip] = mirror_norm(xb[flip])
        loss = F.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(y_train[idx]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    record = {
        "task": "which clip a 5 s window comes from",
        "classes": [c.name for c in clips],
        "train_windows": int(len(x_train)),
        "heldout_windows": int(len(x_test)),
        "heldout_accuracy": round(accuracy(model, x_test, y_test), 4),
        "train_accuracy": round(accuracy(model, x_train[::5], y_train[::5]), 4),
        "chance": round(1 / len(clips), 4),
        "steps": steps,
        "minutes": round((time.perf_counter() - started) / 60, 2),
    }
    model.eval()
    return model, record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m train.pretrain_stgcn",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--ballroom", type=Path, help="ballroom folder (its train split is used)")
    p.add_argument("--g1moves", type=Path, help="G1 Moves folder (its train clips are used)")
    p.add_argument("--aist", type=Path, help="AIST++ keypoints2d folder")
    p.add_argument("--arch", choices=sorted(ARCHITECTURES), default="small")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("checkpoints/stgcn.safetensors"),
        help="checkpoints/stgcn-paper.safetensors for --arch paper (the paper preset's path)",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    clips: list[Clip] = []
    if args.ballroom:
        clips += load_ballroom(args.ballroom, split="train", with_audio=False)
    if args.g1moves:
        clips += [c for c in load_g1moves(args.g1moves) if c.split == "train"]
    if args.aist:
        clips += [c for c in load_aist(args.aist) if c.split == "train"]
    clips = [c for c in clips if c.poses.shape[0] >= 2 * WINDOW / (1 - HOLDOUT_FRACTION)]
    if len(clips) < 2:
        p.error("need at least two clips of motion: give --ballroom, --g1moves or --aist")
    model, record = pretrain(
        clips, ARCHITECTURES[args.arch], args.steps, args.batch_size, seed=args.seed
    )
    record["command"] = "python -m train.pretrain_stgcn " + shlex.join(argv or sys.argv[1:])
    save_stgcn(model, args.out, record)
    log.info(
        "held-out accuracy %.3f (chance %.3f) over %d clips; saved %s",
        record["heldout_accuracy"],
        record["chance"],
        len(clips),
        args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
