"""The GAN training loop: one process on any device, or many under torchrun with DDP.

Per batch, as in the paper: one generator step (both adversarial terms, feature matching, L1,
perceptual), then one frame-discriminator step and one sequence-discriminator step (with the
gradient penalty, and optionally mismatched music) on the same detached fake. Rank 0 alone
logs, validates, renders and saves. Checkpoints are written atomically; `resume=True` continues
from the last one, to the batch, with the same data order and noise.

The trainer's other jobs live beside it: the generator's loss terms in losses.GENERATOR_TERMS,
process placement in distributed.py, the feature cache in data/features.py, checkpoint
contents and resuming in state.py, validation and model selection in validate.py, renders in
preview.py.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

from dance.checkpoint import code_commit
from dance.model import Generator, save_checkpoint

from . import losses, state, style_critic
from .checkpoints import save_training_checkpoint
from .config import TrainConfig
from .data import PreparedClip, WindowDataset, load_clips, prepare
from .data.features import variation_rows
from .discriminators import FrameDiscriminator, SequenceDiscriminator
from .distributed import main_first, setup_distributed, teardown, wrap
from .stgcn import load_stgcn
from .validate import Validator, validate_epoch

log = logging.getLogger(__name__)

GENERATOR_FILE = "generator.safetensors"  # the kept generator (config.keep), shipped format


@dataclass
class TrainResult:
    steps: int
    epochs: int
    wall_minutes: float
    last_losses: dict[str, float]
    best: dict[str, float]
    out: Path


def _split(clips: list[PreparedClip]) -> tuple[list[PreparedClip], list[PreparedClip]]:
    train = [c for c in clips if c.split == "train"]
    val = [c for c in clips if c.split != "train"]
    if not train:
        raise ValueError("no training dances in the data")
    return train, val


class Trainer:
    """Networks, optimisers and state of one run; `fit()` trains until done or out of time."""

    def __init__(
        self,
        config: TrainConfig,
        data: str | Path,
        out: str | Path,
        *,
        resume: bool = False,
        init: str | Path | None = None,
        cache_dir: str | Path | None = None,
        progress: bool = True,
        command: str = "",
    ) -> None:
        self.config = config
        self.commit = code_commit()  # the code this run loaded, not HEAD when it saves
        self.beat_column = (
            losses.beat_phase_column(config.generator) if config.losses.beat_alignment else -1
        )
        self.out = Path(out)
        self.env = setup_distributed()
        self.progress = progress and self.env.main
        self.command = command
        self.data_path = str(data)
        torch.manual_seed(config.seed)  # identical initial weights on every rank

        cache = Path(cache_dir) if cache_dir is not None else self.out.parent / ".cache"
        if self.env.main:
            self.out.mkdir(parents=True, exist_ok=True)
        # Rank 0 fills the feature cache first; the others then read it.
        clips = main_first(self.env, lambda: prepare(load_clips(data), config.generator, cache))
        self.train_clips, self.val_clips = _split(clips)
        if config.generator.variation:  # the manners inference draws from (dance.variation)
            rows = variation_rows(self.train_clips)
            config = dataclasses.replace(
                config, generator=dataclasses.replace(config.generator, variations=rows)
            )
            self.config = config
        gcfg = config.generator
        self.dataset = WindowDataset(
            self.train_clips, gcfg.window_frames, config.window_stride, config.mirror, gcfg.lead
        )
        self.sampler = DistributedSampler(
            self.dataset,
            num_replicas=self.env.world,
            rank=self.env.rank,
            shuffle=True,
            seed=config.seed,
            drop_last=True,
        )
        self.loader = DataLoader(
            self.dataset, batch_size=config.batch_size, sampler=self.sampler, drop_last=True
        )
        if len(self.loader) == 0:
            raise ValueError(
                f"{len(self.dataset)} windows cannot fill one batch of {config.batch_size} "
                f"on each of {self.env.world} processes"
            )

        dev = self.env.device
        self.generator = Generator(gcfg).to(dev)
        self.frame_d = FrameDiscriminator(config.d_width).to(dev)
        music_cfg = gcfg
        if config.d_rnn_layers is not None:
            music_cfg = dataclasses.replace(gcfg, rnn_layers=config.d_rnn_layers)
        self.seq_d = SequenceDiscriminator(music_cfg, config.d_width, config.seq_fusion).to(dev)
        self.stgcn = None
        if config.losses.perceptual > 0:
            if config.stgcn_checkpoint is None:
                raise ValueError("the perceptual loss needs stgcn_checkpoint")
            self.stgcn = load_stgcn(config.stgcn_checkpoint).to(dev)
        self.style_critic = None
        if config.losses.style_classification > 0:
            if not gcfg.styles:
                raise ValueError("the style_classification loss needs a generator with styles")
            self.style_critic = self._critic(config.critic_columns(), style_critic.CRITIC_FILE)
        self.manner_critic = None
        if config.losses.manner_classification > 0:
            self.manner_critic = self._critic(
                config.manner_columns(), style_critic.MANNER_CRITIC_FILE
            )
        # The saturation term reads the output layer before its tanh; a hook keeps the model's
        # forward (and DDP's wrapper of it) as inference runs it.
        self.preactivation: torch.Tensor | None = None
        if config.losses.saturation > 0:
            self.generator.head.register_forward_hook(self._keep_preactivation)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g)
        self.opt_frame = torch.optim.Adam(self.frame_d.parameters(), lr=config.lr_frame_d)
        self.opt_seq = torch.optim.Adam(self.seq_d.parameters(), lr=config.lr_seq_d)
        self.g_ddp = wrap(self.generator, self.env)
        self.frame_ddp = wrap(self.frame_d, self.env)
        self.seq_ddp = wrap(self.seq_d, self.env)
        # Noise differs per rank (each rank sees different windows) but is seeded.
        self.noise_rng = torch.Generator().manual_seed(config.seed * 1000 + self.env.rank)
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.elapsed_s = 0.0
        self.best: dict[str, float] = {}
        self.last_losses: dict[str, float] = {}
        self.history: list[dict[str, Any]] = []
        self.init: dict[str, Any] = {}  # the generator this run started from (--init)
        if init is not None:
            state.initialise(self, str(init))
        self.validator = (
            Validator(self.val_clips, config.val_seconds, gcfg.fps)
            if self.env.main and self.val_clips
            else None
        )
        self.writer = None
        if self.env.main:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out / "tb"))
        if resume:
            state.resume(self)

    # ----------------------------------------------------------------- checkpoints
    def save(self, best: bool = False) -> None:
        if not self.env.main:
            return
        save_training_checkpoint(state.training_state(self), self.out, best=best)
        if best or self.config.keep == "last" or not (self.out / GENERATOR_FILE).exists():
            save_checkpoint(self.generator, self.out / GENERATOR_FILE, state.run_meta(self))

    # ----------------------------------------------------------------- one step
    def _critic(self, columns: slice, filename: str) -> torch.nn.Module:
        """The run's frozen critic of `columns`: rank 0 fits and saves it as `filename`, the
        other ranks (and resumed runs) load it."""
        fit = functools.partial(
            style_critic.load_or_fit, self.out, self.dataset, columns, self.config.seed, filename
        )
        return main_first(self.env, fit).to(self.env.device)

    def _keep_preactivation(self, module: torch.nn.Module, args: Any, output: torch.Tensor) -> None:
        self.preactivation = output if torch.is_grad_enabled() else None

    def _set_d_grad(self, flag: bool) -> None:
        for p in list(self.frame_d.parameters()) + list(self.seq_d.parameters()):
            p.requires_grad_(flag)

    def train_step(self, audio: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
        cfg, w = self.config, self.config.losses
        audio, real = audio.to(self.env.device), real.to(self.env.device)
        pairs = bool(w.seed_diversity) and real.shape[0] >= 2
        half = real.shape[0] // 2
        if pairs:  # the first half of the windows, twice, with different noise
            audio = torch.cat([audio[:half], audio[:half]])
            real = torch.cat([real[:half], real[:half]])
        noise = self.generator.sample_noise(real.shape[0], real.shape[1], self.noise_rng)
        noise = noise.to(self.env.device)

        if self.step < cfg.d_warmup_steps:  # discriminators only, against this generator
            with torch.no_grad():
                fake = self.g_ddp(audio, noise)
            return self._discriminator_steps(audio, real, fake, {})
        # Generator: the discriminators are used unwrapped and frozen here, so their DDP
        # reducers only ever see their own steps.
        self._set_d_grad(False)
        fake = self.g_ddp(audio, noise)
        batch = losses.GeneratorBatch(
            audio=audio,
            real=real,
            fake=fake,
            frame_d=self.frame_d,
            seq_d=self.seq_d,
            stgcn=self.stgcn,
            stgcn_block_weights=cfg.stgcn_block_weights,
            beat_column=self.beat_column,
            seed_diversity_target=w.seed_diversity_target,
            style_confidence=w.style_confidence,
            half=half if pairs else None,
            style_critic=self.style_critic,
            style_columns=self.config.critic_columns(),
            manner_critic=self.manner_critic,
            manner_columns=self.config.manner_columns() if self.manner_critic else None,
            preactivation=self.preactivation,
            fps=self.config.generator.fps,
        )
        g_total, out = losses.generator_loss(batch, dataclasses.asdict(w))
        self.preactivation = None
        self.opt_g.zero_grad(set_to_none=True)
        g_total.backward()
        self.opt_g.step()
        out["g/total"] = g_total.item()
        self._set_d_grad(True)
        return self._discriminator_steps(audio, real, fake.detach(), out)

    def _discriminator_steps(
        self, audio: torch.Tensor, real: torch.Tensor, fake: torch.Tensor, out: dict[str, float]
    ) -> dict[str, float]:
        """One step of each discriminator on a detached fake; their figures join `out`."""
        w = self.config.losses
        if w.adv_frame:
            d_loss = losses.bce_real(self.frame_ddp(real)) + losses.bce_fake(self.frame_ddp(fake))
            self.opt_frame.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_frame.step()
            out["d_frame/loss"] = d_loss.item()
        if w.adv_seq:
            # One forward over real, fake (and real with shuffled music) keeps DDP's reducer to
            # one pass per step; the penalty's gradient is taken with respect to the poses only.
            poses, music = [real, fake], [audio, audio]
            if w.mismatch and real.shape[0] > 1:
                poses.append(real)
                music.append(audio.roll(1, dims=0))
            logits = self.seq_ddp(torch.cat(poses), torch.cat(music)).split(real.shape[0])
            d_loss = losses.bce_real(logits[0]) + losses.bce_fake(logits[1])
            out["d_seq/real"] = torch.sigmoid(logits[0]).mean().item()
            out["d_seq/fake"] = torch.sigmoid(logits[1]).mean().item()
            if len(logits) > 2:
                d_loss = d_loss + w.mismatch * losses.bce_fake(logits[2])
                out["d_seq/mismatch"] = torch.sigmoid(logits[2]).mean().item()
            if w.gradient_penalty:
                gp = losses.gradient_penalty(self.seq_ddp, real, fake, audio)
                d_loss = d_loss + w.gradient_penalty * gp
                out["d_seq/gradient_penalty"] = gp.item()
            self.opt_seq.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_seq.step()
            out["d_seq/loss"] = d_loss.item()
        return out

    # ----------------------------------------------------------------- epochs
    def validate(self) -> None:
        if self.validator is None:
            return
        self.save(best=validate_epoch(self))

    def render(self) -> None:
        if self.env.main:
            from .preview import render_epoch

            render_epoch(self.generator, self.val_clips, self.out / "renders", self.epoch)

    def out_of_time(self) -> bool:
        limit = self.config.max_minutes
        return limit is not None and self.elapsed_s > limit * 60

    def fit(self) -> TrainResult:
        cfg = self.config
        started = time.perf_counter()
        base_elapsed = self.elapsed_s
        total = cfg.epochs * len(self.loader)
        bar = tqdm(
            total=total, initial=self.step, disable=not self.progress, desc="train", unit="step"
        )
        stop = False
        while self.epoch < cfg.epochs and not stop:
            self.sampler.set_epoch(self.epoch)
            self.generator.train(), self.frame_d.train(), self.seq_d.train()
            for i, (audio, real) in enumerate(self.loader):
                if i < self.batch_in_epoch:
                    continue  # resuming mid-epoch: these batches were already trained on
                self.last_losses = self.train_step(audio, real)
                if not all(math.isfinite(v) for v in self.last_losses.values()):
                    raise FloatingPointError(f"step {self.step}: a loss is not finite")
                self.step += 1
                self.batch_in_epoch = i + 1
                self.elapsed_s = base_elapsed + time.perf_counter() - started
                bar.update(1)
                if self.env.main and self.step % cfg.log_every == 0:
                    for k, v in self.last_losses.items():
                        self.writer.add_scalar(k, v, self.step)
                    bar.set_postfix(
                        g=f"{self.last_losses.get('g/total', 0):.2f}",
                        l1=f"{self.last_losses.get('g/l1', 0):.3f}",
                    )
                if self.step % cfg.checkpoint_every == 0:
                    self.save()
                if self.out_of_time():
                    log.info("time budget of %s min reached at step %d", cfg.max_minutes, self.step)
                    stop = True
                    break
            else:
                self.epoch += 1
                self.batch_in_epoch = 0
                if cfg.val_every and self.epoch % cfg.val_every == 0:
                    self.validate()
                if cfg.render_every and self.epoch % cfg.render_every == 0:
                    self.render()
                self.save()
        bar.close()
        if not self.best:
            self.validate()
        self.save()
        if self.env.main and self.writer is not None:
            self.writer.flush()
        return TrainResult(
            steps=self.step,
            epochs=self.epoch,
            wall_minutes=self.elapsed_s / 60,
            last_losses=dict(self.last_losses),
            best=dict(self.best),
            out=self.out,
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        teardown(self.env)


def train(config: TrainConfig, data: str | Path, out: str | Path, **kwargs: Any) -> TrainResult:
    """Train a generator; see Trainer for the arguments."""
    trainer = Trainer(config, data, out, **kwargs)
    try:
        return trainer.fit()
    finally:
        trainer.close()
