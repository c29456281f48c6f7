"""Drawing: OpenPose colours and orientation, a framed dancer, beat marker, lazy frames."""

from __future__ import annotations

import types

import numpy as np
import pytest

from dance.errors import InputError
from dance.render import (
    BEAT_DECAY_S,
    LIMB_OPACITY,
    Framing,
    beat_pulse,
    canvas_size,
    draw_frames,
    draw_pose,
    parse_color,
    render_frames,
    rgb_to_yuv,
)
from dance.skeleton import JOINT, LIMBS, OPENPOSE_COLORS, px_to_norm

# A front-facing dancer in the paper's 640 x 360 pixels, right arm raised. Facing us, their
# right side is on the image's left: right joints have smaller x than left ones.
FRONT_POSE_PX = np.array(
    [
        (320, 80),  # nose
        (320, 100),  # neck
        (290, 105),  # right shoulder
        (270, 80),  # right elbow
        (265, 50),  # right wrist
        (350, 105),  # left shoulder
        (365, 140),  # left elbow
        (370, 175),  # left wrist
        (302, 190),  # right hip
        (298, 240),  # right knee
        (295, 290),  # right ankle
        (338, 190),  # left hip
        (345, 240),  # left knee
        (350, 290),  # left ankle
        (314, 75),  # right eye
        (326, 75),  # left eye
        (308, 80),  # right ear
        (332, 80),  # left ear
    ],
    dtype=np.float32,
)


def swaying(n_frames: int = 60, amplitude: float = 0.05) -> np.ndarray:
    """(n_frames, 18, 2) normalised: the front pose swaying left and right once a second."""
    pose = px_to_norm(FRONT_POSE_PX)
    sway = amplitude * np.sin(2 * np.pi * np.arange(n_frames) / 30)
    out = np.repeat(pose[None], n_frames, axis=0)
    out[:, :, 0] += sway[:, None]
    return out


def test_canvas_size():
    assert canvas_size(512) == (512, 512)
    assert canvas_size((640, 360)) == (640, 360)
    assert canvas_size((513, 301)) == (512, 300)  # H.264 yuv420p needs even sides
    for bad in (8, 100_000, (512,), (512, 512, 3), 512.5, "512"):
        with pytest.raises(InputError):
            canvas_size(bad)


def test_parse_color():
    assert parse_color("black") == (0, 0, 0)
    assert parse_color("White") == (255, 255, 255)
    assert parse_color("#ff8000") == (255, 128, 0)
    for bad in ("nope", "#12345", "#gg0000"):
        with pytest.raises(InputError, match="colour"):
            parse_color(bad)


def test_front_pose_is_upright_and_not_mirrored():
    framing = Framing.fit(swaying(1, 0), 512)
    xy = framing.to_canvas(px_to_norm(FRONT_POSE_PX))
    frame = draw_pose(xy, (512, 512))
    # The dancer's right wrist is on the image's left, the head above the feet.
    assert xy[JOINT["right_wrist"], 0] < xy[JOINT["left_wrist"], 0]
    assert xy[JOINT["nose"], 1] < xy[JOINT["right_ankle"], 1]
    # Each joint is drawn as a disc of its OpenPose colour.
    for j in (JOINT["right_wrist"], JOINT["left_wrist"], JOINT["right_ankle"], JOINT["nose"]):
        x, y = np.round(xy[j]).astype(int)
        assert tuple(frame[y, x]) == OPENPOSE_COLORS[j]


@pytest.mark.parametrize("background", ["black", "white", "#203040"])
def test_limbs_are_openpose_colours_at_60_percent(background):
    bg = np.array(parse_color(background))
    framing = Framing.fit(swaying(1, 0), 512)
    xy = framing.to_canvas(px_to_norm(FRONT_POSE_PX))
    frame = draw_pose(xy, (512, 512), background=background)
    assert tuple(frame[2, 2]) == tuple(bg)  # a clean background
    # The middle of the lower legs, where no other limb or joint is drawn.
    for i, (a, b) in enumerate(LIMBS):
        if (a, b) not in ((9, 10), (12, 13)):
            continue
        x, y = np.round((xy[a] + xy[b]) / 2).astype(int)
        expected = np.round(bg + (np.array(OPENPOSE_COLORS[i]) - bg) * LIMB_OPACITY)
        np.testing.assert_allclose(frame[y, x], expected, atol=1)


@pytest.mark.parametrize("size", [(512, 512), (640, 360), (256, 448)])
def test_framing_keeps_the_dancer_in_view_and_centred(size):
    poses = swaying(90, 0.3)
    framing = Framing.fit(poses, size)
    xy = framing.to_canvas(poses)
    width, height = size
    assert (xy[..., 0] >= 0).all() and (xy[..., 0] < width).all()
    assert (xy[..., 1] >= 0).all() and (xy[..., 1] < height).all()
    low, high = xy.reshape(-1, 2).min(axis=0), xy.reshape(-1, 2).max(axis=0)
    # Framed: the dancer fills most of the limiting side and sits in the middle.
    fill = (high - low) / np.array(size)
    assert fill.max() > 0.75
    np.testing.assert_allclose((low + high) / 2, np.array(size) / 2, atol=0.02 * max(size))


