"""The GAN training loop: one process on any device, or many under torchrun with DDP.

Per batch, as in the paper: one generator step (both adversarial terms, feature matching, L1,
perceptual), then one frame-discriminator step and one sequence-discriminator step (with the
gradient penalty, and optionally mismatched music) on the same detached fake. Rank 0 alone
logs, validates, renders and saves. Checkpoints are written atomically; `resume=True` continues
from the last one, to the batch, with the same data order and noise.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

from dance import checkpoint
from dance.analysis import FEATURE_SIZES
from dance.model import CHECKPOINT_FORMAT, Generator, save_checkpoint

from . import losses
from .checkpoints import load_training_checkpoint, save_training_checkpoint
from .config import TrainConfig
from .data import PreparedClip, WindowDataset, load_clips, prepare
from .discriminators import FrameDiscriminator, SequenceDiscriminator
from .stgcn import load_stgcn
from .validate import Validator

log = logging.getLogger(__name__)

GENERATOR_FILE = "generator.safetensors"  # the best generator, in the shipped format


@dataclass
class Distributed:
    """Where this process sits: nanoGPT's recipe, one process when RANK is unset."""

    rank: int
    world: int
    device: torch.device
    ddp: bool

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed() -> Distributed:
    if "RANK" not in os.environ:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return Distributed(0, 1, device, ddp=False)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend=backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    return Distributed(rank, world, device, ddp=True)


@dataclass
class TrainResult:
    steps: int
    epochs: int
    wall_minutes: float
    last_losses: dict[str, float]
    best: dict[str, float]
    out: Path


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _split(clips: list[PreparedClip]) -> tuple[list[PreparedClip], list[PreparedClip]]:
    train = [c for c in clips if c.split == "train"]
    val = [c for c in clips if c.split != "train"]
    if not train:
        raise ValueError("no training dances in the data")
    return train, val


def better(result: dict[str, float], best: dict[str, float]) -> bool:
    """Model selection: lower FID_k; lower L1 where FID_k cannot be measured (tiny data)."""
    if math.isfinite(result["fid_k"]) and math.isfinite(best["fid_k"]):
        return result["fid_k"] < best["fid_k"]
    return result["l1"] < best["l1"]


def _beat_column(config: TrainConfig) -> int:
    """Column of sin(beat phase) in the generator's input (cos follows it), for the beat loss.

    Raises:
        ValueError: the beat loss is on but the generator is not given the beat phase.
    """
    gcfg = config.generator
    if not config.losses.beat_alignment:
        return -1
    if gcfg.frontend != "features" or "beat" not in gcfg.features:
        raise ValueError(
            "the beat_alignment loss needs the 'beat' feature in the generator's input "
            f"(frontend={gcfg.frontend!r}, features={list(gcfg.features)})"
        )
    names = list(gcfg.features)
    return sum(FEATURE_SIZES[n] for n in names[: names.index("beat")])


