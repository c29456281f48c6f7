"""Looks: every look makes a valid video, the same frames twice, a body that stays in frame."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import dance
from dance.cli import main
from dance.generate import Dance
from dance.looks import LOOKS, UnknownLookError, figure, get_look
from dance.render import fit_framing, render_frames, rgb_to_yuv
from dance.skeleton import JOINT, px_to_norm
from tests.test_render import FRONT_POSE_PX, swaying

BODY_LOOKS = [name for name, look in LOOKS.items() if look.reach > 0]


def as_dance(xy_norm: np.ndarray, song: Path = Path("none.wav"), fps: int = 10) -> Dance:
    """A Dance around given poses, beats every half second."""
    duration = len(xy_norm) / fps
    return Dance(
        keypoints=np.asarray(xy_norm, dtype=np.float32),
        fps=fps,
        seed=0,
        song=song,
        start_s=0.0,
        duration_s=duration,
        tempo_bpm=120.0,
        beat_times=np.arange(0.25, duration, 0.5),
    )


def extreme_poses() -> np.ndarray:
    """(frames, 18, 2) normalised: arms up, the splits, a crouch, lying down, limbs to the
    paper frame's corners, a figure folded onto one point, each held for 4 model frames."""
    base = px_to_norm(FRONT_POSE_PX)
    poses = []
    up = base.copy()
    for side in ("right", "left"):
        sign = -1 if side == "right" else 1
        up[JOINT[f"{side}_elbow"]] = base[JOINT[f"{side}_shoulder"]] + [0.05 * sign, -0.3]
        up[JOINT[f"{side}_wrist"]] = base[JOINT[f"{side}_shoulder"]] + [0.08 * sign, -0.6]
    poses.append(up)
    splits = base.copy()
    splits[JOINT["right_knee"]] += [-0.2, -0.1]
    splits[JOINT["right_ankle"]] += [-0.45, -0.2]
    splits[JOINT["left_knee"]] += [0.2, -0.1]
    splits[JOINT["left_ankle"]] += [0.45, -0.2]
    poses.append(splits)
    crouch = base.copy()
    crouch[[JOINT["right_knee"], JOINT["left_knee"]]] += [0, -0.2]
    crouch[:9] += [0, 0.3]
    crouch[14:] += [0, 0.3]
    crouch[[JOINT["right_hip"], JOINT["left_hip"]]] += [0, 0.3]
    poses.append(crouch)
    lying = base.copy()
    centre = lying.mean(axis=0)
    lying = centre + (lying - centre) @ np.array([[0, 1], [-1, 0]]) * [1, 9 / 16]
    poses.append(lying)
    corners = base.copy()
    corners[JOINT["right_wrist"]] = [-1, -1]
    corners[JOINT["left_wrist"]] = [1, -1]
    corners[JOINT["right_ankle"]] = [-1, 1]
    corners[JOINT["left_ankle"]] = [1, 1]
    poses.append(corners)
    poses.append(np.zeros_like(base))  # every joint on one point: nothing to divide by
    return np.repeat(np.stack(poses), 4, axis=0).astype(np.float32)


def test_registry_and_unknown_look():
    assert {"skeleton", "mannequin", "stage"} <= set(LOOKS)
    assert dance.look_names()[0] == dance.DEFAULT_LOOK == "skeleton"
    assert get_look("Mannequin").name == "mannequin"
    with pytest.raises(UnknownLookError, match="unknown look 'cartoon'.*skeleton, mannequin"):
        get_look("cartoon")
    assert issubclass(UnknownLookError, dance.InputError)
    assert issubclass(UnknownLookError, dance.DanceError)


def test_unknown_look_in_the_api_writes_nothing(tiny_dance, tmp_path):
    out = tmp_path / "d.mp4"
    with pytest.raises(UnknownLookError):
        dance.render_video(tiny_dance, out, look="cartoon")
    assert list(tmp_path.iterdir()) == []


