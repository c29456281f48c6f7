"""The `skeleton` look: render.draw_frames' OpenPose drawing behind the common look signature.

Every look's drawing function has this signature and contract:

    draw(xy_canvas, size, *, background=None, pulse=None, fps=VIDEO_FPS, pix_fmt=...)
        xy_canvas: (frames, 18, 2) joints in canvas pixels (render.Framing.to_canvas).
        size: (width, height) of the canvas, even.
        background: None for the look's own backdrop, or "black", "white", "#rrggbb".
        pulse: (frames,) beat strength in [0, 1] (render.beat_pulse), or None: no beats shown.
        fps: the frame rate, for looks whose light or motion follows time.
        pix_fmt: "rgb24" always works; each look also draws its Look.pix_fmt.
    yields one uint8 frame per pose, lazily, and gives the same frames for the same input.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..motion import VIDEO_FPS
from ..render import draw_frames

DEFAULT_BACKGROUND = "black"  # the OpenPose / ControlNet convention


def draw(
    xy_canvas: np.ndarray,
    size: tuple[int, int],
    *,
    background: str | tuple[int, int, int] | None = None,
    pulse: np.ndarray | None = None,
    fps: float = VIDEO_FPS,
    pix_fmt: str = "rgb24",
) -> Iterator[np.ndarray]:
    """OpenPose stick figures (see render.draw_frames); pix_fmt "rgb24" or "nv12"."""
    del fps  # a skeleton has no light that follows time
    return draw_frames(
        xy_canvas,
        size,
        background=DEFAULT_BACKGROUND if background is None else background,
        pulse=pulse,
        pix_fmt=pix_fmt,
    )
