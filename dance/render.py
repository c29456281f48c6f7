"""Framing and timing, and the skeleton's drawing: keypoints in, frames out. No files or ffmpeg.

render_frames fits a fixed camera to the dance and times the beats, then hands the poses to a
look's drawing function (dance/looks/); the skeleton look's drawing is draw_frames below.

Frames look like OpenPose's `draw_bodypose` as ControlNet uses it: the 17 limbs as filled
ellipses at 60 % opacity, then the 18 joints as solid discs, in the standard OpenPose colours,
on a plain background. One `Framing` (a fixed camera) is fitted to the whole dance, so the
dancer stays in view and the picture never jitters. An optional marker in the corner flashes on
each music beat. Frames come out one at a time, so a long dance never sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from .errors import InputError
from .looks import Look, get_look
from .motion import VIDEO_FPS
from .skeleton import JOINT, LIMBS, N_JOINTS, OPENPOSE_COLORS, norm_to_px

if TYPE_CHECKING:
    from .generate import Dance

DEFAULT_SIZE = 512  # px; the default canvas is square, DEFAULT_SIZE on each side
MIN_SIZE = 64  # px; smallest canvas side accepted
MAX_SIZE = 4096  # px; largest canvas side accepted (x264 level limits, memory per frame)
REFERENCE_SIZE = 512  # px; canvas side at which OpenPose's stick and joint sizes apply
STICK_HALF_WIDTH_PX = 4  # OpenPose's `stickwidth`: semi-minor axis of a limb, at REFERENCE_SIZE
JOINT_RADIUS_PX = 4  # OpenPose's joint disc radius, at REFERENCE_SIZE
LIMB_OPACITY = 0.6  # limbs are drawn at 60 % over the background, as ControlNet's annotator does
ELLIPSE_POINTS = 16  # vertices per limb ellipse (OpenPose uses 360; 16 looks the same at 4 px)
BACKGROUNDS = {"black": (0, 0, 0), "white": (255, 255, 255)}  # named backgrounds; or "#rrggbb"

FRAMING_PERCENTILES = (1.0, 99.0)  # of per-frame extremes: a glitch frame cannot shrink the view
FRAMING_MARGIN = 0.06  # of each canvas side, kept free around the dancer's box
MIN_BOX_PX = 20.0  # paper px; a dance that barely moves is not zoomed in without limit

BEAT_DECAY_S = 0.15  # the beat marker is brightest on a beat and fades out over this long
BEAT_MARKER_RADIUS = 0.025  # of the canvas' shorter side
BEAT_MARKER_INSET = 0.05  # marker centre from the bottom-right corner, of the shorter side
BEAT_RING_LEVEL = 0.3  # the marker's resting outline, as a mix from background to foreground

CHUNK_FRAMES = 256  # frames whose limb polygons are computed at once (bounded memory)
PIX_FMTS = ("rgb24", "nv12")  # frame layouts draw_frames yields
KR, KB = 0.2126, 0.0722  # BT.709 luma weights; NV12 frames are limited range, as video.py tags
NECK, RIGHT_HIP, LEFT_HIP = JOINT["neck"], JOINT["right_hip"], JOINT["left_hip"]


def canvas_size(size: int | tuple[int, int]) -> tuple[int, int]:
    """Normalise a size option to (width, height), each even (H.264 yuv420p needs even sides).

    Args:
        size: one side of a square canvas, or (width, height), in px. Odd sides are rounded
            down to even.

    Raises:
        InputError: a side is not a whole number between MIN_SIZE and MAX_SIZE.
    """
    sides = tuple(size) if isinstance(size, tuple | list) else (size, size)
    if len(sides) != 2:
        raise InputError(f"size must be one number or (width, height), got {size!r}")
    out = []
    for side in sides:
        if isinstance(side, bool) or not isinstance(side, int | np.integer):
            raise InputError(f"size must be whole pixels, got {size!r}")
        if not MIN_SIZE <= side <= MAX_SIZE:
            raise InputError(f"size must be {MIN_SIZE} to {MAX_SIZE} px per side, got {side}")
        out.append(int(side) - int(side) % 2)
    return out[0], out[1]


def parse_color(color: str | tuple[int, int, int]) -> tuple[int, int, int]:
    """An RGB triple from "black", "white", "#rrggbb" (or any colour name PIL knows).

    Raises:
        InputError: the colour is not recognised.
    """
    if isinstance(color, tuple):
        if len(color) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in color):
            return color
        raise InputError(f"a colour must be three values 0-255, got {color!r}")
    name = str(color).strip().lower()
    if name in BACKGROUNDS:
        return BACKGROUNDS[name]
    try:
        rgb = ImageColor.getrgb(name)
    except ValueError:
        raise InputError(f"unknown colour {color!r}: use black, white or #rrggbb") from None
    return rgb[0], rgb[1], rgb[2]


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """The colour a fraction t of the way from a to b."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


