"""Cross-modal encoder training (evaluation.crossmodal_train): a few steps on tiny data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evaluation.crossmodal_train import Pair, TrainConfig, evaluate_retrieval, train
from tests.metrics_synth import waving_dance
from tests.test_metrics_crossmodal import TINY, one_thread  # noqa: F401 (an autouse fixture)


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
