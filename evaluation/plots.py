"""Per-dance beat plots: the music's onsets and beats, each dance's speed and motion beats, and
which motion beat every music beat was matched to. Matplotlib (Agg), one PNG per dance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dance.metrics.beats import BAS_SIGMA_S, motion_speed
from dance.metrics.common import ANALYSIS_FPS
from dance.metrics.suite import DanceScore, Music

PLOT_SPAN_S = 20.0  # seconds shown from the start: about 30-40 beats stay readable
FIG_WIDTH_IN = 14.0
PANEL_HEIGHT_IN = 2.2


@dataclass(frozen=True)
class PlotEntry:
    """One dance to draw under the music.

    Attributes:
        label: panel title, e.g. "real" or "generator, seed 0".
        keypoints: (frames, 18, 2) normalised poses.
        fps: their rate.
        score: its DanceScore against the music (for motion beats and BAS).
    """

    label: str
    keypoints: np.ndarray
    fps: float
    score: DanceScore


def plot_dance(path: str | Path, title: str, music: Music, entries: Sequence[PlotEntry]) -> Path:
    """Draw the music and each entry for the first PLOT_SPAN_S seconds; write a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    span = min(PLOT_SPAN_S, music.duration_s)
    beats = music.beat_times[music.beat_times <= span]
    fig, axes = plt.subplots(
        1 + len(entries),
        1,
        figsize=(FIG_WIDTH_IN, PANEL_HEIGHT_IN * (1 + len(entries))),
        sharex=True,
        constrained_layout=True,
    )
    env = music.analysis.onset_envelope
    t_env = np.arange(env.size) / music.analysis.feature_rate
    keep = t_env <= span
    ax = axes[0]
    ax.plot(t_env[keep], env[keep] / max(env.max(), 1e-9), color="0.3", lw=0.8)
    for b in beats:
        ax.axvline(b, color="tab:blue", lw=1.0, alpha=0.7)
    ax.set_ylabel("onset strength")
    ax.set_title(
        f"{title}: music {music.name}, {music.tempo_bpm:.0f} BPM; blue lines = music beats"
    )
    for ax, entry in zip(axes[1:], entries, strict=True):
        speed = motion_speed(entry.keypoints, entry.fps)
        t = (np.arange(speed.size) + 0.5) / ANALYSIS_FPS
        keep = t <= span
        ax.plot(t[keep], speed[keep], color="0.2", lw=1.0)
        mb = entry.score.motion_beats_s
        mb = mb[mb <= span]
        top = float(speed[keep].max()) if keep.any() else 1.0
        ax.plot(mb, np.interp(mb, t, speed), "v", color="tab:orange", ms=6, label="motion beat")
        for b in beats:
            ax.axvline(b, color="tab:blue", lw=0.6, alpha=0.35)
            if mb.size:
                nearest = mb[np.argmin(np.abs(mb - b))]
                good = np.exp(-((nearest - b) ** 2) / (2 * BAS_SIGMA_S**2))
                ax.plot(
                    [b, nearest],
                    [top * 1.05, np.interp(nearest, t, speed)],
                    color=plt.cm.RdYlGn(good),
                    lw=1.2,
                )
        a = entry.score.alignment
        ax.set_title(
            f"{entry.label}: BAS {a.bas:.3f}, reverse {a.bas_reverse:.3f} "
            f"(whole dance); lines join each music beat to its nearest motion beat, "
            f"green = within 50 ms, red = far",
            fontsize=9,
        )
        ax.set_ylabel("speed (px/s)")
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, span)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