@dataclass(frozen=True)
class Framing:
    """A fixed camera: maps paper pixels (640 x 360 frame) to canvas pixels, same scale on x and y.

    Attributes:
        width, height: the canvas in px.
        scale: canvas px per paper px.
        offset_x, offset_y: canvas position of paper pixel (0, 0).
    """

    width: int
    height: int
    scale: float
    offset_x: float
    offset_y: float

    @classmethod
    def fit(
        cls,
        xy_norm: np.ndarray,
        size: int | tuple[int, int] = DEFAULT_SIZE,
        *,
        reach: float = 0.0,
        percentiles: tuple[float, float] = FRAMING_PERCENTILES,
    ) -> Framing:
        """Fit a whole dance into a canvas: robust box over all frames, centred, aspect kept.

        Args:
            xy_norm: (frames, 18, 2) normalised poses, all of the dance.
            size: the canvas, see `canvas_size`.
            reach: room kept around the joints for what a look draws beyond them, in torso
                lengths (neck to mid-hip, median over the dance).
            percentiles: of the per-frame extremes that make the box; (0, 100) frames every
                pose, the default ignores the rarest glitches.
        """
        width, height = canvas_size(size)
        xy_px = norm_to_px(np.asarray(xy_norm, dtype=np.float32)).reshape(-1, N_JOINTS, 2)
        # Per-frame extremes, then percentiles over frames: the box holds the whole figure in
        # all but the rarest frames, and the margin catches most of those too.
        low = np.percentile(xy_px.min(axis=1), percentiles[0], axis=0)
        high = np.percentile(xy_px.max(axis=1), percentiles[1], axis=0)
        if reach > 0:
            hips = (xy_px[:, RIGHT_HIP] + xy_px[:, LEFT_HIP]) / 2
            torso_px = float(np.median(np.linalg.norm(xy_px[:, NECK] - hips, axis=-1)))
            low, high = low - reach * torso_px, high + reach * torso_px
        centre = (low + high) / 2
        box = np.maximum(high - low, MIN_BOX_PX)
        inner = np.array([width, height]) * (1 - 2 * FRAMING_MARGIN)
        scale = float(np.min(inner / box))
        return cls(
            width=width,
            height=height,
            scale=scale,
            offset_x=float(width / 2 - centre[0] * scale),
            offset_y=float(height / 2 - centre[1] * scale),
        )

    def to_canvas(self, xy_norm: np.ndarray) -> np.ndarray:
        """Map normalised poses (..., 2) to canvas pixels (..., 2), x right and y down."""
        xy_px = norm_to_px(xy_norm)
        return xy_px * self.scale + np.array([self.offset_x, self.offset_y], dtype=np.float32)


