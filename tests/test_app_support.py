"""app_support.py: the demo's request folders, model loading and About text (no server)."""

from __future__ import annotations

import os

import app_support
import dance
from dance.model import Generator, GeneratorConfig, save_checkpoint

from .conftest import TINY


def test_request_folders_are_bounded(tmp_path):
    made = []
    for i in range(6):
        made.append(app_support.new_request_dir(tmp_path, keep=3))
        (made[-1] / "dance.mp4").write_bytes(b"x")
        # Distinct modification times set outright: two writes within one clock tick of the
        # filesystem would share one, and the order of the deletions would be a coin toss.
        os.utime(made[-1], (1_000_000 + i, 1_000_000 + i))
    assert sorted(tmp_path.iterdir()) == sorted(made[-3:])


def test_no_trained_model_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCE_CHECKPOINT", str(tmp_path / "missing.safetensors"))
    model, reason = app_support.load_generator()
    assert model is None and reason.startswith(f"{tmp_path / 'missing.safetensors'} does not exist")
    untrained = save_checkpoint(Generator(GeneratorConfig(**TINY)), tmp_path / "u.safetensors", {})
    monkeypatch.setenv("DANCE_CHECKPOINT", str(untrained))
    model, reason = app_support.load_generator()
    assert model is None and "never trained" in reason


def test_about_text_describes_the_installed_model(checkpoints):
    raw = app_support.describe(dance.load_model(checkpoints["raw"]))
    features = app_support.describe(dance.load_model(checkpoints["features"]))
    assert "trained for 3 steps" in raw and "raw waveform" in raw
    assert "a mel spectrogram, onset strength, the beat phase" in features
