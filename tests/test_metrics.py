"""Known answers for the motion metrics: FID, diversity, BAS, beat sync, quality, geometry."""

from __future__ import annotations

import numpy as np
import pytest

from dance.errors import InputError
from dance.metrics.beats import (
    alignment_score,
    beat_alignment,
    beat_sync,
    decoy_spans,
    motion_beats,
    octave_ratio,
    similar_tempo,
)
from dance.metrics.common import to_analysis_px, window_slices
from dance.metrics.fid import (
    diversity,
    fid,
    frechet_distance,
    load_reference,
    reference_stats,
    save_reference,
)
from dance.metrics.geometric import GEOMETRIC_NAMES, geometric_features, relations
from dance.metrics.kinetic import N_KINETIC, kinetic_features
from dance.metrics.quality import motion_quality
from dance.skeleton import JOINT, px_to_norm
from evaluation.stats import paired_test
from tests.metrics_synth import STANDING_PX, beat_grid, beat_locked_dance

PERIOD_S = 0.5  # 120 BPM
SECONDS = 20.0


def random_dances(n: int, seed: int, fps: float = 10.0) -> list[np.ndarray]:
    """Dances with random sway tempo, phase, amplitude and direction."""
    rng = np.random.default_rng(seed)
    return [
        beat_locked_dance(
            rng.uniform(0.4, 0.7),
            rng.uniform(0, 0.5),
            SECONDS,
            fps,
            amplitude_px=rng.uniform(10, 30),
            direction=(1.0, rng.uniform(-1, 1)),
        )
        for _ in range(n)
    ]


# FID and diversity -----------------------------------------------------------------------


def test_identical_sets_have_zero_fid():
    feats = np.random.default_rng(0).normal(size=(300, 12)) * np.arange(1, 13)
    assert fid(reference_stats(feats), feats) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_a_shifted_gaussian_is_the_squared_shift_in_std_units():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(20_000, 3))
    ref = reference_stats(real)
    # Shift by 2 std in one feature: |mu|^2 = 4, covariances equal, so FID ~ 4.
    assert fid(ref, real + np.array([2.0, 0.0, 0.0])) == pytest.approx(4.0, rel=0.02)
    # Standardising by the real spread makes FID blind to the units of a feature.
    assert fid(reference_stats(real * 1000), real * 1000 + [2000.0, 0, 0]) == pytest.approx(
        4.0, rel=0.02
    )


def test_frechet_distance_handles_singular_covariances():
    cov = np.diag([1.0, 0.0])
    assert frechet_distance(np.zeros(2), cov, np.zeros(2), cov) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("extract", [kinetic_features, geometric_features])
def test_fid_grows_as_noise_is_added(extract):
    real = np.concatenate([extract(d, 10) for d in random_dances(12, seed=0)])
    ref = reference_stats(real)
    rng = np.random.default_rng(2)
    generated = random_dances(12, seed=1)
    scores = []
    for std in (0.0, 0.003, 0.01, 0.03):
        noisy = [d + rng.normal(0.0, std, d.shape) for d in generated]
        scores.append(fid(ref, np.concatenate([extract(d, 10) for d in noisy])))
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False)), scores
    assert scores[-1] > 10 * scores[0]


def test_diversity_is_zero_for_copies_and_grows_with_spread():
    real = np.random.default_rng(3).normal(size=(100, 5))
    ref = reference_stats(real)
    assert diversity(ref, np.repeat(real[:1], 10, axis=0)) == pytest.approx(0.0)
    assert diversity(ref, real * 2) == pytest.approx(2 * diversity(ref, real))


def test_reference_round_trips(tmp_path):
    ref = reference_stats(np.random.default_rng(4).normal(size=(50, 4)))
    path = save_reference(tmp_path / "ref.safetensors", {"kinetic": ref}, {"note": "test"})
    loaded, meta = load_reference(path)
    assert meta == {"note": "test"}
    np.testing.assert_array_equal(loaded["kinetic"].cov, ref.cov)
    assert loaded["kinetic"].n == 50