def beat_pulse(beat_times: np.ndarray, n_frames: int, fps: float = VIDEO_FPS) -> np.ndarray:
    """Beat marker strength per frame: 1 on a beat, falling linearly to 0 over BEAT_DECAY_S.

    Args:
        beat_times: beats in seconds from the first frame, shape (n_beats,).
        n_frames: frames in the video, frame j at j / fps seconds.
        fps: video frame rate.

    Returns:
        (n_frames,) float32 in [0, 1].
    """
    beats = np.sort(np.asarray(beat_times, dtype=np.float64))
    times = np.arange(n_frames) / fps
    if beats.size == 0:
        return np.zeros(n_frames, dtype=np.float32)
    # A frame less than half a frame before a beat shows it: the eye sees the beat on the frame
    # nearest to it, not on the one after.
    last = np.searchsorted(beats, times + 0.5 / fps, side="right") - 1
    since = times - beats[np.maximum(last, 0)]
    pulse = np.clip(1.0 - np.maximum(since, 0.0) / BEAT_DECAY_S, 0.0, 1.0)
    pulse[last < 0] = 0.0
    return pulse.astype(np.float32)


def _limb_polygons(xy: np.ndarray, half_width: float) -> np.ndarray:
    """Ellipse outlines for every limb: (frames, 18, 2) px -> (frames, 17, ELLIPSE_POINTS, 2).

    Each ellipse runs from one joint centre to the other (semi-major axis half the limb) with
    semi-minor axis half_width, like OpenPose's `cv2.ellipse2Poly` call.
    """
    a = xy[:, [i for i, _ in LIMBS]]
    b = xy[:, [j for _, j in LIMBS]]
    centre = (a + b) / 2
    along = (b - a) / 2
    half_length = np.linalg.norm(along, axis=-1, keepdims=True)
    unit = np.where(half_length > 1e-6, along / np.maximum(half_length, 1e-6), [1.0, 0.0])
    normal = np.stack([-unit[..., 1], unit[..., 0]], axis=-1)
    theta = np.linspace(0, 2 * np.pi, ELLIPSE_POINTS, endpoint=False)
    cos = np.cos(theta)[:, None]
    sin = np.sin(theta)[:, None]
    return (
        centre[:, :, None, :]
        + cos * along[:, :, None, :]
        + sin * half_width * normal[:, :, None, :]
    )


def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """An 8-bit RGB colour as 8-bit BT.709 limited-range (Y, Cb, Cr)."""
    r, g, b = (c / 255 for c in rgb)
    y = KR * r + (1 - KR - KB) * g + KB * b
    cb = (b - y) / (2 * (1 - KB))
    cr = (r - y) / (2 * (1 - KR))
    return round(16 + 219 * y), round(128 + 224 * cb), round(128 + 224 * cr)


Fill = int | tuple[int, ...]  # a PIL fill: one value per channel of the image drawn into


@dataclass(frozen=True)
class _Plane:
    """One image the shapes are drawn into: a PIL mode, a coordinate scale, the fill colours."""

    mode: str
    scale: float
    to_fill: Callable[[tuple[int, int, int]], Fill]


def _planes(pix_fmt: str) -> list[_Plane]:
    if pix_fmt == "rgb24":
        return [_Plane("RGB", 1.0, lambda rgb: rgb)]
    if pix_fmt != "nv12":
        raise ValueError(f"pix_fmt must be one of {PIX_FMTS}, got {pix_fmt!r}")
    # Drawing luma at full size and interleaved Cb/Cr at half size (a two-channel "LA" image)
    # hands ffmpeg finished NV12: half the bytes of RGB through the pipe and no colour
    # conversion in ffmpeg, for two PIL images per frame.
    return [
        _Plane("L", 1.0, lambda rgb: rgb_to_yuv(rgb)[0]),
        _Plane("LA", 0.5, lambda rgb: rgb_to_yuv(rgb)[1:]),
    ]


