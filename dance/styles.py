"""Dance styles: their names and descriptions, the style input of a generator, and `auto`.

A generator trained with styles lists them in its config (`GeneratorConfig.styles`); it is told
which one to dance by a one-hot vector appended to its per-frame input. `auto` picks a style
from the music with the rule in `auto_style`, whose thresholds were measured on songs of known
style (the model card gives the figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import StyleError

AUTO = "auto"  # the style argument that lets the music choose

# Every style a generator may be trained with, in the order of its one-hot input. The words are
# what `python -m dance styles` prints; the model card says which clips make each style.
STYLE_DESCRIPTIONS: dict[str, str] = {
    "waltz": "ballroom waltz: closed frame hold, rise and fall, turning 3/4 steps",
    "tango": "ballroom tango: sharp, stalking walks and staccato head and arm actions",
    "chacha": "ballroom cha-cha: quick steps and hip action, free arms, lively 4/4",
    "rumba": "ballroom rumba: slow hip motion, long arm lines, unhurried 4/4",
    "modern": "modern dance and ballet: wide reaching arms, turns, leaps and extensions",
    "street": "pop, hip-hop, shuffle and freestyle: grooves, bounces, arm hits, footwork",
}

# The auto rule, on the music's beat tracker: accents that repeat every three beats are 3/4
# time, a waltz; otherwise a slow tempo is a rumba and anything faster street dance. Measured
# on the 43 ballroom songs and the example songs (model card, "Choosing a style").
TRIPLE_MARGIN = 0.05  # lag-3 beat autocorrelation must beat lags 2 and 4 by this much
RUMBA_MAX_BPM = 100.0  # a 4/4 beat slower than this: rumba; faster: street
AUTO_RULE = (
    f"chosen from the music: 3/4 time -> waltz, a beat slower than {RUMBA_MAX_BPM:g} BPM "
    "-> rumba, else street"
)


@dataclass(frozen=True)
class StyleChoice:
    """Which style `auto` chose, and why.

    Attributes:
        style: the chosen style.
        triple: the music was heard as 3/4 time.
        tempo_bpm: the tempo the rule used.
    """

    style: str
    triple: bool
    tempo_bpm: float


def beat_strengths(onset_envelope: np.ndarray, beat_times: np.ndarray, rate: float) -> np.ndarray:
    """Onset strength at each beat (max within +-40 ms), shape (n_beats,)."""
    half = max(1, int(round(0.04 * rate)))
    frames = np.round(np.asarray(beat_times) * rate).astype(int)
    frames = frames[(frames >= 0) & (frames < onset_envelope.size)]
    return np.array(
        [onset_envelope[max(0, f - half) : f + half + 1].max() for f in frames], dtype=np.float64
    )


def metre_autocorrelation(
    strengths: np.ndarray, lags: Sequence[int] = (2, 3, 4)
) -> dict[int, float]:
    """Autocorrelation of beat strengths at whole-beat lags: accents repeat every bar."""
    x = strengths - strengths.mean() if strengths.size else strengths
    denom = float((x * x).sum()) or 1.0
    return {
        lag: float((x[lag:] * x[:-lag]).sum() / denom) if x.size > lag + 4 else 0.0 for lag in lags
    }


def is_triple(onset_envelope: np.ndarray, beat_times: np.ndarray, rate: float) -> bool:
    """Whether the beats' accents repeat every three beats more than every two or four."""
    acf = metre_autocorrelation(beat_strengths(onset_envelope, beat_times, rate))
    return acf[3] > max(acf[2], acf[4]) + TRIPLE_MARGIN


def auto_style(
    tempo_bpm: float,
    beat_times: np.ndarray,
    onset_envelope: np.ndarray,
    rate: float,
    available: Sequence[str],
) -> StyleChoice:
    """Choose a style from the music (see the rule above), among the generator's styles.

    Args:
        tempo_bpm: the music's tempo.
        beat_times: beats in seconds.
        onset_envelope: onset strength at `rate` frames per second.
        rate: frame rate of the onset envelope.
        available: the generator's styles; a pick that is missing falls back to the first.
    """
    triple = is_triple(onset_envelope, beat_times, rate)
    if triple:
        pick = "waltz"
    elif tempo_bpm < RUMBA_MAX_BPM:
        pick = "rumba"
    else:
        pick = "street"
    if pick not in available:
        pick = available[0]
    return StyleChoice(pick, triple, float(tempo_bpm))


def check_style(style: str, available: Sequence[str]) -> str:
    """Return the style name, lower-cased, if the generator knows it (or it is `auto`).

    Raises:
        StyleError: an unknown style, or any style but `auto` for a generator without styles.
    """
    if not isinstance(style, str):
        raise StyleError(f"style must be a name, got {style!r}")
    name = style.strip().lower()
    if name == AUTO:
        return name
    if not available:
        raise StyleError(
            f"unknown style {style!r}: this generator was trained without styles; use 'auto'"
        )
    if name not in available:
        raise StyleError(f"unknown style {style!r}; choose from: auto, {', '.join(available)}")
    return name


def style_columns(styles: Sequence[str], style: str, n_frames: int) -> np.ndarray:
    """The generator's style input: one-hot rows (n_frames, len(styles)) float32."""
    out = np.zeros((n_frames, len(styles)), dtype=np.float32)
    out[:, list(styles).index(style)] = 1.0
    return out


def describe(style: str) -> str:
    """A few words on a style, for listings."""
    return STYLE_DESCRIPTIONS.get(style, "")
