"""Training data for a generator with dance styles: which style each clip is, its motion beats.

Every clip, with music or not, is given the beat grid of its own motion (a tempo-regular grid
tracked on the kinetic envelope, the dance's slowing-down points), and the generator's rhythm
inputs are computed from that grid; its "energy" input comes from how fast it moves. At
inference the same inputs come from the music's beats and loudness, so the model learns from
the real dances how motion sits on a beat, and any motion capture without music can teach a
style.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.ndimage import gaussian_filter1d, uniform_filter1d

from dance.motion import resample
from dance.variation import TEMPO_RANGE_BPM

from .common import Clip

ENVELOPE_RATE = 50  # Hz: poses are interpolated to this rate to find motion beats
SPEED_SMOOTH_S = 0.06  # Gaussian sigma on mean joint speed (as dance.metrics.beats)
ENVELOPE_WINDOW_S = 1.0  # a slowing-down is measured against the mean speed over this long
MOTION_TEMPO_BPM = TEMPO_RANGE_BPM  # motion grids are folded into this range (octave errors)
HELD_OUT_FRACTION = 0.2  # the last fifth of a style's only dance is its validation part
SPEED_EPSILON = 1e-3  # normalised units a frame, added before the log: a still dancer's level
# Smallest deviation of a dance's smoothed log speed that counts as livelier and calmer parts
# (the dances' own: 0.10 for the tango to 0.59 for G1 Moves, medians by source).
MOTION_ENERGY_FLOOR = 0.05
TIME_WARPS = (0.85, 1.18)  # tempo factors of the extra, time-warped copies of each clip

# Style of each clip, by source and genre; the model card explains the grouping.
BALLROOM_STYLES = {"waltz": "waltz", "tango": "tango", "cha-cha": "chacha", "rumba": "rumba"}
SOURCE_STYLES = {"g1moves": "street", "cmu_modern": "modern"}


def clip_style(clip: Clip) -> str | None:
    """The style a clip teaches, or None when it belongs to none."""
    if clip.source == "ballroom":
        return BALLROOM_STYLES.get(clip.genre)
    return SOURCE_STYLES.get(clip.source)


def motion_beat_grid(poses: np.ndarray, fps: float) -> np.ndarray:
    """A tempo-regular beat grid on a dance's own motion: times in seconds, ascending.

    The kinetic envelope is how far mean joint speed dips below its one-second mean, so it
    peaks where the dance slows down, its motion beats (dance.metrics.beats). librosa's beat
    tracker turns those peaks into a regular grid, as it does an onset envelope.

    Args:
        poses: (frames, 18, 2) normalised poses.
        fps: their frame rate.
    """
    import librosa

    n_out = int(np.floor((poses.shape[0] - 1) / fps * ENVELOPE_RATE)) + 1
    fine = resample(poses.astype(np.float64), fps, ENVELOPE_RATE, n_out)
    speed = np.linalg.norm(np.diff(fine, axis=0), axis=-1).mean(axis=1)
    speed = gaussian_filter1d(speed, SPEED_SMOOTH_S * ENVELOPE_RATE, mode="nearest")
    envelope = np.maximum(uniform_filter1d(speed, ENVELOPE_RATE, mode="nearest") - speed, 0.0)
    if not envelope.any():
        return np.zeros(0)
    hop = 1000  # any (sr, hop) pair with sr / hop = ENVELOPE_RATE
    _, beats = librosa.beat.beat_track(
        onset_envelope=envelope, sr=hop * ENVELOPE_RATE, hop_length=hop, units="time", trim=False
    )
    # Speed sample k lies between frames k and k + 1.
    beats = np.asarray(beats, dtype=np.float64) + 0.5 / ENVELOPE_RATE
    return fold_tempo(beats)


def motion_energy_level(poses: np.ndarray) -> np.ndarray:
    """Log mean joint speed per frame of (frames, 18, 2) poses: a dance's level for the
    "energy" input (dance.analysis.energy_feature), as the music's loudness is a song's."""
    speed = np.linalg.norm(np.diff(poses.astype(np.float64), axis=0), axis=-1).mean(axis=1)
    speed = np.concatenate([speed[:1], speed]) if speed.size else np.zeros(poses.shape[0])
    return np.log(speed + SPEED_EPSILON)


def grid_bpm(beats: np.ndarray) -> float:
    """The tempo of a beat grid in BPM (NaN for fewer than 3 beats)."""
    if beats.size < 3:
        return float("nan")
    return 60.0 / float(np.median(np.diff(beats)))


def fold_tempo(beats: np.ndarray) -> np.ndarray:
    """Halve or double a beat grid until its tempo lies in MOTION_TEMPO_BPM."""
    for _ in range(3):
        if beats.size < 3:
            return beats
        bpm = grid_bpm(beats)
        if bpm > MOTION_TEMPO_BPM[1]:
            beats = beats[::2]
        elif bpm < MOTION_TEMPO_BPM[0]:
            beats = np.sort(np.concatenate([beats, 0.5 * (beats[1:] + beats[:-1])]))
        else:
            break
    return beats


def hold_out_tail(clips: list[Clip], style_of: dict[str, str]) -> list[Clip]:
    """Give every style a validation part.

    A style whose clips are all training clips (tango has one dance) has the last
    HELD_OUT_FRACTION of each clip cut off as validation. `style_of` (clip name -> style)
    gains the new parts' names.
    """
    styles_with_val = {style_of[c.name] for c in clips if c.split != "train"}
    out = []
    for clip in clips:
        if clip.split != "train" or style_of[clip.name] in styles_with_val:
            out.append(clip)
            continue
        frames = clip.poses.shape[0]
        cut = int(round(frames * (1 - HELD_OUT_FRACTION)))
        for split, start, stop in (("train", 0, cut), ("val", cut, frames)):
            audio = None
            if clip.audio is not None:
                per_frame = clip.audio.shape[0] // frames
                audio = clip.audio[start * per_frame : stop * per_frame]
            name = f"{clip.name}#{split}"
            style_of[name] = style_of[clip.name]
            out.append(
                replace(clip, name=name, split=split, poses=clip.poses[start:stop], audio=audio)
            )
    return out


def time_warp(poses: np.ndarray, factor: float, fps: float) -> np.ndarray:
    """The dance played `factor` times faster (cubic resampling): (frames', 18, 2)."""
    duration = (poses.shape[0] - 1) / fps
    n_out = int(np.floor(duration / factor * fps)) + 1
    return resample(poses, fps * factor, fps, n_out).astype(np.float32)
