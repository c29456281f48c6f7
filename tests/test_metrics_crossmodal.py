"""The cross-modal encoders: inputs, a few training steps on tiny data, the file round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dance.errors import ModelError
from dance.metrics.crossmodal import (
    DANCE_INPUT_SIZE,
    CrossModal,
    CrossModalConfig,
    dance_input,
    embed_dance,
    embed_music,
    load_crossmodal,
    matching,
    retrieval,
    save_crossmodal,
    windows,
)
from dance.metrics.crossmodal_train import Pair, TrainConfig, evaluate_retrieval, train
from tests.metrics_synth import beat_locked_dance, waving_dance

TINY = CrossModalConfig(
    music_features=("onset", "beat"), hidden=32, layers=1, embed=16, dropout=0.0, window_frames=20
)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny GRUs run 10x faster on one thread than on two contended ones; restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_pairs(n: int, seconds: float = 12.0) -> list[Pair]:
    """Dances whose arm-wave tempo is written in their music (onset = the wave's speed)."""
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(n):
        period = rng.uniform(0.3, 1.2)
        poses = waving_dance(period, seconds, 10, amplitude_px=rng.uniform(10, 40))
        t = np.arange(poses.shape[0]) / 10
        onset = np.abs(np.sin(np.pi * t / period))
        phase = 2 * np.pi * (t / period % 1)
        music = np.stack([onset, onset, np.sin(phase), np.cos(phase)], axis=1)
        pairs.append(Pair(f"dance{i}", music.astype(np.float32), poses.astype(np.float32)))
    return pairs


def test_dance_input_is_body_relative_and_scale_free():
    poses = beat_locked_dance(1.0, 0.0, 4.0, 10)
    x = dance_input(poses)
    assert x.shape == (poses.shape[0], DANCE_INPUT_SIZE)
    # Moving the dancer or drawing it twice as large changes nothing (torso units, hip-relative).
    shifted = poses + np.array([0.2, 0.1])
    np.testing.assert_allclose(dance_input(shifted), x, atol=1e-4)
    assert np.all(np.isfinite(x))


def test_windows_cut_whole_windows():
    assert windows(np.zeros((45, 3)), 20).shape == (2, 20, 3)
    assert windows(np.zeros((15, 3)), 20).shape == (1, 15, 3)


@pytest.mark.slow
def test_encoder_trains_a_few_steps_on_tiny_data():
    pairs = tiny_pairs(6)
    config = TrainConfig(steps=60, dances_per_batch=6, windows_per_dance=2, lr=3e-3, log_every=0)
    model, losses = train(pairs, TINY, config)
    assert len(losses) == 60 and np.all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.2  # ln(12) = 2.48 is chance
    result = evaluate_retrieval(model, pairs)
    assert result.n == 6 * 6 and 0.0 <= result.top1 <= result.top5 <= 1.0


def test_training_is_seeded_and_leaves_the_global_rng_alone():
    pairs = tiny_pairs(4)
    config = TrainConfig(steps=3, dances_per_batch=4, log_every=0)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    _, a = train(pairs, TINY, config)
    after = torch.rand(1)
    _, b = train(pairs, TINY, config)
    assert a == b
    assert before == after


def test_weights_round_trip(tmp_path):
    model = CrossModal(TINY).eval()
    path = save_crossmodal(model, tmp_path / "cm.safetensors", {"trained_steps": 0, "note": "x"})
    loaded = load_crossmodal(path)
    assert loaded.config == TINY and loaded.meta["note"] == "x"
    poses = beat_locked_dance(0.5, 0.0, 6.0, 30)
    np.testing.assert_allclose(embed_dance(loaded, poses, 30), embed_dance(model, poses, 30))
    music = np.random.default_rng(1).normal(size=(60, 4)).astype(np.float32)
    np.testing.assert_allclose(embed_music(loaded, music), embed_music(model, music))


def test_missing_or_foreign_weights_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="no cross-modal"):
        load_crossmodal(tmp_path / "none.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError):
        load_crossmodal(bad)


def test_matching_and_retrieval_on_known_embeddings():
    eye = np.eye(4)
    r = retrieval(eye, eye, np.array([0, 0, 1, 1]))
    assert (r.top1, r.top5, r.same_dance_top1, r.n) == (1.0, 1.0, 1.0, 4)
    perfect = matching(eye[:2], eye[:2], pool=eye[2:])
    assert perfect.cosine == pytest.approx(1.0) and perfect.auc == 1.0
    wrong = matching(eye[:2], eye[2:], pool=eye[:2])
    assert wrong.cosine == pytest.approx(0.0) and wrong.auc < 0.5
    assert np.isnan(matching(eye, eye, pool=None).auc)
