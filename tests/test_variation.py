"""The variation input: a dance's manner measured, and the manner of each phrase drawn."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dance.config import GeneratorConfig
from dance.skeleton import JOINT, mirror_norm, norm_to_px, px_to_norm
from dance.variation import (
    CROSSFADE_S,
    PHRASE_BEATS,
    VARIATION_FEATURES,
    crossfade,
    fold_bpm,
    lead_columns,
    phrase_bounds,
    tempo_weights,
    variation_columns,
)
from train.data.variation import lead_side, motion_descriptor, standardise

FPS = 25
K = len(VARIATION_FEATURES)


def row(style: str, bpm: float, value: float) -> tuple[str, float, tuple[float, ...]]:
    return (style, bpm, (value,) * K)


ROWS = (row("waltz", 90, 1.0), row("waltz", 90, 2.0), row("waltz", 90, 3.0), row("street", 120, -1))


def test_tempi_are_folded_by_octaves() -> None:
    assert fold_bpm(200) == 100 and fold_bpm(50) == 100 and fold_bpm(120) == 120
    assert 70 <= fold_bpm(float("nan")) <= 140


def test_phrases_start_every_phrase_beats_beats() -> None:
    beats = np.arange(0, 40, 0.5)  # 120 BPM for 40 s
    bounds = phrase_bounds(beats, 40 * FPS, FPS)
    assert bounds[0] == 0
    np.testing.assert_allclose(np.diff(bounds), PHRASE_BEATS * 0.5 * FPS)
    # Without beats, fixed-length phrases.
    assert phrase_bounds(np.zeros(0), 20 * FPS, FPS) == [0, 200, 400]


def test_clips_near_the_song_tempo_are_likelier() -> None:
    rows = (row("w", 90, 0), row("w", 120, 0))
    p = tempo_weights(rows, 118)
    assert p[1] > 0.8 and p.sum() == pytest.approx(1.0)
    assert tempo_weights(rows, 236)[1] == pytest.approx(p[1])  # an octave up is the same


def test_crossfade_ramps_between_levels() -> None:
    levels = np.zeros((100, 1))
    levels[50:] = 1.0
    faded = crossfade(levels, FPS)[:, 0]
    assert faded[0] == 0 and faded[-1] == 1
    assert np.all(np.diff(faded) >= 0)
    ramp = np.flatnonzero((faded > 0) & (faded < 1))
    assert ramp.size == pytest.approx(CROSSFADE_S * FPS, abs=2)


def test_columns_are_seeded_and_phrases_change_manner() -> None:
    beats = np.arange(0, 60, 0.5)
    n = 60 * FPS
    a = variation_columns(ROWS, "waltz", 90, beats, n, FPS, seed=3)
    assert a.shape == (n, K) and a.dtype == np.float32
    np.testing.assert_array_equal(a, variation_columns(ROWS, "waltz", 90, beats, n, FPS, seed=3))
    b = variation_columns(ROWS, "waltz", 90, beats, n, FPS, seed=4)
    assert not np.array_equal(a, b)
    # Only waltz rows, and no phrase repeats the one before it.
    bounds = phrase_bounds(beats, n, FPS)
    middles = [a[(s + e) // 2, 0] for s, e in zip(bounds, [*bounds[1:], n], strict=True)]
    assert set(middles) <= {1.0, 2.0, 3.0}
    assert all(x != y for x, y in zip(middles[:-1], middles[1:], strict=True))
    with pytest.raises(ValueError, match="tango"):
        variation_columns(ROWS, "tango", 90, beats, n, FPS, seed=0)


def test_config_rows_survive_json_and_are_checked() -> None:
    base = GeneratorConfig(frontend="features", features=("beat",), styles=("waltz", "street"))
    config = dataclasses.replace(base, variation=True, variations=ROWS)
    assert config.audio_input_size == base.audio_input_size + K
    as_json = dataclasses.asdict(config)
    as_json["variations"] = [[s, t, list(v)] for s, t, v in ROWS]
    assert GeneratorConfig(**as_json) == config
    with pytest.raises(ValueError, match="does not fit"):
        dataclasses.replace(config, variations=(row("tango", 90, 0),))
    with pytest.raises(ValueError, match="needs a generator with styles"):
        dataclasses.replace(config, styles=(), variations=())
    with pytest.raises(ValueError, match="without the variation input"):
        dataclasses.replace(config, variation=False)


def dancer(frames: int = 100, arm_lift: float = 0.0, step: float = 0.0) -> np.ndarray:
    """A standing dancer in pixels, arms raised by arm_lift px, feet stepping step px."""
    t = np.arange(frames) / FPS
    px = np.zeros((frames, 18, 2))
    spots = {
        "nose": (320, 100), "neck": (320, 130), "right_shoulder": (300, 130),
        "left_shoulder": (340, 130), "right_elbow": (290, 160), "left_elbow": (350, 160),
        "right_wrist": (285, 190), "left_wrist": (355, 190), "right_hip": (308, 200),
        "left_hip": (332, 200), "right_knee": (306, 250), "left_knee": (334, 250),
        "right_ankle": (305, 300), "left_ankle": (335, 300),
    }  # fmt: skip
    for name, (x, y) in spots.items():
        px[:, JOINT[name]] = (x, y)
    for side in ("right", "left"):
        px[:, JOINT[f"{side}_wrist"], 1] -= arm_lift
        px[:, JOINT[f"{side}_ankle"], 0] += step * np.sin(2 * np.pi * 2 * t)
    return px_to_norm(px)


def test_the_descriptor_measures_arms_and_feet() -> None:
    names = {n: i for i, n in enumerate(VARIATION_FEATURES)}
    still, raised, stepping = dancer(), dancer(arm_lift=80), dancer(step=10)
    d_still, d_raised = motion_descriptor(still, FPS), motion_descriptor(raised, FPS)
    d_step = motion_descriptor(stepping, FPS)
    assert d_still.shape == (K,) and np.isfinite(d_still).all()
    # Wrists 60 px below the shoulders on a 70 px torso; raised 80 px, they are above.
    assert d_still[names["wrist_height"]] == pytest.approx(-60 / 70, abs=0.02)
    assert d_raised[names["wrist_height"]] == pytest.approx(20 / 70, abs=0.02)
    assert d_step[names["leg_speed"]] > d_still[names["leg_speed"]] + 1
    assert d_step[names["arm_speed"]] == pytest.approx(d_still[names["arm_speed"]])


def test_the_descriptor_ignores_mirroring_and_size() -> None:
    rng = np.random.default_rng(0)
    poses = dancer(step=10) + rng.normal(0, 0.01, (100, 18, 2))
    d = motion_descriptor(poses, FPS)
    np.testing.assert_allclose(motion_descriptor(mirror_norm(poses), FPS), d, atol=1e-6)
    px = norm_to_px(poses)
    half = px_to_norm(0.5 * (px - px.mean(axis=(0, 1))) + px.mean(axis=(0, 1)))
    np.testing.assert_allclose(motion_descriptor(half, FPS), d, atol=0.05)


def test_standardise_is_clipped_and_safe_for_constant_columns() -> None:
    ref = np.array([[0.0, 5.0], [2.0, 5.0]])
    z = standardise(np.array([[1.0, 5.0], [100.0, 7.0]]), ref)
    np.testing.assert_allclose(z, [[0.0, 0.0], [3.0, 0.0]])


def test_a_generator_without_a_manner_of_the_style_is_a_model_error() -> None:
    from dance.errors import ModelError
    from dance.generate import condition_columns

    config = GeneratorConfig(
        frontend="features",
        features=("beat",),
        styles=("waltz", "street"),
        variation=True,
        variations=ROWS[:3],  # waltz only
    )
    model = type("Model", (), {"config": config})()
    columns = condition_columns(model, "waltz", 90, np.zeros(0), 50, seed=0)
    assert columns.shape == (50, 2 + K)
    with pytest.raises(ModelError, match="street"):
        condition_columns(model, "street", 90, np.zeros(0), 50, seed=0)


def test_the_lead_side_is_the_busier_side_and_mirroring_swaps_it() -> None:
    poses = norm_to_px(dancer(step=10))
    right_kicks = poses.copy()
    right_kicks[:, JOINT["left_ankle"]] = right_kicks[:1, JOINT["left_ankle"]]  # left foot still
    right_kicks = px_to_norm(right_kicks)
    assert lead_side(right_kicks) == 1.0
    assert lead_side(mirror_norm(right_kicks)) == -1.0


def test_lead_columns_are_seeded_sides_per_phrase() -> None:
    beats = np.arange(0, 120, 0.5)
    n = 120 * FPS
    a = lead_columns(beats, n, FPS, seed=3)
    assert a.shape == (n, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, lead_columns(beats, n, FPS, seed=3))
    assert not np.array_equal(a, lead_columns(beats, n, FPS, seed=4))
    bounds = phrase_bounds(beats, n, FPS)
    middles = {float(a[(s + e) // 2, 0]) for s, e in zip(bounds, [*bounds[1:], n], strict=True)}
    assert middles == {1.0, -1.0}  # 15 phrases: both sides lead
    assert np.abs(a).max() <= 1.0  # cross-faded between them


def test_the_lead_input_draws_apart_from_the_manners() -> None:
    beats = np.arange(0, 60, 0.5)
    n = 60 * FPS
    manners = variation_columns(ROWS, "waltz", 90, beats, n, FPS, seed=5)
    lead = lead_columns(beats, n, FPS, seed=5)
    # The manners a seed draws are those of a generator without the lead input.
    np.testing.assert_array_equal(manners, variation_columns(ROWS, "waltz", 90, beats, n, FPS, 5))
    assert lead.shape == (n, 1)
    config = GeneratorConfig(frontend="features", features=("beat",), styles=("waltz",), lead=True)
    assert config.audio_input_size == 2 + 1 + 1
    with pytest.raises(ValueError, match="lead input needs"):
        GeneratorConfig(frontend="features", features=("beat",), lead=True)