class Trainer:
    """Networks, optimisers and state of one run; `fit()` trains until done or out of time."""

    def __init__(
        self,
        config: TrainConfig,
        data: str | Path,
        out: str | Path,
        *,
        resume: bool = False,
        cache_dir: str | Path | None = None,
        progress: bool = True,
        command: str = "",
    ) -> None:
        self.config = config
        self.commit = _git_commit()  # the code this run loaded, not HEAD when it saves
        self.beat_column = _beat_column(config)
        self.out = Path(out)
        self.env = setup_distributed()
        self.progress = progress and self.env.main
        self.command = command
        self.data_path = str(data)
        torch.manual_seed(config.seed)  # identical initial weights on every rank

        cache = Path(cache_dir) if cache_dir is not None else self.out.parent / ".cache"
        if self.env.main:
            self.out.mkdir(parents=True, exist_ok=True)
            clips = prepare(load_clips(data), config.generator, cache)
        if self.env.ddp:
            dist.barrier()  # rank 0 filled the feature cache; the others read it
        if not self.env.main:
            clips = prepare(load_clips(data), config.generator, cache)
        self.train_clips, self.val_clips = _split(clips)
        gcfg = config.generator
        self.dataset = WindowDataset(
            self.train_clips, gcfg.window_frames, config.window_stride, config.mirror
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
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g)
        self.opt_frame = torch.optim.Adam(self.frame_d.parameters(), lr=config.lr_frame_d)
        self.opt_seq = torch.optim.Adam(self.seq_d.parameters(), lr=config.lr_seq_d)
        if self.env.ddp:
            ids = [dev.index] if dev.type == "cuda" else None
            self.g_ddp: torch.nn.Module = DDP(self.generator, device_ids=ids)
            self.frame_ddp: torch.nn.Module = DDP(self.frame_d, device_ids=ids)
            self.seq_ddp: torch.nn.Module = DDP(self.seq_d, device_ids=ids)
        else:
            self.g_ddp, self.frame_ddp, self.seq_ddp = self.generator, self.frame_d, self.seq_d
        # Noise differs per rank (each rank sees different windows) but is seeded.
        self.noise_rng = torch.Generator().manual_seed(config.seed * 1000 + self.env.rank)
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.elapsed_s = 0.0
        self.best: dict[str, float] = {}
        self.last_losses: dict[str, float] = {}
        self.history: list[dict[str, Any]] = []
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
            self._resume()

    # ----------------------------------------------------------------- checkpoints
    def state(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "generator": checkpoint.record(
                self.generator, format=CHECKPOINT_FORMAT, meta=self.meta()
            ),
            "frame_d": self.frame_d.state_dict(),
            "seq_d": self.seq_d.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_frame": self.opt_frame.state_dict(),
            "opt_seq": self.opt_seq.state_dict(),
            "noise_rng": self.noise_rng.get_state(),
            "torch_rng": torch.get_rng_state(),
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "elapsed_s": self.elapsed_s,
            "best": dict(self.best),
            "last_losses": dict(self.last_losses),
            "history": list(self.history),
        }

    def meta(self) -> dict[str, Any]:
        return {
            "trained_steps": self.step,
            "epochs": self.epoch,
            "wall_minutes": round(self.elapsed_s / 60, 2),
            "data": self.data_path,
            "train_dances": [c.name for c in self.train_clips],
            "val_dances": [c.name for c in self.val_clips],
            "command": self.command,
            "commit": self.commit,
            "last_losses": dict(self.last_losses),
            "best_val": dict(self.best),
            "processes": self.env.world,
        }

    def _resume(self) -> None:
        state, path = load_training_checkpoint(self.out)
        if state is None:
            log.warning("%s: no checkpoint to resume from; starting fresh", self.out)
            return
        saved = TrainConfig.from_dict(state["config"])
        if saved.generator != self.config.generator:
            raise ValueError(f"{path}: saved with another generator config; cannot resume")
        self.generator.load_state_dict(state["generator"]["state_dict"])
        self.frame_d.load_state_dict(state["frame_d"])
        self.seq_d.load_state_dict(state["seq_d"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_frame.load_state_dict(state["opt_frame"])
        self.opt_seq.load_state_dict(state["opt_seq"])
        self.noise_rng.set_state(state["noise_rng"])
        torch.set_rng_state(state["torch_rng"])
        self.step = int(state["step"])
        self.epoch = int(state["epoch"])
        self.batch_in_epoch = int(state["batch_in_epoch"])
        self.elapsed_s = float(state["elapsed_s"])
        self.best = dict(state["best"])
        self.last_losses = dict(state["last_losses"])
        self.history = list(state["history"])
        if self.env.main:
            log.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)

    def save(self, best: bool = False) -> None:
        if not self.env.main:
            return
        save_training_checkpoint(self.state(), self.out, best=best)
        if best or not (self.out / GENERATOR_FILE).exists():
            save_checkpoint(self.generator, self.out / GENERATOR_FILE, self.meta())

    # ----------------------------------------------------------------- one step
    def _set_d_grad(self, flag: bool) -> None:
        for p in list(self.frame_d.parameters()) + list(self.seq_d.parameters()):
            p.requires_grad_(flag)

    def train_step(self, audio: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
        cfg, w = self.config, self.config.losses
        audio, real = audio.to(self.env.device), real.to(self.env.device)
        pairs = bool(w.seed_diversity) and real.shape[0] >= 2
        if pairs:  # the first half of the windows, twice, with different noise
            half = real.shape[0] // 2
            audio = torch.cat([audio[:half], audio[:half]])
            real = torch.cat([real[:half], real[:half]])
        noise = self.generator.sample_noise(real.shape[0], real.shape[1], self.noise_rng)
        noise = noise.to(self.env.device)
        out: dict[str, float] = {}

        # Generator: the discriminators are used unwrapped and frozen here, so their DDP
        # reducers only ever see their own steps.
        self._set_d_grad(False)
        fake = self.g_ddp(audio, noise)
        g_total = torch.zeros((), device=self.env.device)
        if w.adv_frame:
            term = losses.bce_real(self.frame_d(fake))
            g_total = g_total + w.adv_frame * term
            out["g/adv_frame"] = term.item()
        if w.adv_seq:
            term = losses.bce_real(self.seq_d(fake, audio))
            g_total = g_total + w.adv_seq * term
            out["g/adv_seq"] = term.item()
        if w.feature_matching:
            self.seq_d.eval()  # the paper switches dropout off for this term
            term = losses.feature_matching(
                self.seq_d.pose_features(fake), self.seq_d.pose_features(real)
            )
            self.seq_d.train()
            g_total = g_total + w.feature_matching * term
            out["g/feature_matching"] = term.item()
        if w.l1:
            term = losses.pose_l1(fake, real)
            g_total = g_total + w.l1 * term
            out["g/l1"] = term.item()
        if pairs:
            term = losses.seed_diversity(fake[:half], fake[half:], w.seed_diversity_target)
            g_total = g_total + w.seed_diversity * term
            out["g/seed_diversity"] = term.item()
            out["g/seed_difference"] = (fake[:half] - fake[half:]).abs().mean().item()
        if w.motion_statistics:
            term = losses.motion_statistics(fake, real)
            g_total = g_total + w.motion_statistics * term
            out["g/motion_statistics"] = term.item()
        if w.beat_alignment:
            col = self.beat_column
            phase = torch.atan2(audio[..., col], audio[..., col + 1])
            term = losses.beat_alignment(fake, phase)
            g_total = g_total + w.beat_alignment * term
            out["g/beat_alignment"] = term.item()
        if w.perceptual and self.stgcn is not None:
            term = losses.perceptual(self.stgcn, fake, real, cfg.stgcn_block_weights)
            g_total = g_total + w.perceptual * term
            out["g/perceptual"] = term.item()
        self.opt_g.zero_grad(set_to_none=True)
        g_total.backward()
        self.opt_g.step()
        out["g/total"] = g_total.item()
        self._set_d_grad(True)

        fake = fake.detach()
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
        result = self.validator(self.generator).as_dict()
        for k, v in result.items():
            self.writer.add_scalar(f"val/{k}", v, self.step)
        self.history.append({"step": self.step, "epoch": self.epoch, **result})
        log.info("epoch %d step %d validation %s", self.epoch, self.step, result)
        improved = not self.best or better(result, self.best)
        if improved:
            self.best = {"step": self.step, "epoch": self.epoch, **result}
        self.save(best=improved)

    def render(self) -> None:
        if not self.val_clips or not self.env.main:
            return
        from .preview import render_validation_dance

        try:
            path = render_validation_dance(
                self.generator, self.val_clips[0], self.out / "renders", self.epoch
            )
            log.info("rendered %s", path)
        except Exception as err:  # a failed preview must never stop training
            log.warning("validation render failed: %s", err)

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
        if self.env.ddp and dist.is_initialized():
            dist.destroy_process_group()


def train(config: TrainConfig, data: str | Path, out: str | Path, **kwargs: Any) -> TrainResult:
    """Train a generator; see Trainer for the arguments."""
    trainer = Trainer(config, data, out, **kwargs)
    try:
        return trainer.fit()
    finally:
        trainer.close()
