"""The per-style evaluation's measures: body statistics, the style classifier, loudness."""

from __future__ import annotations

import numpy as np
import pytest

from dance.audio import SAMPLE_RATE
from dance.metrics.suite import make_music
from dance.skeleton import JOINT, px_to_norm
from evaluation.styles import (
    StyleClassifier,
    body_stats,
    contact_sheets,
    loudness_follow,
    window_descriptor,
    windows,
)

from ..conftest import synth_song

STANDING_PX = {
    "nose": (320, 110),
    "neck": (320, 130),
    "right_shoulder": (300, 130),
    "right_elbow": (290, 160),
    "right_wrist": (285, 190),
    "left_shoulder": (340, 130),
    "left_elbow": (350, 160),
    "left_wrist": (355, 190),
    "right_hip": (310, 200),
    "right_knee": (310, 260),
    "right_ankle": (310, 320),
    "left_hip": (330, 200),
    "left_knee": (330, 260),
    "left_ankle": (330, 320),
    "right_eye": (315, 105),
    "left_eye": (325, 105),
    "right_ear": (310, 108),
    "left_ear": (330, 108),
}


def dance_px(frames: int = 100, arms_up: bool = False, hz: float = 1.0) -> np.ndarray:
    px = np.zeros((frames, 18, 2))
    for name, xy in STANDING_PX.items():
        px[:, JOINT[name]] = xy
    if arms_up:  # wrists 20 px above the shoulders, 90 px apart each side
        px[:, JOINT["right_wrist"]] = (230, 110)
        px[:, JOINT["left_wrist"]] = (410, 110)
    t = np.arange(frames) / 10
    px[:, :, 0] += 10 * np.sin(2 * np.pi * hz * t)[:, None]
    return px


def test_body_stats_in_torso_lengths() -> None:
    torso = 70.0  # neck (320, 130) to hip centre (320, 200)
    down = body_stats([px_to_norm(dance_px())], 10)
    up = body_stats([px_to_norm(dance_px(arms_up=True))], 10)
    assert down.wrist_spread == pytest.approx(70 / torso, rel=0.02)
    assert down.wrist_height == pytest.approx(-60 / torso, rel=0.02)
    assert up.wrist_spread == pytest.approx(180 / torso, rel=0.02)
    assert up.wrist_height == pytest.approx(20 / torso, rel=0.02)
    # Every joint sways alike, so the ankles move as fast as the joints on average.
    assert down.ankle_speed == pytest.approx(down.joint_speed, rel=0.02) and down.joint_speed > 0


def test_classifier_tells_two_kinds_of_motion_apart() -> None:
    rng = np.random.default_rng(0)

    def noisy(**kw: object) -> np.ndarray:
        return px_to_norm(dance_px(200, **kw) + rng.normal(0, 1.0, (200, 18, 2)))

    clf = StyleClassifier(["low", "high"]).fit(
        {"low": [noisy(hz=0.5), noisy(hz=0.6)], "high": [noisy(arms_up=True, hz=2.0)]}
    )
    assert (clf.predict(noisy(hz=0.55)) == 0).mean() > 0.9
    assert (clf.predict(noisy(arms_up=True, hz=1.9)) == 1).mean() > 0.9
    assert clf.predict(noisy()[:20]).size == 0  # shorter than a window


def test_windows_and_descriptor_shapes() -> None:
    poses = px_to_norm(dance_px(120))
    ws = windows(poses)
    assert len(ws) == 8 and ws[0].shape == (50, 18, 2)
    assert window_descriptor(ws[0]).shape == (36 + 36 + 36 + 12,)


def test_loudness_follow_tells_a_dance_that_livens_with_the_song() -> None:
    music = synth_song(20.0, SAMPLE_RATE, 1)[:, 0]
    music[music.size // 2 :] *= 4.0  # quiet, then 12 dB louder
    song = make_music("song", music)
    frames = 200
    t = np.arange(frames) / 10
    amplitude = np.where(t < 10, 5.0, 30.0)  # px: small moves, then big ones
    px = dance_px(frames)
    px[:, :, 0] += (amplitude * np.sin(2 * np.pi * 1.0 * t))[:, None]
    lively_late = px_to_norm(px)
    assert loudness_follow(lively_late, song) > 0.8
    px = dance_px(frames)
    px[:, :, 0] += (amplitude[::-1] * np.sin(2 * np.pi * 1.0 * t))[:, None]
    assert loudness_follow(px_to_norm(px), song) < -0.8


def test_contact_sheets_draw_the_seed_asked_for(tmp_path) -> None:
    """Run with --seeds 3 4 5, the sheets draw seed 3's dances (there is no seed 0 to draw)."""
    from PIL import Image

    still = px_to_norm(dance_px(60)).astype(np.float32)
    arms_up = px_to_norm(dance_px(60, arms_up=True)).astype(np.float32)
    both = {s: [("song", 3, still), ("song", 4, arms_up)] for s in ("waltz", "street")}
    only_3 = {s: [("song", 3, still)] for s in ("waltz", "street")}

    def sheet(dances, seed: int, name: str) -> np.ndarray:
        (tmp_path / name).mkdir()
        (path,) = contact_sheets(dances, ["song"], tmp_path / name, 10.0, seed=seed)
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))

    drawn_3 = sheet(both, 3, "a")
    np.testing.assert_array_equal(drawn_3, sheet(only_3, 3, "b"))
    assert not np.array_equal(drawn_3, sheet(both, 4, "c"))
