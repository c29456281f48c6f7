"""Resuming a run with more input feature blocks than it was saved with.

A later training stage may give the generator a new input (stage 3 of the styles recipe adds
"energy" to the beat grid, stage 4 the variation input after the style and the lead input
after that). The input layer of
the generator's music encoder, and of the sequence discriminator's, then gains columns for
the new blocks, with zero weights, and every other weight and optimiser moment is kept: the
resumed networks compute exactly what they did, and training teaches them to use the new
input. (`--init`, train/state.py, widens a generator the same way.)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
from torch import nn

from dance.analysis import FEATURE_SIZES
from dance.model import GeneratorConfig
from dance.variation import VARIATION_FEATURES

# The first Linear of MusicEncoder's feature front end, in the generator and in the sequence
# discriminator alike (both hold their encoder as `music`).
INPUT_WEIGHT = "music.audio_encoder.net.0.weight"


def input_columns(old: GeneratorConfig, new: GeneratorConfig) -> list[int]:
    """Where each input column of `old` sits in `new`'s input.

    Raises:
        ValueError: `new` differs from `old` in more than added feature blocks (in any order
            that keeps the old blocks' order).
    """
    grown = replace(
        old,
        features=new.features,
        variation=new.variation,
        variations=new.variations,
        lead=new.lead,
    )
    dropped = (old.variation and not new.variation) or (old.lead and not new.lead)
    if old.frontend != "features" or grown != new or dropped:
        raise ValueError("the configs differ in more than their added input blocks")
    remaining = iter(new.features)
    if not all(name in remaining for name in old.features):
        raise ValueError(f"{new.features} does not keep the blocks {old.features} in order")
    start, position = {}, 0
    for name in new.features:
        start[name] = position
        position += FEATURE_SIZES[name]
    columns = [start[name] + i for name in old.features for i in range(FEATURE_SIZES[name])]
    columns += [position + i for i in range(len(old.styles))]  # the style one-hot
    position += len(new.styles)
    if old.variation:
        columns += [position + i for i in range(len(VARIATION_FEATURES))]
    if new.variation:
        position += len(VARIATION_FEATURES)
    if old.lead:
        columns.append(position)  # the last column, in both
    return columns


def widen_columns(weight: torch.Tensor, columns: list[int], size: int) -> torch.Tensor:
    """(out, len(columns)) -> (out, size): old column j moves to columns[j], the rest are 0."""
    if weight.ndim != 2 or weight.shape[1] != len(columns):
        raise ValueError(f"weight {tuple(weight.shape)} does not have {len(columns)} columns")
    wide = weight.new_zeros(weight.shape[0], size)
    wide[:, columns] = weight
    return wide


def widen_optimizer_state(
    opt_state: dict[str, Any], model: nn.Module, columns: list[int], size: int
) -> None:
    """Widen, in place, the Adam moments of `model`'s INPUT_WEIGHT in an optimiser's
    state_dict (the optimiser was built over model.parameters(), so indices follow them)."""
    index = [name for name, _ in model.named_parameters()].index(INPUT_WEIGHT)
    for key, value in opt_state["state"].get(index, {}).items():
        if torch.is_tensor(value) and value.ndim == 2:
            opt_state["state"][index][key] = widen_columns(value, columns, size)


def widen_training_state(
    state: dict[str, Any], columns: list[int], size: int, generator: nn.Module, seq_d: nn.Module
) -> None:
    """Widen, in place, both input layers of a training checkpoint and their Adam moments."""
    g_weights = state["generator"]["state_dict"]
    g_weights[INPUT_WEIGHT] = widen_columns(g_weights[INPUT_WEIGHT], columns, size)
    state["seq_d"][INPUT_WEIGHT] = widen_columns(state["seq_d"][INPUT_WEIGHT], columns, size)
    widen_optimizer_state(state["opt_g"], generator, columns, size)
    widen_optimizer_state(state["opt_seq"], seq_d, columns, size)
