"""Time operations on pose sequences: resampling between frame rates and window blending.

Pure numpy; no model, no drawing.
"""

from __future__ import annotations

import numpy as np

VIDEO_FPS = 30  # frames per second of rendered video; poses are interpolated between model frames


def resample(poses: np.ndarray, fps_in: float, fps_out: float, n_out: int) -> np.ndarray:
    """Resample a pose sequence to another frame rate with a cubic spline.

    Args:
        poses: (frames, ...) sampled at fps_in, frame k at time k / fps_in.
        fps_in: the input frame rate.
        fps_out: the output frame rate.
        n_out: how many output frames, frame j at time j / fps_out. Times past the last input
            frame hold its value.

    Returns:
        (n_out, ...) float32.
    """
    poses = np.asarray(poses, dtype=np.float64)
    if poses.shape[0] == 1:
        return np.repeat(poses, n_out, axis=0).astype(np.float32)
    # A cubic spline through the model frames keeps velocity continuous, so the video shows no
    # kink at every model frame the way linear interpolation would.
    t_out = np.minimum(np.arange(n_out) * (fps_in / fps_out), poses.shape[0] - 1)
    return natural_cubic_spline(poses, t_out).astype(np.float32)


def natural_cubic_spline(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The natural cubic spline through values[k] at k = 0, 1, ..., evaluated at times `at`.

    What scipy's CubicSpline(k, values, axis=0, bc_type="natural")(at) gives for evenly spaced
    knots, without importing scipy (1.3 s in a fresh process here, for this one call).

    Args:
        values: (n, ...) samples, n >= 2, at unit spacing.
        at: (m,) times in [0, n - 1].

    Returns:
        (m, ...) float64.
    """
    y = np.asarray(values, dtype=np.float64)
    n = y.shape[0]
    # Second derivatives m[k] solve m[k-1] + 4 m[k] + m[k+1] = 6 (y[k+1] - 2 y[k] + y[k-1]),
    # with m = 0 at both ends: a tridiagonal system, solved by the Thomas algorithm.
    m = np.zeros_like(y)
    if n > 2:
        rhs = 6.0 * (y[2:] - 2.0 * y[1:-1] + y[:-2])
        diag = np.empty(n - 2)
        diag[0] = 4.0
        for k in range(1, n - 2):
            rhs[k] -= rhs[k - 1] / diag[k - 1]
            diag[k] = 4.0 - 1.0 / diag[k - 1]
        inner = m[1:-1]
        inner[-1] = rhs[-1] / diag[-1]
        for k in range(n - 4, -1, -1):
            inner[k] = (rhs[k] - inner[k + 1]) / diag[k]
    at = np.asarray(at, dtype=np.float64)
    k = np.clip(np.floor(at).astype(int), 0, n - 2)
    shape = (-1,) + (1,) * (y.ndim - 1)
    b = (at - k).reshape(shape)  # position within the interval, 0..1
    a = 1.0 - b
    return a * y[k] + b * y[k + 1] + ((a**3 - a) * m[k] + (b**3 - b) * m[k + 1]) / 6.0


def window_starts(n_frames: int, window: int, overlap: int) -> list[int]:
    """Start frames of windows of `window` frames covering n_frames, neighbours sharing `overlap`.

    The last window is moved back so that it ends exactly at n_frames; it may then overlap its
    neighbour by more than `overlap`.
    """
    if n_frames <= window:
        return [0]
    hop = window - overlap
    if hop <= 0:
        raise ValueError(f"overlap {overlap} must be smaller than the window {window}")
    starts = list(range(0, n_frames - window, hop))
    starts.append(n_frames - window)
    return starts


def blend_weights(
    window: int, overlap: int, first: bool, last: bool, drop_tail: int = 0
) -> np.ndarray:
    """Per-frame crossfade weights (window,) for one window: raised-cosine ramps at inner edges.

    A window followed by another fades out over the first `overlap - drop_tail` frames of
    their overlap and gives its last `drop_tail` frames no weight, while the next one fades
    in over the same frames: a generator whose last frames come out unsettled then never
    shows them. Elsewhere weights never reach zero, so every frame is covered even where the
    last window was moved back and overlaps by more than `overlap`.

    Raises:
        ValueError: drop_tail is negative or leaves no frame to fade over.
    """
    if not 0 <= drop_tail < max(overlap, 1):
        raise ValueError(f"drop_tail {drop_tail} must be 0 or less than the overlap {overlap}")
    fade = overlap - drop_tail
    w = np.ones(window, dtype=np.float64)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, fade + 1) / (fade + 1))
    if not first:
        w[:fade] = ramp
    if not last:
        w[window - overlap : window - drop_tail] = ramp[::-1]
        w[window - drop_tail :] = 0.0
    return w


def blend_windows(
    outputs: np.ndarray, starts: list[int], n_frames: int, overlap: int, drop_tail: int = 0
) -> np.ndarray:
    """Cross-fade per-window outputs (n_windows, window, ...) into one (n_frames, ...) sequence.

    drop_tail: frames at the end of each window but the last that get no weight (blend_weights).
    """
    window = outputs.shape[1]
    total = np.zeros((n_frames,) + outputs.shape[2:], dtype=np.float64)
    weight = np.zeros(n_frames, dtype=np.float64)
    for i, start in enumerate(starts):
        length = min(window, n_frames - start)
        last = i == len(starts) - 1
        w = blend_weights(window, overlap, first=i == 0, last=last, drop_tail=drop_tail)[:length]
        shape = (length,) + (1,) * (outputs.ndim - 2)
        total[start : start + length] += outputs[i, :length] * w.reshape(shape)
        weight[start : start + length] += w
    return (total / weight.reshape((n_frames,) + (1,) * (outputs.ndim - 2))).astype(np.float32)