def test_framing_keeps_proportions():
    framing = Framing.fit(swaying(10), (640, 360))
    pose_px = FRONT_POSE_PX
    xy = framing.to_canvas(px_to_norm(pose_px))
    # The same scale on x and y: distances in the canvas are proportional to the paper's.
    d_canvas = np.linalg.norm(xy[4] - xy[13])
    d_paper = np.linalg.norm(pose_px[4] - pose_px[13])
    d_canvas_x = abs(xy[4, 0] - xy[13, 0])
    d_paper_x = abs(pose_px[4, 0] - pose_px[13, 0])
    assert d_canvas / d_paper == pytest.approx(d_canvas_x / d_paper_x, rel=1e-4)
    assert d_canvas / d_paper == pytest.approx(framing.scale, rel=1e-4)


def test_framing_ignores_a_glitch_frame():
    poses = swaying(300)
    clean = Framing.fit(poses, 512)
    poses[150, JOINT["left_wrist"]] = [0.99, -0.99]  # one frame, one joint, far away
    glitched = Framing.fit(poses, 512)
    assert glitched.scale == pytest.approx(clean.scale, rel=0.02)


def test_framing_of_a_still_pose_is_finite():
    still = np.zeros((20, 18, 2), dtype=np.float32)
    framing = Framing.fit(still, 512)
    assert np.isfinite(framing.scale) and framing.scale > 0
    xy = framing.to_canvas(still)
    np.testing.assert_allclose(xy, 256, atol=1e-3)


def test_beat_pulse():
    fps = 30
    beats = np.array([0.5, 1.0, 1.5])
    pulse = beat_pulse(beats, 60, fps)
    assert pulse.shape == (60,) and pulse.dtype == np.float32
    assert pulse[15] == 1.0 and pulse[30] == 1.0 and pulse[45] == 1.0
    assert pulse[:15].max() == 0.0  # nothing before the first beat
    assert 0 < pulse[16] < 1 and pulse[16] > pulse[17]  # fading
    decayed = int(np.ceil(BEAT_DECAY_S * fps)) + 1
    assert pulse[15 + decayed] == 0.0  # gone before the next beat
    assert beat_pulse(np.array([]), 10).max() == 0.0


def test_beat_marker_flashes_on_beats():
    n = 30
    poses = swaying(n)
    framing = Framing.fit(poses, 256)
    pulse = beat_pulse(np.array([0.5]), n)
    frames = list(draw_frames(framing.to_canvas(poses), (256, 256), pulse=pulse))
    corner = np.array([f[-40:, -40:].astype(int).sum() for f in frames])
    assert corner.argmax() == 15  # brightest on the beat's frame
    assert corner[15] > corner[14] and corner[15] > corner[20]
    plain = list(draw_frames(framing.to_canvas(poses), (256, 256), pulse=None))
    assert plain[15][-40:, -40:].max() == 0  # no marker at all without beats


def test_frames_are_lazy():
    poses = swaying(10_000)
    framing = Framing.fit(poses, 128)
    frames = draw_frames(framing.to_canvas(poses), (128, 128))
    assert isinstance(frames, types.GeneratorType)
    first = next(frames)
    assert first.shape == (128, 128, 3) and first.dtype == np.uint8


def test_nv12_matches_rgb():
    poses = swaying(3)
    framing = Framing.fit(poses, (64, 96))
    xy = framing.to_canvas(poses)
    rgb = list(draw_frames(xy, (64, 96), background="white"))
    nv12 = list(draw_frames(xy, (64, 96), background="white", pix_fmt="nv12"))
    assert len(nv12) == 3
    for a, b in zip(rgb, nv12, strict=True):
        assert b.shape == (64 * 96 * 3 // 2,) and b.dtype == np.uint8
        luma = b[: 64 * 96].reshape(96, 64)
        expected = np.array([[rgb_to_yuv(tuple(px))[0] for px in row] for row in a])
        assert np.abs(luma.astype(int) - expected).max() <= 1


def test_rgb_to_yuv_reference_values():
    assert rgb_to_yuv((0, 0, 0)) == (16, 128, 128)
    assert rgb_to_yuv((255, 255, 255)) == (235, 128, 128)
    y, cb, cr = rgb_to_yuv((255, 0, 0))
    assert (y, cb, cr) == (63, 102, 240)  # BT.709 limited range


def test_render_frames_of_a_dance(tiny_dance):
    frames = list(render_frames(tiny_dance, size=(96, 64), background="white"))
    assert len(frames) == tiny_dance.video_frames()
    assert all(f.shape == (64, 96, 3) for f in frames)
    assert len({f.tobytes() for f in frames}) > len(frames) // 2  # the dancer moves


def test_bad_keypoints_are_a_bug():
    with pytest.raises(ValueError, match="frames, 18, 2"):
        next(draw_frames(np.zeros((3, 17, 2)), (64, 64)))
    with pytest.raises(ValueError, match="NaN"):
        next(draw_frames(np.full((3, 18, 2), np.nan), (64, 64)))
