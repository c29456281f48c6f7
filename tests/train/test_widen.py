"""Resuming with an added input block: the widened networks compute what they did."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from dance.model import Generator
from dance.variation import VARIATION_FEATURES
from train.config import PRESETS
from train.discriminators import SequenceDiscriminator
from train.widen import INPUT_WEIGHT, input_columns, widen_columns, widen_optimizer_state

STYLES = ("waltz", "street")


def configs():
    base = dataclasses.replace(
        PRESETS["tiny"].generator, features=("beat", "beat2", "tempo"), styles=STYLES
    )
    return base, dataclasses.replace(base, features=("beat", "beat2", "tempo", "energy"))


def test_input_columns_skip_the_new_block() -> None:
    old, new = configs()
    # beat (2), beat2 (2), tempo (1) keep columns 0-4; energy is 5; the styles move to 6-7.
    assert input_columns(old, new) == [0, 1, 2, 3, 4, 6, 7]
    assert input_columns(old, old) == list(range(old.audio_input_size))


@pytest.mark.parametrize(
    "change",
    [
        {"features": ("tempo", "beat", "beat2", "energy")},  # old blocks reordered
        {"features": ("beat", "energy")},  # a block dropped
        {"rnn_hidden": 32},  # not only the inputs
        {"styles": ("waltz",)},
    ],
)
def test_input_columns_refuse_other_changes(change: dict) -> None:
    old, _ = configs()
    with pytest.raises(ValueError):
        input_columns(old, dataclasses.replace(old, **change))


def test_widened_networks_ignore_the_new_input_until_trained() -> None:
    old_cfg, new_cfg = configs()
    columns = input_columns(old_cfg, new_cfg)
    size = new_cfg.audio_input_size
    torch.manual_seed(0)
    old_g, new_g = Generator(old_cfg).eval(), Generator(new_cfg).eval()
    old_d = SequenceDiscriminator(old_cfg, 0.125, "interaction").eval()
    new_d = SequenceDiscriminator(new_cfg, 0.125, "interaction").eval()
    for old, new in ((old_g, new_g), (old_d, new_d)):
        weights = old.state_dict()
        weights[INPUT_WEIGHT] = widen_columns(weights[INPUT_WEIGHT], columns, size)
        new.load_state_dict(weights)

    audio = torch.randn(2, 20, old_cfg.audio_input_size)
    wide = torch.randn(2, 20, size)  # the new column holds anything
    wide[..., columns] = audio
    noise = old_g.sample_noise(2, 20, torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(new_g(wide, noise), old_g(audio, noise))
        poses = old_g(audio, noise)
        torch.testing.assert_close(new_d(poses, wide), old_d(poses, audio))
        assert not torch.equal(new_g(wide, noise), new_g(wide + 0.5, noise))


def test_adam_moments_are_widened_and_training_goes_on() -> None:
    old_cfg, new_cfg = configs()
    columns = input_columns(old_cfg, new_cfg)
    old_g, new_g = Generator(old_cfg), Generator(new_cfg)
    opt = torch.optim.Adam(old_g.parameters())
    noise = old_g.sample_noise(4, 20)
    old_g(torch.randn(4, 20, old_cfg.audio_input_size), noise).square().mean().backward()
    opt.step()
    state = opt.state_dict()
    index = [n for n, _ in old_g.named_parameters()].index(INPUT_WEIGHT)
    before = state["state"][index]["exp_avg"].clone()
    widen_optimizer_state(state, old_g, columns, new_cfg.audio_input_size)
    after = state["state"][index]["exp_avg"]
    assert after.shape == (before.shape[0], new_cfg.audio_input_size)
    torch.testing.assert_close(after[:, columns], before)
    assert not after[:, 5].any()

    weights = old_g.state_dict()
    weights[INPUT_WEIGHT] = widen_columns(weights[INPUT_WEIGHT], columns, new_cfg.audio_input_size)
    new_g.load_state_dict(weights)
    new_opt = torch.optim.Adam(new_g.parameters())
    new_opt.load_state_dict(state)
    new_g(torch.randn(4, 20, new_cfg.audio_input_size), noise).square().mean().backward()
    new_opt.step()  # moments of the right shape: no error
    assert new_g.state_dict()[INPUT_WEIGHT][:, 5].abs().sum() > 0


def test_input_columns_with_the_variation_input() -> None:
    old, new = configs()
    k = len(VARIATION_FEATURES)
    # Added after the style: the old columns stay where they were.
    assert input_columns(old, dataclasses.replace(old, variation=True)) == list(range(7))
    # Both with it, energy added: beat grid 0-4, energy 5, styles 6-7, variation 8 on.
    with_old = dataclasses.replace(old, variation=True)
    with_new = dataclasses.replace(new, variation=True)
    assert input_columns(with_old, with_new) == [0, 1, 2, 3, 4, 6, 7, *range(8, 8 + k)]
    with pytest.raises(ValueError):
        input_columns(with_old, old)  # an input is never taken away


def test_input_columns_with_the_lead_input() -> None:
    old, _ = configs()
    k = len(VARIATION_FEATURES)
    with_variation = dataclasses.replace(old, variation=True)
    with_lead = dataclasses.replace(with_variation, lead=True)
    # The lead column comes last: every old column stays where it was.
    assert input_columns(with_variation, with_lead) == list(range(7 + k))
    assert input_columns(old, with_lead) == list(range(7))
    assert input_columns(with_lead, with_lead) == list(range(8 + k))
    with pytest.raises(ValueError):
        input_columns(with_lead, with_variation)  # an input is never taken away