# Features at any frame rate ----------------------------------------------------------------


@pytest.mark.parametrize("fps", [10, 25, 30, 60])
def test_features_agree_across_frame_rates(fps):
    dance = beat_locked_dance(PERIOD_S * 2, 0.3, SECONDS, fps)
    base = beat_locked_dance(PERIOD_S * 2, 0.3, SECONDS, 30)
    k, k30 = kinetic_features(dance, fps), kinetic_features(base, 30)
    assert k.shape == k30.shape == (4, N_KINETIC)
    np.testing.assert_allclose(k, k30, rtol=0.15, atol=1.0)
    g, g30 = geometric_features(dance, fps), geometric_features(base, 30)
    np.testing.assert_allclose(g, g30, atol=0.05)


def test_windows_cover_whole_seconds_and_short_dances_still_count():
    assert [s.stop - s.start for s in window_slices(160, 30)] == [150]
    assert window_slices(40, 30) == [slice(0, 40)]


def test_bad_keypoints_are_input_errors():
    with pytest.raises(InputError, match="shape"):
        kinetic_features(np.zeros((50, 17, 2)), 10)
    with pytest.raises(InputError, match="NaN"):
        kinetic_features(np.full((50, 18, 2), np.nan), 10)
    with pytest.raises(InputError, match="under"):
        kinetic_features(np.zeros((5, 18, 2)), 10)


def test_geometric_relations_read_the_pose():
    arms_down = STANDING_PX.copy()
    arms_up = STANDING_PX.copy()
    arms_up[JOINT["right_elbow"]] = (290, 95)
    arms_up[JOINT["right_wrist"]] = (288, 55)
    poses = px_to_norm(np.stack([arms_down] * 15 + [arms_up] * 15))
    rel = relations(to_analysis_px(poses, 30))
    above = rel[:, GEOMETRIC_NAMES.index("right.hand_above_neck")]
    raised = rel[:, GEOMETRIC_NAMES.index("right.arm_raised")]
    left_above = rel[:, GEOMETRIC_NAMES.index("left.hand_above_neck")]
    assert not above[:10].any() and above[-10:].all()
    assert not raised[:10].any() and raised[-10:].all()
    assert not left_above.any()


# Beats ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [10, 25, 30, 60])
def test_speed_minima_on_the_beats_beat_a_half_beat_shift(fps):
    beats = beat_grid(PERIOD_S, 0.25, SECONDS)
    # A full sway cycle is two beats, so the speed is zero on every beat.
    locked = beat_locked_dance(PERIOD_S, 0.25, SECONDS, fps)
    shifted = beat_locked_dance(PERIOD_S, 0.25 + PERIOD_S / 2, SECONDS, fps)
    on = beat_alignment(beats, motion_beats(locked, fps), SECONDS)
    off = beat_alignment(beats, motion_beats(shifted, fps), SECONDS)
    assert on.bas > 0.9 and on.bas_reverse > 0.9
    assert off.bas < 0.05 and off.bas_reverse < 0.05
    assert on.n_motion_beats == pytest.approx(SECONDS / PERIOD_S, abs=2)


def test_alignment_score_known_values():
    assert alignment_score(np.array([1.0]), np.array([1.05]), 0.05) == pytest.approx(np.exp(-0.5))
    assert np.isnan(alignment_score(np.array([1.0]), np.array([]), 0.05))


def test_reverse_bas_punishes_a_dance_that_stops_all_the_time():
    beats = beat_grid(PERIOD_S, 0.25, SECONDS)
    busy = np.arange(0.0, SECONDS, 0.05)  # a motion "beat" every 50 ms
    a = beat_alignment(beats, busy, SECONDS)
    assert a.bas > 0.95 and a.bas_reverse < 0.3