def draw_frames(
    xy_canvas: np.ndarray,
    size: tuple[int, int],
    *,
    background: str | tuple[int, int, int] = "black",
    pulse: np.ndarray | None = None,
    pix_fmt: str = "rgb24",
) -> Iterator[np.ndarray]:
    """Draw OpenPose-style skeletons, one frame at a time.

    Args:
        xy_canvas: (frames, 18, 2) joint positions in canvas pixels (see `Framing.to_canvas`).
        size: (width, height) of the canvas in px, even (see `canvas_size`).
        background: "black" (the OpenPose/ControlNet convention), "white" or "#rrggbb".
        pulse: (frames,) beat marker strength in [0, 1] (see `beat_pulse`); None draws no
            marker.
        pix_fmt: "rgb24" yields (height, width, 3) uint8 RGB frames; "nv12" yields flat
            (height * width * 3 // 2,) uint8 frames, the Y plane then Cb and Cr interleaved
            at half size (BT.709, limited range), ready for an encoder.

    Yields:
        one uint8 array per frame, laid out as pix_fmt says.
    """
    xy_canvas = np.asarray(xy_canvas, dtype=np.float32)
    if xy_canvas.ndim != 3 or xy_canvas.shape[1:] != (N_JOINTS, 2):
        raise ValueError(f"expected (frames, {N_JOINTS}, 2) keypoints, got {xy_canvas.shape}")
    if not np.all(np.isfinite(xy_canvas)):
        raise ValueError("keypoints hold NaN or infinite values")
    if pulse is not None and len(pulse) != len(xy_canvas):
        raise ValueError(f"{len(pulse)} beat pulse values for {len(xy_canvas)} frames")
    width, height = size
    if pix_fmt == "nv12" and (width % 2 or height % 2):
        raise ValueError(f"nv12 needs even sides, got {width}x{height}")
    bg = parse_color(background)
    # The beat marker is light on a dark background and dark on a light one.
    fg = (255, 255, 255) if sum(bg) < 3 * 128 else (0, 0, 0)
    limb_rgb = [_mix(bg, c, LIMB_OPACITY) for c in OPENPOSE_COLORS[: len(LIMBS)]]
    joint_rgb = list(OPENPOSE_COLORS[:N_JOINTS])
    unit = min(width, height) / REFERENCE_SIZE
    half_width = max(1.0, STICK_HALF_WIDTH_PX * unit)
    radius = max(1.0, JOINT_RADIUS_PX * unit)
    short = min(width, height)
    marker_r = max(3.0, BEAT_MARKER_RADIUS * short)
    marker_xy = np.array([width, height]) - BEAT_MARKER_INSET * short

    planes = _planes(pix_fmt)
    bases = []
    for plane in planes:
        plane_size = (round(width * plane.scale), round(height * plane.scale))
        base = Image.new(plane.mode, plane_size, plane.to_fill(bg))
        if pulse is not None:
            cx, cy = marker_xy * plane.scale
            r = marker_r * plane.scale
            ImageDraw.Draw(base).ellipse(
                [cx - r, cy - r, cx + r, cy + r],
                outline=plane.to_fill(_mix(bg, fg, BEAT_RING_LEVEL)),
                width=max(1, round(unit * plane.scale)),
            )
        bases.append(base)
    fills = [([p.to_fill(c) for c in limb_rgb], [p.to_fill(c) for c in joint_rgb]) for p in planes]

    for first in range(0, len(xy_canvas), CHUNK_FRAMES):
        chunk = xy_canvas[first : first + CHUNK_FRAMES]
        polygons = _limb_polygons(chunk, half_width)
        discs = np.concatenate([chunk - radius, chunk + radius], axis=-1)
        shapes = [
            (
                (polygons * p.scale).reshape(len(chunk), len(LIMBS), -1).tolist(),
                (discs * p.scale).tolist(),
            )
            for p in planes
        ]
        for k in range(len(chunk)):
            level = 0.0 if pulse is None else float(pulse[first + k])
            images = []
            for plane, base, (limb_fills, joint_fills), (limb_polygons, joint_discs) in zip(
                planes, bases, fills, shapes, strict=True
            ):
                image = base.copy()
                draw = ImageDraw.Draw(image)
                if level > 0:
                    cx, cy = marker_xy * plane.scale
                    r = marker_r * plane.scale * (0.55 + 0.45 * level)
                    fill = plane.to_fill(_mix(bg, fg, level))
                    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
                for polygon, fill in zip(limb_polygons[k], limb_fills, strict=True):
                    draw.polygon(polygon, fill=fill)
                for disc, fill in zip(joint_discs[k], joint_fills, strict=True):
                    draw.ellipse(disc, fill=fill)
                images.append(image)
            if pix_fmt == "rgb24":
                yield np.asarray(images[0])
            else:
                yield np.frombuffer(b"".join(im.tobytes() for im in images), dtype=np.uint8)


