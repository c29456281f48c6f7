"""skia-python helpers shared by the looks with a body: a canvas over a numpy frame, shapes.

skia draws antialiased paths straight into a numpy array (README, "Benchmark": chosen over
PIL and pycairo by measurement). It is imported here, on first use, so the skeleton look and
the rest of `dance` work even where skia cannot load.

For the video, a canvas draws in YCbCr rather than RGB: every colour is converted to BT.709
(Y, Cb, Cr) before skia sees it, and skia blends, antialiases and shades in those numbers.
Blending is a weighted mean and the conversion is affine, so the result is the YCbCr of the RGB
picture; `frame("nv12")` then only averages the chroma over 2x2 pixels, and ffmpeg converts
nothing (its BGRA to yuv420p conversion cost 0.7 ms a frame, a third of its work on these
frames).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import LookUnavailableError
from ..render import BEAT_MARKER_INSET, BEAT_MARKER_RADIUS, BEAT_RING_LEVEL, rgb_to_yuv

RGB = tuple[int, int, int]


def load_skia() -> Any:
    """Import skia, or raise LookUnavailableError saying how to fix it."""
    try:
        import skia
    except ImportError as err:  # the package, or a system library it needs (libGL, libEGL)
        raise LookUnavailableError(
            f"this look draws with skia-python, which cannot be loaded: {err} (pip install -r "
            "requirements.txt; on Debian it also needs apt-get install libgl1 libegl1); the "
            "skeleton look works without it"
        ) from err
    return skia


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour a fraction t of the way from a to b."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


PIX_FMTS = ("rgb24", "bgra", "nv12")  # what Canvas.frame gives


def _ycbcr_slots(rgb: RGB) -> RGB:
    """An RGB colour's BT.709 (Y, Cb, Cr), in the (red, green, blue) slots where a YCbCr
    canvas keeps them: Cr, Y, Cb (in memory, BGRA order: Cb, Y, Cr, alpha)."""
    y, cb, cr = rgb_to_yuv(rgb)
    return cr, y, cb


def checked_poses(xy_canvas: np.ndarray, pix_fmt: str, pulse: np.ndarray | None) -> np.ndarray:
    """A body look's poses as float32 (frames, 18, 2), its arguments checked before any drawing.

    Raises:
        ValueError: poses of another shape or not finite, an unknown pix_fmt, or a beat pulse
            of another length.
    """
    xy = np.asarray(xy_canvas, dtype=np.float32)
    if xy.ndim != 3 or xy.shape[1:] != (18, 2) or not np.all(np.isfinite(xy)):
        raise ValueError(f"expected finite (frames, 18, 2) keypoints, got {xy.shape}")
    if pix_fmt not in PIX_FMTS:
        raise ValueError(f"pix_fmt must be one of {', '.join(PIX_FMTS)}, got {pix_fmt!r}")
    if pulse is not None and len(pulse) != len(xy):
        raise ValueError(f"{len(pulse)} beat pulse values for {len(xy)} frames")
    return xy


class Canvas:
    """A skia canvas that draws into one reused (height, width, 4) numpy frame: BGRA, or for
    pix_fmt "nv12" Cb, Y, Cr, alpha in the same bytes (see the module's docstring)."""

    def __init__(self, size: tuple[int, int], pix_fmt: str = "bgra") -> None:
        if pix_fmt not in PIX_FMTS:
            raise ValueError(f"pix_fmt must be one of {', '.join(PIX_FMTS)}, got {pix_fmt!r}")
        self.skia = load_skia()
        width, height = size
        if pix_fmt == "nv12" and (width % 2 or height % 2):
            raise ValueError(f"nv12 needs even sides, got {width}x{height}")
        self.pix_fmt = pix_fmt
        self.yuv = pix_fmt == "nv12"
        self.pixels = np.zeros((height, width, 4), dtype=np.uint8)
        # BGRA is skia's native order here: it fills paths 1.7x faster than into RGBA.
        self._surface = self.skia.Surface(
            self.pixels, self.skia.kBGRA_8888_ColorType, self.skia.kPremul_AlphaType
        )  # draws into self.pixels, no copies
        self.c = self._surface.getCanvas()

    def color(self, rgb: RGB, alpha8: int = 255) -> int:
        """A skia colour for an RGB colour and an 8-bit alpha, in this canvas's colour space."""
        return self.skia.Color(*(_ycbcr_slots(rgb) if self.yuv else rgb), alpha8)

    def paint(self, rgb: RGB, alpha: float = 1.0, *, stroke: float = 0.0, blur: float = 0.0) -> Any:
        """An antialiased paint: a fill, or with stroke > 0 a round-joined fill and stroke."""
        skia = self.skia
        paint = skia.Paint(AntiAlias=True, Color=self.color(rgb, int(round(255 * alpha))))
        if stroke > 0:
            paint.setStyle(skia.Paint.kStrokeAndFill_Style)
            paint.setStrokeWidth(stroke)
            paint.setStrokeJoin(skia.Paint.kRound_Join)
            paint.setStrokeCap(skia.Paint.kRound_Cap)
        if blur > 0:
            paint.setMaskFilter(skia.MaskFilter.MakeBlur(skia.kNormal_BlurStyle, blur))
        return paint

    def capsules(self, quads: list, circles: list, path: Any = None) -> Any:
        """One path of capsules from `figure.capsule_shapes` (as lists): quads and end circles.

        One path per colour and body part is far cheaper than one per capsule: skia's cost
        is mostly per call. All contours wind the same way, so overlaps stay filled. Where a
        capsule ends at the next one's start (a limb's chain), pass that circle once.
        """
        skia = self.skia
        path = skia.Path() if path is None else path
        ccw = skia.PathDirection.kCCW
        for x0, y0, x1, y1, x2, y2, x3, y3 in quads:
            path.moveTo(x0, y0)
            path.lineTo(x1, y1)
            path.lineTo(x2, y2)
            path.lineTo(x3, y3)
            path.close()
        for x, y, r in circles:
            path.addCircle(x, y, r, ccw)
        return path

    def smooth_polygon(self, points: list[list[float]]) -> Any:
        """A closed path through the midpoints of a polygon's sides, rounding every corner."""
        path = self.skia.Path()
        n = len(points)
        mids = [
            (
                (points[i][0] + points[(i + 1) % n][0]) / 2,
                (points[i][1] + points[(i + 1) % n][1]) / 2,
            )
            for i in range(n)
        ]
        path.moveTo(*mids[-1])
        for i in range(n):
            path.quadTo(points[i][0], points[i][1], *mids[i])
        path.close()
        return path

    def oval(self, cx: float, cy: float, rx: float, ry: float, paint: Any, angle: float = 0.0):
        rect = self.skia.Rect(cx - rx, cy - ry, cx + rx, cy + ry)
        if angle:
            self.c.save()
            self.c.rotate(angle, cx, cy)
            self.c.drawOval(rect, paint)
            self.c.restore()
        else:
            self.c.drawOval(rect, paint)

    def beat_marker(self, level: float, bg: RGB, fg: RGB) -> None:
        """The corner dot render.draw_frames draws: a faint ring, filled on a beat."""
        height, width = self.pixels.shape[:2]
        short = min(width, height)
        r = max(3.0, BEAT_MARKER_RADIUS * short)
        cx, cy = width - BEAT_MARKER_INSET * short, height - BEAT_MARKER_INSET * short
        ring = self.paint(mix(bg, fg, BEAT_RING_LEVEL))
        ring.setStyle(self.skia.Paint.kStroke_Style)
        ring.setStrokeWidth(max(1.0, short / 512))
        self.c.drawCircle(cx, cy, r, ring)
        if level > 0:
            self.c.drawCircle(cx, cy, r * (0.55 + 0.45 * level), self.paint(mix(bg, fg, level)))

    def frame(self) -> np.ndarray:
        """A copy of the picture drawn so far in the canvas's pix_fmt: "bgra" as is, "rgb24"
        (height, width, 3), or "nv12" flat: the Y plane, then Cb and Cr interleaved at half
        size, each the mean of a 2x2 block."""
        if self.pix_fmt == "bgra":
            return self.pixels.copy()
        if self.pix_fmt == "rgb24":
            return np.ascontiguousarray(self.pixels[..., 2::-1])
        # Each pixel as one little-endian uint32 holds Cb, Y, Cr, alpha from the low byte up
        # (see `color`), so whole-pixel integer arithmetic sums both chroma bytes of a 2x2
        # block at once, 16 bits apart: five times faster than per-channel numpy.
        height, width = self.pixels.shape[:2]
        words = self.pixels.view(np.uint32).reshape(height, width)
        out = np.empty(height * width * 3 // 2, dtype=np.uint8)
        out[: height * width] = (words >> 8).astype(np.uint8).ravel()  # the low byte: Y
        chroma = words & 0x00FF00FF
        total = chroma[0::2, 0::2] + chroma[0::2, 1::2]
        total += chroma[1::2, 0::2]
        total += chroma[1::2, 1::2]
        total += 0x00020002  # round to nearest
        total >>= 2
        total &= 0x00FF00FF
        out[height * width :] = (total | (total >> 8)).astype(np.uint16).view(np.uint8).ravel()
        return out

    def plate(self, stops: list[tuple[float, RGB]]) -> np.ndarray:
        """An opaque backdrop in this canvas's layout: `vertical_gradient` of the stops."""
        if self.yuv:
            stops = [(y, _ycbcr_slots(rgb)) for y, rgb in stops]
        height, width = self.pixels.shape[:2]
        return vertical_gradient((width, height), stops)


def vertical_gradient(size: tuple[int, int], stops: list[tuple[float, RGB]]) -> np.ndarray:
    """An opaque (height, width, 4) BGRA plate shaded top to bottom through (y px, RGB) stops
    (a YCbCr canvas passes its colour slots instead of RGB)."""
    width, height = size
    ys = np.arange(height, dtype=np.float32) + 0.5
    at = np.array([y for y, _ in stops], dtype=np.float32)
    rows = np.stack([np.interp(ys, at, [c[i] for _, c in stops]) for i in range(3)], axis=-1)
    plate = np.empty((height, width, 4), dtype=np.uint8)
    plate[..., :3] = np.round(rows[:, ::-1])[:, None, :].astype(np.uint8)
    plate[..., 3] = 255
    return plate
