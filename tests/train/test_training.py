"""Full training on tiny synthetic data: steps, checkpoints, resume, export, seeding, DDP."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch.utils.data.distributed import DistributedSampler

import dance
from train.checkpoints import load_training_checkpoint, verify
from train.config import PRESETS, LossWeights
from train.loop import Trainer, train
from train.stgcn import STGCN, STGCNConfig, save_stgcn

REPO = Path(__file__).resolve().parents[2]


def tiny(**overrides: object) -> object:
    return dataclasses.replace(PRESETS["tiny"], **overrides)


def run_cli(*args: str, env: dict | None = None, **kw: object) -> subprocess.Popen:
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "train", *args], cwd=REPO, env=full_env, **kw)


@pytest.mark.slow
def test_a_few_steps_write_a_checkpoint_that_dance_loads(
    ballroom_dir: Path, tmp_path: Path
) -> None:
    stgcn = STGCN(STGCNConfig(channels=(4, 8), strides=(1, 2), n_classes=2)).eval()
    stgcn_path = save_stgcn(stgcn, tmp_path / "stgcn.safetensors", {})
    config = tiny(
        epochs=1,
        losses=LossWeights(
            mismatch=1.0,
            perceptual=1.0,
            motion_statistics=1.0,
            motion_distribution=1.0,
            saturation=1.0,
            seed_diversity=1.0,
        ),
        stgcn_checkpoint=str(stgcn_path),
        stgcn_block_weights=(20.0, 5.0),
    )
    out = tmp_path / "run"
    result = train(config, ballroom_dir, out, progress=False)
    assert result.steps > 0 and result.epochs == 1
    for name in (
        "g/adv_frame",
        "g/adv_seq",
        "g/feature_matching",
        "g/l1",
        "g/perceptual",
        "g/motion_statistics",
        "g/motion_distribution",
        "g/saturation",  # the output-layer hook reached the term
        "g/seed_diversity",
    ):
        assert name in result.last_losses
    assert {"d_frame/loss", "d_seq/loss", "d_seq/gradient_penalty", "d_seq/mismatch"} <= set(
        result.last_losses
    )
    assert (out / "last.pt").is_file() and (out / "best.pt").is_file()
    assert list((out / "tb").glob("events.out.tfevents.*")), "TensorBoard log written"
    state = verify(out / "last.pt")
    assert state["step"] == result.steps
    model = dance.load_model(out / "generator.safetensors")
    assert model.meta["trained_steps"] > 0
    assert model.config == config.generator
    # The training checkpoint itself also loads in dance/ (weights only).
    assert dance.load_model(out / "last.pt").config == config.generator


@pytest.mark.slow
def test_resume_continues_where_it_stopped(ballroom_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = train(tiny(epochs=1), ballroom_dir, out, progress=False)
    resumed = train(tiny(epochs=2), ballroom_dir, out, resume=True, progress=False)
    assert resumed.epochs == 2
    assert resumed.steps == 2 * first.steps  # the first epoch was not repeated
    # A fresh run to 2 epochs reaches the same weights: resuming is exact.
    fresh = train(tiny(epochs=2), ballroom_dir, tmp_path / "fresh", progress=False)
    a = verify(out / "last.pt")["generator"]["state_dict"]
    b = verify(tmp_path / "fresh" / "last.pt")["generator"]["state_dict"]
    assert fresh.steps == resumed.steps
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=key)


@pytest.mark.slow
def test_same_seed_same_first_steps(ballroom_dir: Path, tmp_path: Path) -> None:
    def first_losses(seed: int, name: str) -> dict[str, float]:
        trainer = Trainer(tiny(seed=seed), ballroom_dir, tmp_path / name, progress=False)
        audio, real = next(iter(trainer.loader))
        out = [trainer.train_step(audio, real) for _ in range(2)]
        trainer.close()
        return out[-1]

    a, b, c = first_losses(0, "a"), first_losses(0, "b"), first_losses(1, "c")
    assert a == b
    assert a != c


@pytest.mark.slow
def test_cli_killed_run_resumes_from_its_last_checkpoint(
    ballroom_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    args = ["--preset", "tiny", "--data", str(ballroom_dir), "--out", str(out), "--no-progress"]
    proc = run_cli(*args, "--epochs", "50", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while not (out / "last.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state, _ = load_training_checkpoint(out)
    assert state is not None, "a valid checkpoint survives SIGKILL"
    step = state["step"]
    # Two epochs more than the checkpoint's count: wherever the kill landed (even after the
    # last batch of an epoch but before that epoch was counted), a whole epoch is left to train.
    epochs = state["epoch"] + 2
    done = run_cli(*args, "--epochs", str(epochs), "--resume", stdout=subprocess.PIPE)
    stdout, _ = done.communicate(timeout=600)
    assert done.returncode == 0
    final, _ = load_training_checkpoint(out)
    assert final["step"] > step and final["epoch"] == epochs


@pytest.mark.slow
def test_sigkill_at_random_moments_always_leaves_a_valid_checkpoint(
    ballroom_dir: Path, tmp_path: Path
) -> None:
    # A checkpoint every step, so that kills land in the middle of writing one too.
    out = tmp_path / "run"
    args = ["--preset", "tiny", "--data", str(ballroom_dir), "--out", str(out), "--no-progress"]
    args += ["--set", "checkpoint_every=1", "--epochs", "50"]
    rng = random.Random(1234)
    last_step = -1
    for attempt in range(4):
        extra = ["--resume"] if attempt else []
        proc = run_cli(*args, *extra, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            state, _ = load_training_checkpoint(out)
            if state is not None and state["step"] > last_step:
                break
            time.sleep(0.1)
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state, _ = load_training_checkpoint(out)
        assert state is not None, f"kill {attempt}: no valid checkpoint left"
        assert state["step"] > last_step, f"kill {attempt}: resumed run lost progress"
        last_step = state["step"]
    assert dance.load_model(out / "generator.safetensors").meta["trained_steps"] > 0


@pytest.mark.slow
def test_corrupt_last_checkpoint_falls_back_to_the_previous_one(
    ballroom_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "run"
    train(tiny(epochs=1, checkpoint_every=1), ballroom_dir, out, progress=False)
    previous = verify(out / "last.prev.pt")["step"]
    data = (out / "last.pt").read_bytes()
    (out / "last.pt").write_bytes(data[: len(data) // 2])  # truncated
    state, path = load_training_checkpoint(out)
    assert path == out / "last.prev.pt" and state["step"] == previous
    assert "SHA-256 mismatch" in caplog.text


@pytest.mark.slow
def test_two_process_ddp_on_gloo(ballroom_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "train", "--preset", "tiny", "--data", str(ballroom_dir), "--out", str(out),
        "--epochs", "1", "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = verify(out / "last.pt")
    single = Trainer(tiny(epochs=1), ballroom_dir, tmp_path / "single", progress=False)
    # Two ranks split each epoch's windows between them: about half the steps of one process.
    per_rank = len(DistributedSampler(single.dataset, num_replicas=2, rank=0, drop_last=True))
    assert state["step"] == per_rank // PRESETS["tiny"].batch_size
    assert state["step"] < len(single.loader)
    assert state["generator"]["meta"]["processes"] == 2
    single.close()
    assert dance.load_model(out / "generator.safetensors").meta["trained_steps"] == state["step"]


def test_cli_missing_stgcn_is_an_error_not_a_traceback(
    ballroom_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from train.__main__ import main

    args = ["--preset", "tiny", "--data", str(ballroom_dir), "--out", str(tmp_path / "run")]
    args += ["--stgcn", str(tmp_path / "absent.safetensors"), "--loss", "perceptual=1"]
    assert main([*args, "--no-progress"]) == 2
    assert "absent.safetensors" in capsys.readouterr().err


def test_warm_up_trains_the_discriminators_only(ballroom_dir: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    train(tiny(epochs=1), ballroom_dir, first, progress=False)
    source = first / "generator.safetensors"
    config = dataclasses.replace(tiny(epochs=1), d_warmup_steps=10**6)
    trainer = Trainer(config, ballroom_dir, tmp_path / "second", init=source, progress=False)
    try:
        d_before = [p.detach().clone() for p in trainer.seq_d.parameters()]
        result = trainer.fit()
        g_after = trainer.generator.state_dict()
        d_after = list(trainer.seq_d.parameters())
    finally:
        trainer.close()
    assert result.steps > 0 and not any(k.startswith("g/") for k in result.last_losses)
    weights = dance.load_model(source).state_dict()
    for name, value in weights.items():
        if "running" not in name and "num_batches" not in name:  # BatchNorm statistics move
            torch.testing.assert_close(g_after[name], value, msg=name)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, d_after, strict=True))
