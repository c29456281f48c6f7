"""The frozen style critic behind the style_classification loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from dance.model import GeneratorConfig
from dance.variation import VARIATION_FEATURES
from train.config import LossWeights
from train.losses import GeneratorBatch, generator_loss
from train.style_critic import StyleCritic, fit_style_critic, load_or_fit, style_targets

N_STYLES = 3
COLUMNS = slice(2, 2 + N_STYLES)  # two music columns, the one-hot, then four manner columns
N_MANNER = 4


def style_windows(n_per_style: int = 32, frames: int = 20) -> TensorDataset:
    """Style 0 holds the wrists high, style 1 low, style 2 swings them; one-hot in the audio,
    followed by random manner columns as the variation input's."""
    rng = np.random.default_rng(0)
    poses, audio = [], []
    t = np.arange(frames) / 10
    for style in range(N_STYLES):
        for _ in range(n_per_style):
            p = 0.05 * rng.standard_normal((frames, 18, 2)).astype(np.float32)
            p[:, 1] = 0.0  # the neck
            if style == 0:
                p[:, [4, 7], 1] -= 0.4
            elif style == 1:
                p[:, [4, 7], 1] += 0.4
            else:
                p[:, [4, 7], 0] += 0.4 * np.sin(2 * np.pi * t + rng.uniform(0, 6))[:, None]
            a = np.zeros((frames, 2 + N_STYLES + N_MANNER), np.float32)
            a[:, 2 + style] = 1.0
            a[:, COLUMNS.stop :] = rng.standard_normal(N_MANNER)
            poses.append(p)
            audio.append(a)
    return TensorDataset(torch.from_numpy(np.stack(audio)), torch.from_numpy(np.stack(poses)))


def critic_batch(audio: torch.Tensor, fake: torch.Tensor, **critics: object) -> GeneratorBatch:
    """A generator batch with only what the critic terms read (`critics`: the critics and
    their columns); the real poses are the fake ones."""
    return GeneratorBatch(
        audio=audio,
        real=fake.detach(),
        fake=fake,
        frame_d=None,
        seq_d=None,
        stgcn=None,
        stgcn_block_weights=(),
        beat_column=-1,
        seed_diversity_target=0.0,
        half=None,
        **critics,
    )


def only_weights(*names: str) -> dict[str, float]:
    """Loss weights with every term off but `names` (weight 1)."""
    return {f.name: float(f.name in names) for f in dataclasses.fields(LossWeights)}


def test_style_targets_read_the_one_hot_not_the_columns_after_it() -> None:
    audio = torch.zeros(2, 5, 2 + N_STYLES + N_MANNER)
    audio[0, :, 2 + 2] = 1
    audio[1, :, 2 + 0] = 1
    audio[:, :, COLUMNS.stop + 1] = 5.0  # a manner number larger than any one-hot entry
    assert style_targets(audio, COLUMNS).tolist() == [2, 0]


def test_a_generator_config_says_where_its_one_hot_lies() -> None:
    config = GeneratorConfig(
        frontend="features", features=("beat", "tempo"), styles=("a", "b"), variation=True
    )
    assert config.style_slice == slice(3, 5)  # beat 2 + tempo 1, then the one-hot
    assert config.audio_input_size == 5 + len(VARIATION_FEATURES)


def test_the_critic_learns_styles_and_is_frozen() -> None:
    data = style_windows()
    critic, accuracy = fit_style_critic(data, COLUMNS, steps=150)
    assert accuracy > 0.95
    audio, poses = data.tensors
    predicted = critic(poses).argmax(dim=1)
    assert (predicted == style_targets(audio, COLUMNS)).float().mean() > 0.95
    assert not critic.training and not any(p.requires_grad for p in critic.parameters())


def test_fitting_leaves_the_global_random_state_alone() -> None:
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    fit_style_critic(style_windows(4), COLUMNS, steps=3)
    assert torch.equal(torch.rand(3), expected)


