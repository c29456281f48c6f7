"""A run's state in its training checkpoint, and `--resume` restoring it.

The checkpoint holds what nanoGPT's does and a little more: the run config, the generator as
dance.checkpoint.record (so `dance.load_model` reads a `.pt` too), both discriminators, the
three optimisers, the noise and torch random states, and the position in the data to the
batch, so a resumed run continues with the same data order and noise. Files are written by
checkpoints.py.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from dance import checkpoint
from dance.model import CHECKPOINT_FORMAT, GeneratorConfig, load_model

from .checkpoints import load_training_checkpoint, sha256
from .config import TrainConfig
from .widen import INPUT_WEIGHT, input_columns, widen_columns, widen_training_state

if TYPE_CHECKING:
    from .loop import Trainer

log = logging.getLogger(__name__)


def run_meta(trainer: Trainer) -> dict[str, Any]:
    """The facts saved with the generator: steps, data, split, command, losses, best."""
    return {
        "trained_steps": trainer.step,
        "epochs": trainer.epoch,
        "wall_minutes": round(trainer.elapsed_s / 60, 2),
        "data": trainer.data_path,
        "train_dances": [c.name for c in trainer.train_clips],
        "val_dances": [c.name for c in trainer.val_clips],
        "command": trainer.command,
        "commit": trainer.commit,
        "last_losses": dict(trainer.last_losses),
        "best_val": dict(trainer.best),
        "processes": trainer.env.world,
        **({"init": trainer.init} if trainer.init else {}),
    }


def training_state(trainer: Trainer) -> dict[str, Any]:
    """Everything a resumed run needs, as tensors, numbers, strings and dicts."""
    return {
        "config": trainer.config.to_dict(),
        "generator": checkpoint.record(
            trainer.generator, format=CHECKPOINT_FORMAT, meta=run_meta(trainer)
        ),
        "frame_d": trainer.frame_d.state_dict(),
        "seq_d": trainer.seq_d.state_dict(),
        "opt_g": trainer.opt_g.state_dict(),
        "opt_frame": trainer.opt_frame.state_dict(),
        "opt_seq": trainer.opt_seq.state_dict(),
        "noise_rng": trainer.noise_rng.get_state(),
        "torch_rng": torch.get_rng_state(),
        "step": trainer.step,
        "epoch": trainer.epoch,
        "batch_in_epoch": trainer.batch_in_epoch,
        "elapsed_s": trainer.elapsed_s,
        "best": dict(trainer.best),
        "last_losses": dict(trainer.last_losses),
        "history": list(trainer.history),
    }


def resume(trainer: Trainer) -> None:
    """Restore the newest valid checkpoint in the run folder; a fresh start if there is none.

    A checkpoint saved with fewer input feature blocks is widened (train/widen.py): a later
    stage of a recipe may add an input.

    Raises:
        ValueError: the checkpoint was saved with another generator config.
    """
    state, path = load_training_checkpoint(trainer.out)
    if state is None:
        log.warning("%s: no checkpoint to resume from; starting fresh", trainer.out)
        return
    saved = TrainConfig.from_dict(state["config"])
    new = trainer.config.generator
    if saved.generator != new:
        try:
            columns = input_columns(saved.generator, new)
        except ValueError as e:
            raise ValueError(f"{path}: saved with another generator config; cannot resume") from e
        widen_training_state(state, columns, new.audio_input_size, trainer.generator, trainer.seq_d)
        log.info("%s: input widened from %s to %s", path, inputs(saved.generator), inputs(new))
    trainer.generator.load_state_dict(state["generator"]["state_dict"])
    trainer.frame_d.load_state_dict(state["frame_d"])
    trainer.seq_d.load_state_dict(state["seq_d"])
    trainer.opt_g.load_state_dict(state["opt_g"])
    trainer.opt_frame.load_state_dict(state["opt_frame"])
    trainer.opt_seq.load_state_dict(state["opt_seq"])
    trainer.noise_rng.set_state(state["noise_rng"])
    torch.set_rng_state(state["torch_rng"])
    trainer.step = int(state["step"])
    trainer.epoch = int(state["epoch"])
    trainer.batch_in_epoch = int(state["batch_in_epoch"])
    trainer.elapsed_s = float(state["elapsed_s"])
    trainer.best = dict(state["best"])
    trainer.last_losses = dict(state["last_losses"])
    trainer.history = list(state["history"])
    trainer.init = dict(state["generator"]["meta"].get("init", {}))
    if trainer.env.main:
        log.info("resumed from %s at step %d (epoch %d)", path, trainer.step, trainer.epoch)


def inputs(config: GeneratorConfig) -> str:
    """A generator's input blocks in words, for the log."""
    return "+".join(
        [*config.features, *(["style"] if config.styles else [])]
        + (["variation"] if config.variation else [])
        + (["lead"] if config.lead else [])
    )


def initialise(trainer: Trainer, path: str) -> None:
    """Start a fresh run's generator from another generator's weights (`--init`).

    The discriminators, optimisers and the step count start fresh: a new stage of training on
    top of a released generator (checkpoints/generator.safetensors, or a run's .pt), e.g. with
    an added input block, whose columns start at zero (train/widen.py).

    Raises:
        ValueError: the file's generator differs from the run's in more than added inputs.
        ModelError: the file is missing or not a generator.
    """
    source = load_model(path, require_trained=False)
    old, new = source.config, trainer.config.generator
    weights = source.state_dict()
    if old != new:
        try:
            columns = input_columns(old, new)
        except ValueError as e:
            raise ValueError(f"{path}: another generator config; cannot start from it") from e
        weights[INPUT_WEIGHT] = widen_columns(weights[INPUT_WEIGHT], columns, new.audio_input_size)
        log.info("%s: input widened from %s to %s", path, inputs(old), inputs(new))
    trainer.generator.load_state_dict(weights)
    trainer.init = {
        "path": str(path),
        "sha256": sha256(Path(path)),
        "trained_steps": int(source.meta.get("trained_steps", 0)),
    }
    if trainer.env.main:
        log.info("generator initialised from %s (%d steps)", path, trainer.init["trained_steps"])