def test_tempo_similarity_allows_octave_errors():
    assert octave_ratio(172.3, 86.1) == pytest.approx(1.0, abs=0.01)
    assert similar_tempo(172.3, 86.1) and similar_tempo(120, 125)
    assert not similar_tempo(120, 90)


def test_decoy_spans_cover_a_long_song_and_rebase_beats():
    beats = beat_grid(PERIOD_S, 0.1, 30)
    spans = decoy_spans("song", beats, 30.0, 20.0, hop_s=5.0)
    assert [s.name for s in spans] == ["song@0s", "song@5s", "song@10s"]
    assert spans[1].beat_times[0] == pytest.approx(0.1)  # 5.1 s rebased to the span start
    assert all(s.duration_s == 20.0 for s in spans)


def sync_tests(pairing: list[int], songs: list[np.ndarray], dances: list[np.ndarray]):
    """Beat-sync difference per dance when dance i is scored against song pairing[i]."""
    results = []
    for i, dance in enumerate(dances):
        own = pairing[i]
        decoys = [
            span
            for j, beats in enumerate(songs)
            if j != own
            for span in decoy_spans(f"song{j}", beats, SECONDS, SECONDS)
        ]
        results.append(beat_sync(motion_beats(dance, 10), songs[own], SECONDS, decoys))
    return results


def test_shuffling_destroys_beat_sync_significance():
    rng = np.random.default_rng(5)
    n = 12
    firsts = rng.uniform(0, PERIOD_S, n)
    periods = rng.uniform(0.45, 0.55, n)  # similar tempo, different songs
    songs = [beat_grid(p, f, SECONDS) for p, f in zip(periods, firsts, strict=True)]
    dances = [beat_locked_dance(p, f, SECONDS, 10) for p, f in zip(periods, firsts, strict=True)]

    own = sync_tests(list(range(n)), songs, dances)
    assert all(r.difference > 0.3 for r in own)
    assert all(r.p_value == pytest.approx(1 / n) for r in own)  # beats all 11 decoys
    test = paired_test([r.difference for r in own])
    assert test.p_value < 0.001 and test.ci_low > 0.3

    shuffled = sync_tests([int(k) for k in np.roll(np.arange(n), 5)], songs, dances)
    test = paired_test([r.difference for r in shuffled])
    assert test.p_value > 0.05
    assert test.mean_difference < 0.05
    assert np.mean([r.p_value for r in shuffled]) > 0.3


# Quality -----------------------------------------------------------------


def test_jitter_and_bone_jumps_flag_noise_and_stretching():
    smooth = beat_locked_dance(1.0, 0.0, SECONDS, 30)
    clean = motion_quality(smooth, 30)
    noisy = motion_quality(smooth + np.random.default_rng(6).normal(0, 0.01, smooth.shape), 30)
    assert clean.jitter < 0.01 and noisy.jitter > 0.3
    assert clean.bone_change_share == 0.0
    stretched = smooth.copy()
    stretched[100:103, JOINT["right_wrist"], 1] += 0.3  # the forearm doubles for 0.1 s
    share = motion_quality(stretched, 30).bone_change_share
    assert 0.0 < share < 0.05
    assert clean.mean_speed_px_s > 0


def test_collapsed_frames_are_counted():
    dance = beat_locked_dance(1.0, 0.0, 10.0, 10)
    assert motion_quality(dance, 10).collapsed_share == 0.0
    dance[40:42] = -1.0  # two frames with the skeleton thrown into the corner
    assert motion_quality(dance, 10).collapsed_share == pytest.approx(2 / dance.shape[0])


def test_still_dance_has_no_jitter_score_and_no_speed():
    still = px_to_norm(np.repeat(STANDING_PX[None], 40, axis=0))
    q = motion_quality(still, 10)
    assert np.isnan(q.jitter) and q.mean_speed_px_s == 0.0
