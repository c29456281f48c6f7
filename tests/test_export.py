"""Keypoint exports: OpenPose JSON layout, NPZ and paper-format round trips, atomic writes."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from dance.errors import InputError, OutputError
from dance.export import (
    export_npz,
    export_openpose_zip,
    export_paper_json,
    read_npz,
    read_openpose_zip,
    read_paper_json,
)
from dance.render import Framing
from dance.skeleton import JOINT_NAMES, norm_to_px

VIDEO_FPS = 30


def test_openpose_zip_layout(tiny_dance, tmp_path):
    path = export_openpose_zip(tiny_dance, tmp_path / "k.zip", size=(640, 360))
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert len(names) == tiny_dance.video_frames(VIDEO_FPS)
        assert names[0] == "frame_000000000000_keypoints.json"
        frame = json.loads(zf.read(names[7]))
        comment = json.loads(zf.comment)
    assert frame["version"] == 1.3
    assert (frame["canvas_width"], frame["canvas_height"]) == (640, 360)
    assert len(frame["people"]) == 1
    person = frame["people"][0]
    assert person["person_id"] == [-1]
    for key in ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d"):
        assert person[key] == []
    xyc = np.array(person["pose_keypoints_2d"]).reshape(18, 3)
    assert (xyc[:, 2] == 1.0).all()
    assert (xyc[:, 0] >= 0).all() and (xyc[:, 0] <= 640).all()
    assert (xyc[:, 1] >= 0).all() and (xyc[:, 1] <= 360).all()
    assert comment["fps"] == VIDEO_FPS and comment["seed"] == tiny_dance.seed


def test_openpose_zip_matches_the_video_framing(tiny_dance, tmp_path):
    path = export_openpose_zip(tiny_dance, tmp_path / "k.zip", size=512)
    xy, width, height = read_openpose_zip(path)
    assert (width, height) == (512, 512)
    expected = Framing.fit(tiny_dance.keypoints, 512).to_canvas(tiny_dance.at_fps(VIDEO_FPS))
    np.testing.assert_allclose(xy, expected, atol=0.006)


def test_npz_round_trip(tiny_dance, tmp_path):
    path = export_npz(tiny_dance, tmp_path / "k.npz")
    with np.load(path) as data:
        keys = set(data.files)
        assert data["keypoints"].shape == (tiny_dance.video_frames(VIDEO_FPS), 18, 2)
        assert int(data["fps"]) == VIDEO_FPS
        np.testing.assert_array_equal(data["keypoints"], tiny_dance.at_fps(VIDEO_FPS))
        assert tuple(data["joint_names"]) == JOINT_NAMES
    assert {
        "keypoints",
        "fps",
        "model_keypoints",
        "model_fps",
        "beat_times",
        "tempo_bpm",
        "seed",
        "start_s",
        "duration_s",
        "joint_names",
    } <= keys
    back = read_npz(path)
    np.testing.assert_array_equal(back.keypoints, tiny_dance.keypoints)
    np.testing.assert_array_equal(back.beat_times, tiny_dance.beat_times)
    assert back.fps == tiny_dance.fps and back.seed == tiny_dance.seed
    assert back.song == tiny_dance.song
    assert back.start_s == tiny_dance.start_s and back.duration_s == tiny_dance.duration_s
    assert back.tempo_bpm == tiny_dance.tempo_bpm


def test_npz_name_is_kept(tiny_dance, tmp_path):
    """numpy adds ".npz" to names without it; the exporter writes exactly the path asked for."""
    path = export_npz(tiny_dance, tmp_path / "keypoints.data")
    assert path.exists() and not (tmp_path / "keypoints.data.npz").exists()


def test_paper_json_round_trip(tiny_dance, tmp_path):
    path = export_paper_json(tiny_dance, tmp_path / "k.json")
    data = json.loads(path.read_text())
    assert (data["width"], data["height"], data["fps"]) == (640, 360, tiny_dance.fps)
    coords = np.array(data["joint_coors"])
    assert coords.shape == tiny_dance.keypoints.shape
    np.testing.assert_allclose(coords, norm_to_px(tiny_dance.keypoints), atol=0.006)
    xy_norm, fps = read_paper_json(path)
    assert fps == tiny_dance.fps
    np.testing.assert_allclose(xy_norm, tiny_dance.keypoints, atol=1e-4)


@pytest.mark.parametrize(
    "export", [export_openpose_zip, export_npz, export_paper_json], ids=["zip", "npz", "json"]
)
def test_unwritable_export(tiny_dance, tmp_path, export):
    with pytest.raises(OutputError, match="does not exist"):
        export(tiny_dance, tmp_path / "missing" / "out")
    assert list(tmp_path.iterdir()) == []


def test_readers_reject_other_files(tmp_path):
    junk = tmp_path / "junk"
    junk.write_text("not keypoints")
    for reader in (read_npz, read_openpose_zip, read_paper_json):
        with pytest.raises(InputError, match="junk"):
            reader(junk)
