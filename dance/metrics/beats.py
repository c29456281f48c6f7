"""Beat alignment: motion beats, the Beat Alignment Score both ways, and its significance test.

Conventions follow ../shared/data/ballroom/measure_beats.py, made rate-independent:

* music beats are given (dance.analysis.analyse finds them), in seconds from the dance's start;
* motion speed is the per-frame displacement of all 18 joints in pixels, averaged over joints,
  at ANALYSIS_FPS, smoothed with a Gaussian of SPEED_SMOOTH_S (measure_beats.py uses 1.5
  frames at 25 fps, the same 60 ms); speed sample k lies between frames k and k + 1, so a
  local minimum there is a motion beat at (k + 0.5) / ANALYSIS_FPS;
* BAS = mean over music beats of exp(-d^2 / (2 sigma^2)), d the distance to the nearest motion
  beat, sigma = BAS_SIGMA_S; the reverse form takes the mean over motion beats instead, which
  punishes a dance that is always stopping (many minima match any beat grid);
* significance: the same motion scored against its own music versus against other songs of
  similar tempo ("decoys"), each pair on the common length (see beat_sync).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from .common import ANALYSIS_FPS, to_analysis_px

BAS_SIGMA_S = 0.05  # the tolerance of the Beat Alignment Score (Bailando, AIST++)
SPEED_SMOOTH_S = 0.06  # Gaussian sigma on mean joint speed before finding its minima
TEMPO_TOLERANCE = 0.08  # decoy tempo within 8 % of the own tempo, after octave folding
DECOY_HOP_S = 5.0  # a long decoy song is used from 0, 5, 10, ... s: more decoys per song


@dataclass(frozen=True)
class BeatAlignment:
    """How a dance's motion beats line up with its music beats.

    Attributes:
        bas: mean over music beats of the Gaussian score of the nearest motion beat.
        bas_reverse: the same, over motion beats against the nearest music beat.
        n_music_beats: music beats within the dance.
        n_motion_beats: motion beats found.
    """

    bas: float
    bas_reverse: float
    n_music_beats: int
    n_motion_beats: int


@dataclass(frozen=True)
class Decoy:
    """A span of another song used as a wrong-music control.

    Attributes:
        name: the song, with the span's start, e.g. "DANCE_W_11@10s".
        beat_times: its beats in seconds from the span's start.
        duration_s: the span's length.
    """

    name: str
    beat_times: np.ndarray
    duration_s: float


@dataclass(frozen=True)
class BeatSync:
    """BAS against the dance's own music compared with BAS against decoy songs.

    Attributes:
        own: BAS against the own music (full length).
        decoy_mean: mean BAS against the decoys.
        difference: mean over decoys of (own - decoy), each pair on their common length.
        p_value: one-sided rank p-value, (1 + #decoys scoring >= own) / (1 + n_decoys).
        n_decoys: how many decoy spans were used.
    """

    own: float
    decoy_mean: float
    difference: float
    p_value: float
    n_decoys: int


def motion_speed(keypoints: np.ndarray, fps: float) -> np.ndarray:
    """Smoothed mean joint speed in px/s at ANALYSIS_FPS, shape (frames' - 1,).

    Sample k is the speed between analysis frames k and k + 1, at time (k + 0.5) / ANALYSIS_FPS.
    """
    px = to_analysis_px(keypoints, fps)
    speed = np.linalg.norm(np.diff(px, axis=0), axis=-1).mean(axis=1) * ANALYSIS_FPS
    return gaussian_filter1d(speed, SPEED_SMOOTH_S * ANALYSIS_FPS, mode="nearest")


def speed_minima_times(speed: np.ndarray) -> np.ndarray:
    """Times (s) of the local minima of a motion_speed curve.

    A flat minimum (equal neighbouring samples, as when the true minimum falls exactly on a
    frame) counts once, at its centre; measure_beats.py's strict test would miss it.
    """
    _, plateaus = find_peaks(-speed, plateau_size=1)
    centre = 0.5 * (plateaus["left_edges"] + plateaus["right_edges"])
    return (centre + 0.5) / ANALYSIS_FPS


def motion_beats(keypoints: np.ndarray, fps: float) -> np.ndarray:
    """Motion beats of a dance (frames, 18, 2) at fps: times in seconds, ascending."""
    return speed_minima_times(motion_speed(keypoints, fps))


def alignment_score(targets: np.ndarray, candidates: np.ndarray, sigma_s: float) -> float:
    """Mean over targets of exp(-d^2 / (2 sigma^2)), d = distance to the nearest candidate.

    NaN when either set is empty (no beats: no score, rather than a misleading zero).
    """
    targets = np.asarray(targets, dtype=np.float64)
    candidates = np.asarray(candidates, dtype=np.float64)
    if targets.size == 0 or candidates.size == 0:
        return float("nan")
    d = np.abs(targets[:, None] - candidates[None, :]).min(axis=1)
    return float(np.exp(-(d**2) / (2.0 * sigma_s**2)).mean())


def beat_alignment(
    music_beats: np.ndarray,
    dance_beats: np.ndarray,
    duration_s: float,
    sigma_s: float = BAS_SIGMA_S,
) -> BeatAlignment:
    """BAS and reverse BAS of motion beats against music beats within [0, duration_s]."""
    music = np.asarray(music_beats, dtype=np.float64)
    music = music[(music >= 0) & (music <= duration_s)]
    dance = np.asarray(dance_beats, dtype=np.float64)
    dance = dance[(dance >= 0) & (dance <= duration_s)]
    return BeatAlignment(
        bas=alignment_score(music, dance, sigma_s),
        bas_reverse=alignment_score(dance, music, sigma_s),
        n_music_beats=int(music.size),
        n_motion_beats=int(dance.size),
    )


def octave_ratio(a_bpm: float, b_bpm: float) -> float:
    """a / b folded by powers of two into [1/sqrt(2), sqrt(2)): beat trackers make octave errors."""
    ratio = a_bpm / b_bpm
    return float(ratio / 2.0 ** np.round(np.log2(ratio)))


def similar_tempo(a_bpm: float, b_bpm: float, tolerance: float = TEMPO_TOLERANCE) -> bool:
    """Whether two tempi agree within tolerance, allowing double and half tempo."""
    return abs(octave_ratio(a_bpm, b_bpm) - 1.0) <= tolerance


def decoy_spans(
    name: str,
    beat_times: np.ndarray,
    song_duration_s: float,
    dance_duration_s: float,
    hop_s: float = DECOY_HOP_S,
) -> list[Decoy]:
    """Spans of a decoy song as long as the dance, starting every hop_s seconds.

    A song shorter than the dance gives one span over all of it (the test then compares on the
    common length).
    """
    beats = np.asarray(beat_times, dtype=np.float64)
    last_start = max(song_duration_s - dance_duration_s, 0.0)
    spans = []
    for start in np.arange(0.0, last_start + 1e-9, hop_s):
        length = min(dance_duration_s, song_duration_s - start)
        inside = beats[(beats >= start) & (beats <= start + length)] - start
        spans.append(Decoy(f"{name}@{start:g}s", inside, float(length)))
    return spans


def beat_sync(
    dance_beats: np.ndarray,
    own_beats: np.ndarray,
    duration_s: float,
    decoys: Sequence[Decoy],
    sigma_s: float = BAS_SIGMA_S,
) -> BeatSync:
    """Is the dance more in time with its own music than with other songs?

    Each decoy is compared on the common length L = min(dance, decoy): own BAS and decoy BAS
    are both computed on [0, L], so a shorter decoy is not favoured.

    Raises:
        ValueError: no decoys.
    """
    if not decoys:
        raise ValueError("beat_sync needs at least one decoy song")
    own = beat_alignment(own_beats, dance_beats, duration_s, sigma_s).bas
    own_cut, other = [], []
    for decoy in decoys:
        length = min(duration_s, decoy.duration_s)
        own_cut.append(beat_alignment(own_beats, dance_beats, length, sigma_s).bas)
        other.append(beat_alignment(decoy.beat_times, dance_beats, length, sigma_s).bas)
    own_cut_a, other_a = np.array(own_cut), np.array(other)
    valid = np.isfinite(own_cut_a) & np.isfinite(other_a)
    if not valid.any():
        nan = float("nan")
        return BeatSync(own, nan, nan, nan, 0)
    own_cut_a, other_a = own_cut_a[valid], other_a[valid]
    n = int(valid.sum())
    return BeatSync(
        own=own,
        decoy_mean=float(other_a.mean()),
        difference=float((own_cut_a - other_a).mean()),
        p_value=float((1 + np.sum(other_a >= own_cut_a)) / (1 + n)),
        n_decoys=n,
    )
