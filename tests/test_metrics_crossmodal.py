"""The cross-modal encoders: inputs, the file round trip, matching and retrieval scores.

Their training is tested with the training code, in tests/evaluation/test_crossmodal_train.py."""

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
from tests.metrics_synth import beat_locked_dance

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