def test_a_run_fits_its_critic_once(tmp_path) -> None:
    data = style_windows(4)
    first = load_or_fit(tmp_path, data, COLUMNS, seed=0)
    assert (tmp_path / "style_critic.pt").exists()
    again = load_or_fit(tmp_path, style_windows(8), COLUMNS, seed=1)  # loaded, not refitted
    for a, b in zip(first.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_the_loss_term_asks_for_the_requested_style() -> None:
    data = style_windows()
    critic, _ = fit_style_critic(data, COLUMNS, steps=150)
    audio, poses = data.tensors
    wrong = torch.roll(audio, 32, dims=0)  # each window asked for another style

    def loss(a: torch.Tensor) -> float:
        batch = critic_batch(
            a, poses.clone().requires_grad_(True), style_critic=critic, style_columns=COLUMNS
        )
        total, logs = generator_loss(batch, only_weights("style_classification"))
        total.backward()
        assert batch.fake.grad is not None and batch.fake.grad.abs().sum() > 0
        return logs["g/style_classification"]

    assert loss(audio) < 0.2 < 1.0 < loss(wrong)


def test_two_critics_each_ask_for_their_own_columns() -> None:
    """With a manner critic beside the style critic, each term reads its own columns: asking
    for another manner raises only the manner term, another style only the style term."""
    data = style_windows()
    audio, poses = data.tensors
    # The manner a window shows is a function of its pose (its style, shifted by one).
    audio = audio.clone()
    audio[:, :, COLUMNS.stop :] = 0.0
    manner = slice(COLUMNS.stop, COLUMNS.stop + N_STYLES)
    audio[:, :, manner] = torch.roll(audio[:, :, COLUMNS], 1, dims=2)
    styles, _ = fit_style_critic(TensorDataset(audio, poses), COLUMNS, steps=150)
    manners, _ = fit_style_critic(TensorDataset(audio, poses), manner, steps=150)

    def losses(a: torch.Tensor) -> tuple[float, float]:
        batch = critic_batch(
            a,
            poses.clone(),
            style_critic=styles,
            style_columns=COLUMNS,
            manner_critic=manners,
            manner_columns=manner,
        )
        weights = only_weights("style_classification", "manner_classification")
        _, logs = generator_loss(batch, weights)
        return logs["g/style_classification"], logs["g/manner_classification"]

    other_manner, other_style = audio.clone(), audio.clone()
    other_manner[:, :, manner] = torch.roll(audio[:, :, manner], 1, dims=2)
    other_style[:, :, COLUMNS] = torch.roll(audio[:, :, COLUMNS], 1, dims=2)
    style_ok, manner_ok = losses(audio)
    assert style_ok < 0.2 and manner_ok < 0.2
    style_same, manner_wrong = losses(other_manner)
    assert style_same == style_ok and manner_wrong > 1.0
    style_wrong, manner_same = losses(other_style)
    assert style_wrong > 1.0 and manner_same == manner_ok


def test_critic_shapes() -> None:
    assert StyleCritic(6)(torch.zeros(4, 50, 18, 2)).shape == (4, 6)


def test_a_confidence_hinge_spares_recognised_windows() -> None:
    """With style_confidence, a window the critic already gives its requested style with at
    least that probability adds nothing and no gradient; the others add their cross-entropy
    less -log(confidence)."""
    data = style_windows()
    critic, _ = fit_style_critic(data, COLUMNS, steps=150)
    audio, poses = data.tensors
    wrong = torch.roll(audio, 32, dims=0)
    mixed = torch.cat([audio[:48], wrong[48:]])  # the first 48 asked for their own style

    def term(a: torch.Tensor, confidence: float) -> tuple[float, torch.Tensor]:
        batch = critic_batch(
            a, poses.clone().requires_grad_(True), style_critic=critic, style_columns=COLUMNS
        )
        batch.style_confidence = confidence
        total, logs = generator_loss(batch, only_weights("style_classification"))
        total.backward()
        return logs["g/style_classification"], batch.fake.grad

    with torch.no_grad():
        ce = torch.nn.functional.cross_entropy(
            critic(poses), style_targets(mixed, COLUMNS), reduction="none"
        )
    assert ce[:48].max() < -np.log(0.8) < ce[48:].min()  # the premise: recognised, not
    hinged, grad = term(mixed, 0.8)
    assert hinged == pytest.approx((ce[48:] + np.log(0.8)).sum().item() / len(ce), rel=1e-5)
    assert grad[:48].abs().max() == 0 and grad[48:].abs().sum() > 0
    plain, _ = term(mixed, 0.0)
    assert plain == pytest.approx(ce.mean().item(), rel=1e-5)