def draw_pose(
    xy_canvas: np.ndarray,
    size: tuple[int, int],
    *,
    background: str | tuple[int, int, int] = "black",
) -> np.ndarray:
    """Draw one pose (18, 2) in canvas pixels; returns a (height, width, 3) uint8 frame."""
    return next(draw_frames(np.asarray(xy_canvas)[None], size, background=background))


def fit_framing(
    dance: Dance, size: int | tuple[int, int] = DEFAULT_SIZE, look: str | Look = "skeleton"
) -> Framing:
    """The camera for a dance drawn in a look: room for what the look draws beyond the joints.

    The video, the OpenPose JSON and the pose frames of one look share it, so they line up.

    Raises:
        InputError: a bad size; UnknownLookError: no such look.
    """
    look = get_look(look)
    if not look.whole_dance_in_frame:
        return Framing.fit(dance.keypoints, size, reach=look.reach)
    # Every drawn pose: the video's, where the spline between model frames may overshoot them.
    return Framing.fit(dance.at_fps(VIDEO_FPS), size, reach=look.reach, percentiles=(0.0, 100.0))


def render_frames(
    dance: Dance,
    *,
    look: str | Look = "skeleton",
    size: int | tuple[int, int] = DEFAULT_SIZE,
    background: str | tuple[int, int, int] | None = None,
    show_beats: bool = True,
    fps: int = VIDEO_FPS,
    framing: Framing | None = None,
    pix_fmt: str = "rgb24",
) -> Iterator[np.ndarray]:
    """The frames of a dance's video in a look, drawn lazily at fps.

    Args:
        dance: a `Dance` from `generate`.
        look: a name from `dance.looks.LOOKS` ("skeleton", "mannequin", "stage").
        size: canvas side, or (width, height), in px; odd sides are rounded down to even.
        background: None for the look's own, or "black", "white", "#rrggbb".
        show_beats: show the music's beats (a flashing corner dot; the stage's lights).
        fps: video frame rate; poses are interpolated between the model's frames.
        framing: the camera, which also fixes the canvas size (size is then ignored); None
            fits one to the dance and look (`fit_framing`).
        pix_fmt: "rgb24", or the look's own `Look.pix_fmt` (what video.py pipes to ffmpeg).

    Yields:
        dance.video_frames(fps) frames; for "rgb24" each is (height, width, 3) uint8.

    Raises:
        InputError: a bad size or background; UnknownLookError: no such look.
    """
    look = get_look(look)
    if framing is None:
        framing = fit_framing(dance, size, look)
    if background is not None:
        parse_color(background)  # fail now, not at the first frame
    xy = framing.to_canvas(dance.at_fps(fps))
    pulse = beat_pulse(dance.beat_times, len(xy), fps) if show_beats else None
    return look.draw(
        xy,
        (framing.width, framing.height),
        background=background,
        pulse=pulse,
        fps=fps,
        pix_fmt=pix_fmt,
    )
