"""Training a generator with styles on motion with and without music (tiny synthetic data)."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

import dance
from dance.analysis import rhythm_features
from dance.skeleton import mirror_norm
from dance.variation import VARIATION_FEATURES
from train.config import PRESETS, STYLE_FEATURES
from train.data import WindowDataset, load_clips, prepare
from train.data.features import variation_rows
from train.data.styles import fold_tempo, hold_out_tail, motion_beat_grid, time_warp
from train.data.variation import lead_side
from train.loop import Trainer, train

from .test_bvh import cc_rig_bvh

STYLES = ("waltz", "chacha", "rumba", "street", "modern")


@pytest.fixture
def all_sources(ballroom_dir: Path, g1_dir: Path, tmp_path: Path) -> Path:
    """A folder holding a ballroom folder, a G1 Moves folder and a folder of BVH files."""
    root = tmp_path / "data"
    shutil.copytree(ballroom_dir, root / "ballroom")
    g1 = root / "g1moves_dance"
    shutil.copytree(g1_dir / "J_Dance2_Salsa", g1 / "J_Dance3_Woah")  # a training clip name
    bvh = root / "cmu_modern"
    bvh.mkdir()
    for name in ("005_02", "005_05"):
        with gzip.open(bvh / f"{name}.bvh.gz", "wt") as f:
            f.write(cc_rig_bvh(frames=420))
    return root


def styled_tiny(**overrides: object):
    base = PRESETS["tiny"]
    gen = dataclasses.replace(base.generator, features=STYLE_FEATURES, styles=STYLES)
    losses = dataclasses.replace(base.losses, beat_alignment=1.0)
    return dataclasses.replace(base, generator=gen, losses=losses, **overrides)


def test_motion_beat_grid_finds_the_motion_tempo() -> None:
    # Arms swinging at 1.8 Hz slow down twice a cycle: 216 motion beats a minute, folded
    # into the motion tempo range to 108.
    t = np.arange(200) / 10
    poses = np.zeros((200, 18, 2), np.float32)
    poses[:, 4, 0] = 0.3 * np.sin(2 * np.pi * 0.9 * t)
    poses[:, 7, 0] = -0.3 * np.sin(2 * np.pi * 0.9 * t)
    beats = motion_beat_grid(poses, 10)
    assert 60 / np.median(np.diff(beats)) == pytest.approx(108, rel=0.08)
    # Beats fall where the arms turn round (speed minima at 1.8 per second, phase 0.25).
    turns = (np.arange(40) + 0.5) / 1.8
    offsets = np.abs(beats[:, None] - turns[None]).min(axis=1)
    assert np.median(offsets) < 0.06


def test_fold_tempo() -> None:
    fast = np.arange(0, 10, 0.25)  # 240 BPM
    assert 60 / np.median(np.diff(fold_tempo(fast))) == pytest.approx(120)
    slow = np.arange(0, 10, 1.0)  # 60 BPM
    assert 60 / np.median(np.diff(fold_tempo(slow))) == pytest.approx(120)


def test_time_warp_changes_the_tempo_not_the_path() -> None:
    t = np.arange(100) / 10
    poses = np.repeat(np.sin(2 * np.pi * 0.5 * t)[:, None, None], 18, axis=1).repeat(2, axis=2)
    faster = time_warp(poses.astype(np.float32), 1.25, 10)
    assert faster.shape[0] == 80
    np.testing.assert_allclose(
        faster[:, 0, 0], np.sin(2 * np.pi * 0.625 * np.arange(80) / 10), atol=0.02
    )


def test_every_source_loads_from_one_folder(all_sources: Path) -> None:
    clips = load_clips(all_sources)
    assert {c.source for c in clips} == {"ballroom", "g1moves", "cmu_modern"}
    assert {c.name for c in clips if c.split != "train"} >= {"cmu_modern/005_05", "DANCE_W_2"}


def test_prepared_styled_clips(all_sources: Path) -> None:
    config = styled_tiny().generator
    prepared = prepare(load_clips(all_sources), config)
    assert {c.style for c in prepared if c.split == "train"} == set(STYLES)
    for clip in prepared:
        assert clip.audio.shape == (clip.poses.shape[0], config.audio_input_size)
        style_cols = clip.audio[:, -len(STYLES) :]
        np.testing.assert_array_equal(style_cols.argmax(axis=1), STYLES.index(clip.style))
        np.testing.assert_allclose(
            clip.audio[:, : -len(STYLES)],
            rhythm_features(clip.beat_times, config.features, clip.poses.shape[0]),
        )
    # Time-warped copies of training clips only.
    warped = [c for c in prepared if "@x" in c.name]
    assert warped and all(c.split == "train" and c.samples is None for c in warped)
    # Styles are balanced in the windows.
    ds = WindowDataset([c for c in prepared if c.split == "train"], 20, 10, mirror=True)
    counts = np.bincount([STYLES.index(ds.clips[ci].style) for ci, _, _ in ds.index])
    assert counts.min() > 0


def test_the_energy_input_comes_from_how_fast_each_dance_moves(all_sources: Path) -> None:
    base = styled_tiny().generator
    config = dataclasses.replace(base, features=(*STYLE_FEATURES, "energy"))
    prepared = prepare(load_clips(all_sources), config)
    n_rhythm = config.audio_input_size - len(STYLES) - 1
    for clip in prepared:
        np.testing.assert_allclose(
            clip.audio[:, :n_rhythm],
            rhythm_features(clip.beat_times, STYLE_FEATURES, clip.poses.shape[0]),
        )
        energy = clip.audio[:, n_rhythm]
        assert np.abs(energy).max() <= 3.0
        # Livelier where the dancer moves faster (speed smoothed as the input is).
        speed = np.linalg.norm(np.diff(clip.poses, axis=0), axis=-1).mean(axis=1)
        smooth = gaussian_filter1d(speed, 20, mode="nearest")
        if smooth.std() > 0.1 * smooth.mean():
            assert np.corrcoef(energy[1:], smooth)[0, 1] > 0.8, clip.name


def test_a_style_without_a_held_out_part_gets_its_tail(all_sources: Path) -> None:
    clips = load_clips(all_sources)
    style_of = {c.name: "street" if c.source == "g1moves" else "other" for c in clips}
    out = hold_out_tail(clips, style_of)
    parts = [c for c in out if c.name.startswith("g1moves/J_Dance3_Woah#")]
    assert [c.split for c in parts] == ["train", "val"]
    whole = next(c for c in clips if c.name == "g1moves/J_Dance3_Woah")
    assert sum(c.poses.shape[0] for c in parts) == whole.poses.shape[0]


@pytest.mark.slow
def test_styled_training_exports_a_generator_that_dances_each_style(
    all_sources: Path, tmp_path: Path, song_4s: Path
) -> None:
    out = tmp_path / "run"
    config = styled_tiny(epochs=1)
    config = dataclasses.replace(
        config, losses=dataclasses.replace(config.losses, style_classification=1.0)
    )
    result = train(config, all_sources, out, progress=False)
    assert result.steps > 0 and "g/beat_alignment" in result.last_losses
    assert "g/style_classification" in result.last_losses
    assert (out / "style_critic.pt").exists()
    model = dance.load_model(out / "generator.safetensors")
    assert model.config.styles == STYLES
    dances = {s: dance.generate(model, song_4s, seed=1, style=s).keypoints for s in STYLES}
    assert all(np.isfinite(k).all() for k in dances.values())
    assert np.abs(dances["waltz"] - dances["street"]).mean() > 1e-4


@pytest.mark.slow
def test_a_run_resumed_with_the_energy_input_uses_it(
    all_sources: Path, tmp_path: Path, song_4s: Path
) -> None:
    out = tmp_path / "run"
    first = train(styled_tiny(epochs=1), all_sources, out, progress=False)
    base = styled_tiny(epochs=2)
    gen = dataclasses.replace(base.generator, features=(*STYLE_FEATURES, "energy"))
    config = dataclasses.replace(base, generator=gen, keep="last")
    result = train(config, all_sources, out, resume=True, progress=False)
    assert result.steps > first.steps
    model = dance.load_model(out / "generator.safetensors")  # the last epoch's (keep="last")
    assert model.config.features == (*STYLE_FEATURES, "energy")
    assert model.meta["trained_steps"] == result.steps
    keypoints = dance.generate(model, song_4s, seed=1, style="street").keypoints
    assert np.isfinite(keypoints).all()
    # A run saved with other inputs than the config adds to is still refused.
    other = dataclasses.replace(base, generator=dataclasses.replace(gen, features=("beat",)))
    with pytest.raises(ValueError, match="another generator config"):
        train(other, all_sources, out, resume=True, progress=False)


def test_stage_3_adds_the_energy_input_and_keeps_its_last_epoch() -> None:
    stage2, stage3 = PRESETS["styles-critic"], PRESETS["styles-motion"]
    assert stage3.generator.features == (*stage2.generator.features, "energy")
    assert stage3.keep == "last" and stage2.keep == "best"
    with pytest.raises(ValueError, match="keep"):
        dataclasses.replace(stage3, keep="first")


def test_the_style_loss_needs_styles(ballroom_dir: Path, tmp_path: Path) -> None:
    base = PRESETS["tiny"]
    config = dataclasses.replace(
        base, losses=dataclasses.replace(base.losses, style_classification=1.0)
    )
    with pytest.raises(ValueError, match="needs a generator with styles"):
        train(config, ballroom_dir, tmp_path / "run", progress=False)


def test_styles_need_features_that_motion_gives(all_sources: Path) -> None:
    config = dataclasses.replace(styled_tiny().generator, features=("mel", "beat"))
    with pytest.raises(ValueError, match="blocks that motion gives"):
        prepare(load_clips(all_sources), config)


def test_the_variation_input_is_each_training_dances_own_manner(all_sources: Path) -> None:
    config = dataclasses.replace(styled_tiny().generator, variation=True)
    prepared = prepare(load_clips(all_sources), config)
    k = len(VARIATION_FEATURES)
    rows = variation_rows(prepared)
    assert len(rows) == sum(c.split == "train" for c in prepared)
    for clip in prepared:
        assert clip.audio.shape == (clip.poses.shape[0], config.audio_input_size)
        manner = clip.audio[:, -k:]
        style_cols = clip.audio[:, -k - len(STYLES) : -k]
        np.testing.assert_array_equal(style_cols.argmax(axis=1), STYLES.index(clip.style))
        if clip.split == "train":  # its own manner, the same on every frame
            np.testing.assert_allclose(manner, np.tile(clip.variation[2], (len(manner), 1)))
            assert 70 <= clip.variation[1] <= 140
        else:  # what inference gives its beat grid: drawn from its style's training rows
            assert clip.variation is None
            mine = np.array([r[2] for r in rows if r[0] == clip.style])
            assert manner.min() >= mine.min() - 1e-6 and manner.max() <= mine.max() + 1e-6
    # Standardised over the training clips.
    table = np.array([r[2] for r in rows])
    np.testing.assert_allclose(table.mean(axis=0), 0, atol=0.2)  # clipped at +-3
    assert np.abs(table).max() <= 3.0


@pytest.mark.slow
def test_a_run_started_from_a_generator_adds_the_variation_and_lead_inputs(
    all_sources: Path, tmp_path: Path, song_4s: Path
) -> None:
    first = train(styled_tiny(epochs=1), all_sources, tmp_path / "first", progress=False)
    source = tmp_path / "first" / "generator.safetensors"
    base = styled_tiny(epochs=1)
    config = dataclasses.replace(  # stage 4's shape, with both critics (styles-both)
        base,
        generator=dataclasses.replace(base.generator, variation=True, lead=True),
        losses=dataclasses.replace(
            base.losses, style_classification=1.0, manner_classification=1.0
        ),
    )
    out = tmp_path / "second"
    # Before any step the widened generator dances exactly as the one it started from.
    trainer = Trainer(config, all_sources, out, init=source, progress=False)
    try:
        old = dance.load_model(source)
        audio = torch.randn(2, 20, old.config.audio_input_size)
        wide = torch.cat([audio, torch.randn(2, 20, len(VARIATION_FEATURES) + 1)], dim=-1)
        noise = old.sample_noise(2, 20, torch.Generator().manual_seed(0))
        trainer.generator.eval()
        with torch.no_grad():
            torch.testing.assert_close(trainer.generator(wide, noise), old(audio, noise))
        result = trainer.fit()
    finally:
        trainer.close()
    assert {"g/style_classification", "g/manner_classification"} <= set(result.last_losses)
    assert (out / "style_critic.pt").exists() and (out / "manner_critic.pt").exists()
    model = dance.load_model(out / "generator.safetensors")
    assert model.config.variation and model.config.variations and model.config.lead
    assert model.meta["init"]["trained_steps"] == first.steps
    assert model.meta["trained_steps"] == result.steps
    # Seeded: the same seed gives the same dance, torch and numpy alike; seeds differ.
    a = dance.generate(model, song_4s, seed=1, style="street").keypoints
    again = dance.generate(model, song_4s, seed=1, style="street").keypoints
    np.testing.assert_array_equal(a, again)
    other_seed = dance.generate(model, song_4s, seed=2, style="street").keypoints
    assert np.abs(a - other_seed).mean() > 1e-4
    numpy_model = dance.load_numpy_model(out / "generator.safetensors")
    np.testing.assert_allclose(
        dance.generate(numpy_model, song_4s, seed=1, style="street").keypoints, a, atol=1e-4
    )
    # A generator of another size cannot be a starting point.
    other = dataclasses.replace(
        config, generator=dataclasses.replace(config.generator, rnn_hidden=8)
    )
    with pytest.raises(ValueError, match="cannot start from it"):
        train(other, all_sources, tmp_path / "third", init=source, progress=False)


def test_stage_4_adds_the_variation_input() -> None:
    stage3, stage4 = PRESETS["styles-motion"], PRESETS["styles-variation"]
    assert stage4.generator == dataclasses.replace(stage3.generator, variation=True)
    assert stage4.losses == dataclasses.replace(stage3.losses, jitter=20.0)
    assert stage4.keep == "last" and stage4.d_warmup_steps > 0


def test_each_window_hears_which_side_leads_it(all_sources: Path) -> None:
    config = dataclasses.replace(styled_tiny().generator, variation=True, lead=True)
    prepared = prepare(load_clips(all_sources), config)
    for clip in prepared:
        assert clip.audio.shape == (clip.poses.shape[0], config.audio_input_size)
        if clip.split == "val":  # what inference gives: one side a phrase, cross-faded
            assert np.abs(clip.audio[:, -1]).max() <= 1.0 and clip.audio[0, -1] in (1.0, -1.0)
    train_clips = [c for c in prepared if c.split == "train"]
    plain = WindowDataset(train_clips, config.window_frames, 20, mirror=False, lead=True)
    mirrored = WindowDataset(train_clips, config.window_frames, 20, mirror=True, lead=True)
    sides = []
    for audio, poses in mirrored:
        side = audio[:, -1]
        assert torch.all(side == side[0]) and float(side[0]) == lead_side(poses.numpy())
        sides.append(float(side[0]))
    assert set(sides) == {1.0, -1.0}
    # A window and its mirror image (served one after the other) are told apart by their lead.
    (audio, poses), (audio_m, poses_m) = mirrored[0], mirrored[1]
    np.testing.assert_allclose(poses_m.numpy(), mirror_norm(poses.numpy()), atol=1e-6)
    assert float(audio[0, -1]) == -float(audio_m[0, -1])
    # The other columns are the clip's own.
    audio, _ = plain[0]
    assert torch.equal(audio[:, :-1], torch.from_numpy(train_clips[0].audio[: len(audio), :-1]))


def test_stage_4_with_the_lead_input() -> None:
    stage4, lead = PRESETS["styles-variation"], PRESETS["styles-lead"]
    assert lead.generator == dataclasses.replace(stage4.generator, lead=True)
    # One epoch more (the shipped generator is its epoch 6), and it exports the epoch with the
    # lowest validation FID_k; nothing else changed.
    assert lead.epochs == stage4.epochs + 1
    assert lead.keep == "best" and stage4.keep == "last"
    same = dataclasses.replace(lead, generator=stage4.generator, epochs=stage4.epochs, keep="last")
    assert same == stage4
    assert lead.critic_columns() == stage4.critic_columns()  # the manner, never the lead


def test_stage_4_with_both_critics() -> None:
    lead, both = PRESETS["styles-lead"], PRESETS["styles-both"]
    assert both.generator == lead.generator
    assert both.critic_columns() == both.generator.style_slice  # the first asks for the style
    assert both.manner_columns() == lead.critic_columns()  # the second for the manner
    assert both.epochs == PRESETS["styles-variation"].epochs  # as its ablation run trained
    assert both.losses.manner_classification > 0 and both.losses.style_classification > 0
    assert dataclasses.replace(both.losses, manner_classification=0.0) == lead.losses
    with pytest.raises(ValueError, match="manner_classification loss needs the variation"):
        dataclasses.replace(PRESETS["styles-motion"], losses=both.losses)


def test_stage_4s_critic_reads_the_last_manner_numbers() -> None:
    stage4 = PRESETS["styles-variation"]
    g = stage4.generator
    n = len(g.styles)
    # What the shipped stage 4 trained with: the input's last len(styles) columns.
    assert stage4.critic_columns() == slice(g.audio_input_size - n, g.audio_input_size)
    manner_start = g.style_slice.stop
    assert stage4.critic_columns().start >= manner_start
    as_style = dataclasses.replace(stage4, critic_target="style")
    assert as_style.critic_columns() == g.style_slice
    with pytest.raises(ValueError, match="critic_target"):
        dataclasses.replace(stage4, critic_target="tempo")
    with pytest.raises(ValueError, match="variation input"):
        dataclasses.replace(PRESETS["styles-motion"], critic_target="manner")
