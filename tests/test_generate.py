"""Generation: seeding, frame counts, value ranges, and no visible seam where windows meet."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from dance.analysis import n_pose_frames
from dance.errors import InputError, ModelError, NoTrainedModelError
from dance.generate import generate
from dance.model import Generator, GeneratorConfig, load_model, save_checkpoint
from dance.motion import VIDEO_FPS, blend_weights, blend_windows, window_starts

from .conftest import TINY

# The module, not the function `dance.generate` that the package exports under the same name.
generate_module = sys.modules["dance.generate"]

SEAM_TOLERANCE = 1.15  # joint speed at seams may exceed the speed elsewhere by this factor
HARD_CUT_RATIO = 1.3  # ...while cutting windows without cross-fading must exceed this one


@pytest.fixture(scope="module", params=["raw", "features"])
def model(request, checkpoints):
    return load_model(checkpoints[request.param])


def test_same_seed_same_dance(model, song_4s):
    a = generate(model, song_4s, seed=7)
    b = generate(model, song_4s, seed=7)
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    np.testing.assert_array_equal(a.at_fps(), b.at_fps())


def test_different_seeds_differ(model, song_4s):
    a = generate(model, song_4s, seed=1).keypoints
    b = generate(model, song_4s, seed=2).keypoints
    # Visibly different: the joints sit, on average, over a pixel apart in the 640 x 360 frame.
    mean_px = np.abs(a - b).mean() * 180
    assert mean_px > 1.0


def test_frame_counts(model, song_4s):
    dance = generate(model, song_4s, seed=0, start=0.5, seconds=2.5)
    assert dance.duration_s == pytest.approx(2.5)
    assert dance.fps == model.config.fps
    # Model frames cover [0, duration] inclusive; the video has duration * fps frames.
    assert dance.keypoints.shape == (n_pose_frames(2.5, dance.fps), 18, 2)
    assert dance.video_frames(VIDEO_FPS) == round(2.5 * VIDEO_FPS)
    assert dance.at_fps(VIDEO_FPS).shape == (round(2.5 * VIDEO_FPS), 18, 2)


def test_values_finite_and_in_range(model, song_4s):
    dance = generate(model, song_4s, seed=3)
    for xy in (dance.keypoints, dance.at_fps()):
        assert np.isfinite(xy).all()
        assert np.abs(xy).max() <= 1.0 + 1e-6


def test_result_carries_the_music(model, song_4s):
    dance = generate(model, song_4s, seed=0)
    assert dance.tempo_bpm == pytest.approx(120, rel=0.05)
    assert dance.beat_times.size >= 6
    assert np.all((dance.beat_times >= 0) & (dance.beat_times <= dance.duration_s))
    assert set(dance.timings) == {"decode", "analysis", "model"}


@pytest.mark.parametrize("seed", [-1, 1.5, float("nan"), "abc", True])
def test_bad_seed(tiny_model, song_4s, seed):
    with pytest.raises(InputError, match="seed"):
        generate(tiny_model, song_4s, seed=seed)


def _seam_ratio(keypoints: np.ndarray, window: int, overlap: int) -> float:
    """Mean joint speed in the frames where windows meet, over the mean speed elsewhere.

    The seam zone of each window after the first is its overlap with the previous one plus
    the frame step into it, where a hard cut would show. Windows are laid over the span with
    EDGE_FRAMES of lead-in and lead-out, so they start EDGE_FRAMES before the output's frame 0.
    """
    n = len(keypoints)
    edge = generate_module.EDGE_FRAMES
    speed = np.linalg.norm(np.diff(keypoints, axis=0), axis=-1).mean(axis=1)  # step k -> k+1
    seam = np.zeros(n - 1, dtype=bool)
    for padded_start in window_starts(n + 2 * edge, window, overlap)[1:]:
        start = padded_start - edge
        seam[max(start - 1, 0) : max(start + max(overlap, 1), 0)] = True
    assert seam.any() and (~seam).any()
    return float(speed[seam].mean() / speed[~seam].mean())


@pytest.mark.slow
def test_no_jump_at_window_seams(model, song_long, monkeypatch):
    window = model.config.window_frames
    overlap = int(round(window * generate_module.OVERLAP_FRACTION))
    dance = generate(model, song_long, seed=5)
    assert len(window_starts(len(dance.keypoints), window, overlap)) > 20
    assert generate_module.EDGE_FRAMES > 0  # the seams are offset by the lead-in
    assert _seam_ratio(dance.keypoints, window, overlap) <= SEAM_TOLERANCE

    # The measure has teeth: cutting the same song into windows without cross-fading shows.
    monkeypatch.setattr(generate_module, "OVERLAP_FRACTION", 0.0)
    cut = generate(model, song_long, seed=5)
    assert _seam_ratio(cut.keypoints, window, 0) > HARD_CUT_RATIO


def test_window_tails_are_left_out_of_the_cross_fade():
    """Every window but the last ends in frames that are garbage; with drop_tail they never
    reach the blend, which then equals the clean signal everywhere."""
    n_frames, window, overlap, drop = 130, 50, 20, 3
    starts = window_starts(n_frames, window, overlap)
    assert len(starts) == 4  # the last is moved back and overlaps its neighbour by more
    clean = np.sin(np.arange(n_frames) / 7.0)[:, None]
    outputs = np.stack([clean[s : s + window] for s in starts]).copy()
    outputs[:-1, window - drop :] = 1e3
    blended = blend_windows(outputs, starts, n_frames, overlap, drop_tail=drop)
    np.testing.assert_allclose(blended, clean, atol=1e-5)
    # Without leaving them out the garbage shows.
    assert np.abs(blend_windows(outputs, starts, n_frames, overlap) - clean).max() > 1.0


def test_blend_weights_fade_out_before_the_tail():
    w = blend_weights(50, 20, first=False, last=False, drop_tail=3)
    assert np.all(w[-3:] == 0) and np.all(w[:-3] > 0)
    assert np.all(np.diff(w[30:47]) < 0) and np.all(np.diff(w[:17]) > 0)
    # The fade-out of one window and the fade-in of the next add up to one over their overlap.
    np.testing.assert_allclose(w[30:50] + w[:20], 1.0)
    last = blend_weights(50, 20, first=False, last=True, drop_tail=3)
    assert last[-1] == 1.0  # the song's own end is hidden by EDGE_FRAMES instead
    for bad in (-1, 20, 25):
        with pytest.raises(ValueError, match="drop_tail"):
            blend_weights(50, 20, first=False, last=False, drop_tail=bad)


def test_generation_never_shows_a_windows_unsettled_tail(tiny_model, song_long, monkeypatch):
    """Corrupting the last UNSETTLED_TAIL_FRAMES of every window the network returns leaves
    the dance unchanged."""
    clean = generate(tiny_model, song_long, seed=4, seconds=20).keypoints
    drop = generate_module.UNSETTLED_TAIL_FRAMES
    assert 0 < drop < generate_module.EDGE_FRAMES
    make_forward = generate_module._torch_forward

    def corrupting(model, n_frames, seed):
        forward, noise = make_forward(model, n_frames, seed)

        def corrupted(a, z):
            out = forward(a, z)
            out[:, -drop:] = 0.9
            return out

        return corrupted, noise

    monkeypatch.setattr(generate_module, "_torch_forward", corrupting)
    corrupted = generate(tiny_model, song_long, seed=4, seconds=20).keypoints
    np.testing.assert_allclose(corrupted, clean, atol=1e-6)


def test_untrained_checkpoint_refused(tmp_path):
    path = save_checkpoint(Generator(GeneratorConfig(**TINY)), tmp_path / "g.safetensors", {})
    with pytest.raises(NoTrainedModelError, match="never trained"):
        load_model(path)
    assert load_model(path, require_trained=False).config.window_frames == TINY["window_frames"]


def test_missing_default_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCE_CHECKPOINT", str(tmp_path / "absent.safetensors"))
    with pytest.raises(NoTrainedModelError, match="no trained model is installed"):
        load_model()


def test_corrupt_checkpoint(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="bad.safetensors"):
        load_model(path)
