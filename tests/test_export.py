"""Keypoint exports: OpenPose JSON layout, NPZ and paper-format round trips, atomic writes."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from dance.errors import InputError, OutputError
from dance.export import (
    POSE_INFO_NAME,
    export_npz,
    export_openpose_zip,
    export_paper_json,
    export_pose_frames,
    read_npz,
    read_openpose_zip,
    read_paper_json,
    read_pose_frames,
)
from dance.render import LIMB_OPACITY, Framing
from dance.skeleton import JOINT_NAMES, OPENPOSE_COLORS, norm_to_px

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


# Pose frames: ControlNet OpenPose images for pose-to-video models.


@pytest.mark.parametrize("look", ["skeleton", "mannequin"])
def test_pose_frames_match_the_json_keypoints(tiny_dance, tmp_path, look):
    size, fps = (320, 256), 15
    frames_zip = export_pose_frames(
        tiny_dance, tmp_path / "poses.zip", size=size, fps=fps, look=look
    )
    json_zip = export_openpose_zip(tiny_dance, tmp_path / "kp.zip", size=size, fps=fps, look=look)
    frames, info = read_pose_frames(frames_zip)
    xy, width, height = read_openpose_zip(json_zip)
    assert len(frames) == len(xy) == tiny_dance.video_frames(fps) == info["frames"]
    assert (info["fps"], info["width"], info["height"]) == (fps, 320, 256) == (fps, width, height)
    for frame, pose in zip(frames, xy, strict=True):
        assert frame.shape == (256, 320, 3)
        assert tuple(frame[0, 0]) == tuple(frame[-1, -1]) == (0, 0, 0)  # on black
        # Joint j is a disc of OpenPose colour j at the JSON's pixel (a later joint's disc may
        # cover it where two joints meet).
        for j, (x, y) in enumerate(pose):
            px = tuple(frame[int(round(y)), int(round(x))])
            later = [OPENPOSE_COLORS[i] for i in range(j, 18)
                     if np.hypot(*(pose[i] - pose[j])) <= 9]  # fmt: skip
            assert px in later, (j, px)


def test_pose_frames_into_a_folder(tiny_dance, tmp_path):
    folder = export_pose_frames(tiny_dance, tmp_path / "poses", fps=10, size=128)
    names = sorted(p.name for p in folder.iterdir())
    n = tiny_dance.video_frames(10)
    assert names == sorted([POSE_INFO_NAME] + [f"pose_{j:06d}.png" for j in range(n)])
    frames, info = read_pose_frames(folder)
    assert len(frames) == n and frames[0].shape == (128, 128, 3) and info["fps"] == 10
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no scratch left
    with pytest.raises(InputError, match="empty folder"):
        export_pose_frames(tiny_dance, folder)
    with pytest.raises(InputError, match="fps"):
        export_pose_frames(tiny_dance, tmp_path / "x.zip", fps=0)


def test_pose_frames_use_the_annotator_palette_on_black(tiny_dance, tmp_path):
    """Only black, the 18 OpenPose colours and their 60 % limb shades, as ControlNet draws."""
    frames, _ = read_pose_frames(export_pose_frames(tiny_dance, tmp_path / "p.zip", fps=5))
    colours = {tuple(c) for c in frames[0].reshape(-1, 3)}
    allowed = (
        {(0, 0, 0)}
        | set(OPENPOSE_COLORS)
        | {tuple(int(round(v * LIMB_OPACITY)) for v in c) for c in OPENPOSE_COLORS}
    )
    assert colours <= allowed  # no beat marker, no antialiasing: the annotator's palette