def test_unknown_look_in_the_cli(capsys, tmp_path, song_4s):
    code = main(["generate", str(song_4s), "-o", str(tmp_path / "d.mp4"), "--look", "cartoon"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "unknown look 'cartoon'" in err and "mannequin" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_lists_the_looks(capsys):
    assert main(["looks"]) == 0
    out = capsys.readouterr().out
    for name, look in LOOKS.items():
        assert f"{name} " in out and look.summary in out


@pytest.mark.slow
@pytest.mark.parametrize("look", list(LOOKS))
def test_each_look_makes_a_valid_mp4_of_the_right_length(tiny_dance, tmp_path, look):
    stats = dance.render_video(tiny_dance, tmp_path / f"{look}.mp4", look=look, size=(320, 240))
    info = dance.probe(stats.path)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert (info.video_streams, info.audio_streams) == (1, 1)
    assert (info.width, info.height) == (320, 240)
    assert info.duration_s == pytest.approx(tiny_dance.duration_s, abs=1 / 30 + 0.02)
    assert stats.frames == tiny_dance.video_frames(30)


@pytest.mark.parametrize("look", list(LOOKS))
def test_same_dance_same_frames_other_dance_other_frames(tiny_dance, look):
    def frames(d):
        return np.stack(list(render_frames(d, look=look, size=160)))

    first, again = frames(tiny_dance), frames(tiny_dance)
    assert first.shape == (tiny_dance.video_frames(30), 160, 160, 3)
    np.testing.assert_array_equal(first, again)
    moved = replace(tiny_dance, keypoints=tiny_dance.keypoints[::-1].copy())
    assert not np.array_equal(first, frames(moved))


@pytest.mark.parametrize("look", list(LOOKS))
def test_native_frames_match_rgb(tiny_dance, look):
    """What video.py pipes to ffmpeg is the same picture as the RGB frames."""
    spec = get_look(look)
    rgb = next(iter(render_frames(tiny_dance, look=look, size=128)))
    native = next(iter(render_frames(tiny_dance, look=look, size=128, pix_fmt=spec.pix_fmt)))
    assert spec.pix_fmt == "nv12"
    assert native.dtype == np.uint8 and native.shape == (128 * 128 * 3 // 2,)
    if look not in BODY_LOOKS:
        return  # the skeleton draws its chroma at half size, so edges differ by design
    # The body looks draw in YCbCr: the same picture as the RGB frame, converted (BT.709,
    # limited range) and its chroma averaged over 2x2 pixels, within rounding.
    black, axes = np.array(rgb_to_yuv((0, 0, 0)), float), np.eye(3) * 255
    matrix = np.array([rgb_to_yuv(tuple(int(v) for v in row)) for row in axes], float) - black
    expected = black + rgb.astype(float) / 255 @ matrix
    luma = native[: 128 * 128].reshape(128, 128).astype(float)
    chroma = native[128 * 128 :].reshape(64, 64, 2).astype(float)
    expected_chroma = expected[..., 1:].reshape(64, 2, 64, 2, 2).mean(axis=(1, 3))
    assert np.abs(luma - expected[..., 0]).max() <= 4
    assert np.abs(luma - expected[..., 0]).mean() <= 1.5
    assert np.abs(chroma - expected_chroma).max() <= 4
    assert np.abs(chroma - expected_chroma).mean() <= 1.0


def test_canvas_nv12_layout():
    """Canvas.frame("nv12") gives the Y plane, then Cb, Cr interleaved, 2x2 means."""
    from dance.looks.canvas import Canvas

    canvas = Canvas((4, 2), "nv12")
    canvas.pixels[:] = 255
    # Two 2x2 blocks; in memory each pixel is Cb, Y, Cr, alpha.
    canvas.pixels[:, :2, :3] = [[[100, 16, 200], [102, 17, 202]], [[104, 18, 204], [106, 19, 206]]]
    canvas.pixels[:, 2:, :3] = [10, 235, 20]
    frame = canvas.frame()
    assert frame[:8].tolist() == [16, 17, 235, 235, 18, 19, 235, 235]
    assert frame[8:].tolist() == [103, 203, 10, 20]


@pytest.mark.parametrize("look", BODY_LOOKS)
@pytest.mark.parametrize("size", [(256, 256), (320, 180), (180, 320)])
def test_body_stays_inside_the_frame_on_extreme_poses(look, size):
    poses = extreme_poses()
    d = as_dance(poses)
    framing = fit_framing(d, size, look)
    xy = framing.to_canvas(d.at_fps(30))
    body = figure.build_body(xy, 30)
    low, high = figure.extent(body)
    # Everything drawn (limbs, head, torso, plus the widest outline or glow around them).
    pad = 0.1 * body.unit
    assert (low - pad >= 0).all() and (high + pad <= np.array(size)).all()
    # ... and there is room around it: the figure is not squeezed against an edge.
    assert (low.min(axis=0) > 0.03 * np.array(size)).all()
    assert (high.max(axis=0) < 0.97 * np.array(size)).all()
    # Pixels: on a plain background without beats, the frame's edge is untouched.
    bg = (16, 32, 48)
    for frame in render_frames(d, look=look, size=size, background="#102030", show_beats=False):
        edge = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
        if look == "mannequin":  # the stage's lights reach the edges by design
            assert (edge == bg).all()
        assert np.isfinite(frame).all()


def test_framing_keeps_room_for_a_body():
    d = as_dance(swaying(40, 0.1))
    skeleton = fit_framing(d, 256, "skeleton")
    for look in BODY_LOOKS:
        assert fit_framing(d, 256, look).scale < 0.85 * skeleton.scale


def test_near_side_does_not_flicker():
    """A facing cue that wobbles around zero keeps one draw order; a real turn swaps it."""
    wobble = 0.1 * np.sin(np.arange(300) * 1.3)
    assert len(set(figure._near_right(wobble).tolist())) == 1
    turn = np.concatenate([np.full(50, -0.6), np.linspace(-0.6, 0.6, 50), np.full(50, 0.6)])
    near = figure._near_right(turn)
    assert not near[0] and near[-1] and np.count_nonzero(np.diff(near.astype(int))) == 1


def test_draw_order_far_limbs_first():
    order = figure.draw_order(near_right=True)
    assert order[0] == "arm_left" and order[-1] == "arm_right"
    assert order.index("leg_left") < order.index("leg_right") < order.index("torso")
    assert figure.draw_order(near_right=False)[-1] == "arm_left"


def test_turning_head_follows_the_nose():
    """Facing image-right when the nose is right of the ears, left when left."""
    pose = FRONT_POSE_PX.copy()
    right, left = pose.copy(), pose.copy()
    right[JOINT["nose"], 0] += 12
    left[JOINT["nose"], 0] -= 12
    xy = np.stack([right] * 10 + [left] * 10)
    body = figure.build_body(xy, 30)
    assert body.facing[2] > 0.5 and body.facing[-2] < -0.5
    assert body.near_right[2] and not body.near_right[-2]
    # The face sits on the side the head turns to.
    assert body.face[2, 0] > body.head[2, 0] > body.face[-2, 0]
