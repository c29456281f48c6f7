"""Each data loader on a tiny file in its format: shapes, rates, audio alignment, orientation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dance.audio import MODEL_FPS, SAMPLES_PER_FRAME
from dance.skeleton import JOINT, norm_to_px
from tests.train.synthetic import mocap_motion
from train.config import PRESETS
from train.data import (
    WindowDataset,
    load_aist_pickle,
    load_ballroom,
    load_clips,
    load_g1moves,
    load_paper_json,
    prepare,
)


def assert_upright_front_view(poses: np.ndarray) -> None:
    """Head above hips above ankles; the dancer's right side on the image's left."""
    px = norm_to_px(poses)
    assert np.all(px[:, JOINT["nose"], 1] < px[:, JOINT["neck"], 1])
    assert np.all(px[:, JOINT["neck"], 1] < px[:, JOINT["right_hip"], 1])
    assert np.all(px[:, JOINT["right_hip"], 1] < px[:, JOINT["right_knee"], 1])
    assert np.all(px[:, JOINT["right_knee"], 1] < px[:, JOINT["right_ankle"], 1])
    assert np.all(px[:, JOINT["right_shoulder"], 0] < px[:, JOINT["left_shoulder"], 0])
    assert np.all(px[:, JOINT["right_hip"], 0] < px[:, JOINT["left_hip"], 0])


def test_ballroom_loader(ballroom_dir: Path) -> None:
    clips = load_ballroom(ballroom_dir)
    assert [c.name for c in clips] == ["DANCE_C_1", "DANCE_R_1", "DANCE_W_1", "DANCE_W_2"]
    assert {c.name: c.split for c in clips}["DANCE_W_2"] == "val"
    for clip in clips:
        assert clip.fps == MODEL_FPS
        assert clip.poses.shape[0] == pytest.approx(12.0 * MODEL_FPS, abs=1)
        assert clip.audio is not None
        assert clip.audio.shape == (clip.poses.shape[0] * SAMPLES_PER_FRAME,)
        assert np.all(np.abs(clip.poses) < 1)  # inside the paper's frame
        assert_upright_front_view(clip.poses)
        px = norm_to_px(clip.poses)
        # Travel is removed: the body stays at the horizontal centre of the frame.
        assert np.abs(px[:, JOINT["neck"], 0] - 320).max() < 20
        # Proportions: shoulders about 30 cm apart, a 1.6 m tall figure at 150 px/m.
        shoulders = px[:, JOINT["left_shoulder"], 0] - px[:, JOINT["right_shoulder"], 0]
        assert np.median(shoulders) == pytest.approx(0.30 * 150, rel=0.1)
    only_val = load_ballroom(ballroom_dir, split="val")
    assert [c.name for c in only_val] == ["DANCE_W_2"]


def test_ballroom_turned_dancer_is_still_seen_from_the_front(tmp_path: Path) -> None:
    folder = tmp_path / "DANCE_W_9"
    folder.mkdir()
    joints, center = mocap_motion(6.0, yaw_deg=140.0)
    np.savez_compressed(
        folder / "motion.npz",
        joints=joints,
        center=center,
        fps=np.int32(25),
        genre=np.str_("waltz"),
        source_span=np.array([0, len(joints)], np.int32),
    )
    sf.write(folder / "audio.ogg", np.zeros(6 * 22050, np.float32) + 0.01, 22050)
    (tmp_path / "dances.csv").write_text(
        "name,genre,frames,seconds,split\nDANCE_W_9,waltz,150,6,train\n"
    )
    clip = load_ballroom(tmp_path)[0]
    assert_upright_front_view(clip.poses)


def test_paper_json_loader(paper_json: Path) -> None:
    clips = load_paper_json(paper_json)
    names = {c.name: c for c in clips}
    # Two consecutive clips of video 000 join into 20 s; the broken third one is skipped.
    assert set(names) == {"clean/000", "clean/047"}
    joined = names["clean/000"]
    assert joined.poses.shape == (200, 18, 2) and joined.split == "train"
    assert joined.audio is not None and joined.audio.shape == (200 * SAMPLES_PER_FRAME,)
    assert np.abs(joined.audio).max() < 1.0  # int16 range scaled to [-1, 1]
    assert names["clean/047"].split == "val"
    # The undetected joint (0, 0) is filled from its neighbours in time, not left at (-1, -1).
    assert not np.any(np.all(joined.poses == -1.0, axis=-1))


def test_aist_loader(aist_pickle: Path) -> None:
    clip = load_aist_pickle(aist_pickle)
    assert clip.audio is None and clip.fps == MODEL_FPS
    assert clip.poses.shape == (40, 18, 2)  # 4 s at 10 fps
    assert clip.genre == "break"
    assert_upright_front_view(clip.poses)
    px = norm_to_px(clip.poses)
    assert np.abs(px[:, JOINT["neck"], 0] - 320).max() < 5  # travel to the right removed
    assert np.all(np.isfinite(clip.poses))


def test_g1moves_loader(g1_dir: Path) -> None:
    clips = load_g1moves(g1_dir)
    assert len(clips) == 1
    clip = clips[0]
    assert clip.audio is None and clip.split == "val"
    assert clip.poses.shape[0] == pytest.approx(60, abs=1)
    assert_upright_front_view(clip.poses)


def test_windows_and_model_input(ballroom_dir: Path, tmp_path: Path) -> None:
    config = PRESETS["tiny"].generator
    prepared = prepare(load_clips(ballroom_dir), config, tmp_path / "cache")
    assert all(p.audio.shape == (p.poses.shape[0], config.audio_input_size) for p in prepared)
    assert list((tmp_path / "cache").glob("*.npy")), "features are cached"
    again = prepare(load_clips(ballroom_dir), config, tmp_path / "cache")
    np.testing.assert_array_equal(prepared[0].audio, again[0].audio)
    ds = WindowDataset(prepared, window=20, stride=10, mirror=True)
    audio, poses = ds[1]
    assert audio.shape == (20, config.audio_input_size) and poses.shape == (20, 18, 2)
    # Item 1 is item 0 mirrored: the same music, the skeleton flipped left-right.
    _, original = ds[0]
    np.testing.assert_allclose(poses[:, 2, 0].numpy(), -original[:, 5, 0].numpy(), atol=1e-6)
