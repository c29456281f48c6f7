"""The "variation" input: which real dancer's manner the generator dances a phrase in.

Within one style the real dances differ a great deal: one dancer keeps the arms low and steps
wide, another throws the arms up and bounces. A generator told only the style and the beat
learns the average of them, which is no one's dance (low diversity, high FID). A generator
with `variation` also hears, on every frame, a short description of the manner of the dance it
is learning from: ten numbers measured on the whole training clip (arm height, reach, stance,
knee bend, lean, arm and leg speed, bounce, arm range, turning; train/data/variation.py),
standardised over the training clips. The generator's config keeps one row per
training clip (its style, its motion tempo and those ten numbers; no motion), and at
inference each phrase of the song (PHRASE_BEATS beats) is danced in the manner of a training
clip of the style, drawn by the seed, those nearer the song's tempo more likely, with a
cross-fade between phrases.

A generator with `lead` also hears which side of the body leads: +1 when the right arm and leg
move more than the left, -1 when the left do. In training it is measured on each window, after
the window's mirroring (train/data/variation.py), so a mirrored window is a told, not a
guessed, change of side; at inference the seed draws a side for each phrase. Without it the
generator cannot know which of a window and its mirror image it is asked for, and the style
generator of 2026-12-02 settled on one: its street dancer moved the right wrist and ankle 1.7
times as fast as the left on its own training windows (real 1.15 and 1.03).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The descriptor's entries, in the order of the input columns (train/data/variation.py measures
# them).
VARIATION_FEATURES: tuple[str, ...] = (
    "wrist_height",
    "wrist_spread",
    "stance",
    "knee_bend",
    "lean",
    "arm_speed",
    "leg_speed",
    "bounce",
    "arm_range",
    "turning",
)
PHRASE_BEATS = 16  # beats danced in one manner before the next is drawn (four 4/4 bars)
PHRASE_S = 8.0  # a phrase's length when the music has too few beats to count
CROSSFADE_S = 2.0  # how long one manner takes to turn into the next
TEMPO_SIGMA_OCTAVES = 0.2  # how strongly a clip's motion tempo near the song's favours it
TEMPO_RANGE_BPM = (70.0, 140.0)  # motion tempi are folded into this range; songs' tempi too
LEAD_STREAM = 1  # the lead sides' random stream, apart from the manners' (same seed)

# One training clip's row: (style, motion tempo in BPM, descriptor).
VariationRow = tuple[str, float, tuple[float, ...]]


def fold_bpm(bpm: float) -> float:
    """A tempo halved or doubled into TEMPO_RANGE_BPM (beat trackers disagree by octaves)."""
    low, high = TEMPO_RANGE_BPM
    if not np.isfinite(bpm) or bpm <= 0:
        return float(np.sqrt(low * high))
    while bpm > high:
        bpm /= 2
    while bpm < low:
        bpm *= 2
    return float(bpm)


def phrase_bounds(beat_times: np.ndarray, n_frames: int, fps: float) -> list[int]:
    """Frames where a new phrase starts: 0, then every PHRASE_BEATS beats (or PHRASE_S)."""
    beats = np.asarray(beat_times, dtype=np.float64)
    if beats.size > PHRASE_BEATS:
        starts = beats[PHRASE_BEATS::PHRASE_BEATS]
    else:
        starts = np.arange(PHRASE_S, n_frames / fps, PHRASE_S)
    frames = np.round(starts * fps).astype(int)
    return [0, *sorted({int(f) for f in frames if 0 < f < n_frames})]


def phrase_spans(beat_times: np.ndarray, n_frames: int, fps: float) -> list[tuple[int, int]]:
    """(start, stop) frames of each phrase (phrase_bounds), together covering the dance."""
    bounds = phrase_bounds(beat_times, n_frames, fps)
    return list(zip(bounds, [*bounds[1:], n_frames], strict=True))


def tempo_weights(rows: Sequence[VariationRow], tempo_bpm: float) -> np.ndarray:
    """Probability of each row for a song of tempo_bpm: a Gaussian in log2 tempo."""
    song = np.log2(fold_bpm(tempo_bpm))
    clips = np.log2([fold_bpm(r[1]) for r in rows])
    w = np.exp(-0.5 * ((clips - song) / TEMPO_SIGMA_OCTAVES) ** 2) + 1e-6
    return w / w.sum()


def crossfade(levels: np.ndarray, fps: float) -> np.ndarray:
    """A moving average of CROSSFADE_S over (frames, k) piecewise-constant levels, edges held.

    In numpy rather than scipy.ndimage.uniform_filter1d (the same window): the command line's
    song-to-video path imports no scipy."""
    width = max(1, int(round(CROSSFADE_S * fps)))
    if width == 1 or levels.shape[0] < 2:
        return levels
    left, right = width // 2, width - 1 - width // 2
    padded = np.pad(levels, ((left, right), (0, 0)), mode="edge")
    sums = np.cumsum(np.pad(padded, ((1, 0), (0, 0))), axis=0)
    return (sums[width:] - sums[:-width]) / width


def variation_columns(
    rows: Sequence[VariationRow],
    style: str,
    tempo_bpm: float,
    beat_times: np.ndarray,
    n_frames: int,
    fps: float,
    seed: int,
) -> np.ndarray:
    """The variation input for a dance: (n_frames, len(VARIATION_FEATURES)) float32.

    Each phrase takes the descriptor of one training clip (or time-warped copy) of `style`,
    drawn with the seed (tempo_weights), never the same row twice running when the style has
    more; phrases cross-fade. The same arguments give the same columns.

    Raises:
        ValueError: no row of that style.
    """
    mine = [r for r in rows if r[0] == style]
    if not mine:
        raise ValueError(f"no variation rows for the style {style!r}")
    p = tempo_weights(mine, tempo_bpm)
    rng = np.random.default_rng(seed)
    levels = np.empty((n_frames, len(VARIATION_FEATURES)), dtype=np.float64)
    previous = -1
    for start, stop in phrase_spans(beat_times, n_frames, fps):
        q = p.copy()
        if previous >= 0 and len(mine) > 1:
            q[previous] = 0.0
            q /= q.sum()
        previous = int(rng.choice(len(mine), p=q))
        levels[start:stop] = mine[previous][2]
    return crossfade(levels, fps).astype(np.float32)


def lead_columns(beat_times: np.ndarray, n_frames: int, fps: float, seed: int) -> np.ndarray:
    """The lead input for a dance: (n_frames, 1) float32, each phrase +1 (right) or -1 (left)
    with even odds, drawn with the seed; phrases cross-fade. The same arguments give the same
    column, and the manners drawn with the same seed do not depend on it."""
    rng = np.random.default_rng([seed, LEAD_STREAM])
    spans = phrase_spans(beat_times, n_frames, fps)
    sides = rng.choice(np.array([1.0, -1.0]), size=len(spans))
    levels = np.empty((n_frames, 1), dtype=np.float64)
    for side, (start, stop) in zip(sides, spans, strict=True):
        levels[start:stop] = side
    return crossfade(levels, fps).astype(np.float32)
