"""The `mannequin` look: a shaded wooden artist's mannequin dancing in a light studio.

Each limb is a tapered capsule with rounded joints in two tones, a dark edge and a lit band
towards the upper left, so it reads as a rounded limb; the torso, a head that turns with the
face points, hands and feet come from figure.py, drawn far side first, over a soft shadow on
the floor. (A separate outline and a highlight stroke per limb cost 0.8 ms a frame, a third of
the look, and were dropped to keep within the benchmark's target.)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..motion import VIDEO_FPS
from ..render import parse_color
from .canvas import Canvas, checked_poses
from .figure import LIMB_SLOTS, SLOTS, build_body, capsule_shapes, draw_order, grow_outline

NECK_SLOT = SLOTS[("neck", "centre")]
LIMB_SLOTS_BY_PART = [f"{limb}_{side}" for limb, side in LIMB_SLOTS]
CHUNK_FRAMES = 256  # frames whose shapes are computed at once (bounded memory)

SHADE = (140, 96, 60)  # the side away from the light, darkest at the edge
BODY = (214, 167, 116)  # the lit side
SHINE = (238, 207, 163)  # the glint on the head
EYE = (92, 60, 40)
WALL = ((238, 235, 230), (214, 209, 202))  # backdrop, top and at the floor line
FLOOR = ((200, 193, 184), (226, 221, 214))  # floor, at the line and at the bottom
SHADOW = (62, 48, 38)
MARKER = (70, 70, 80)  # the beat dot
LIGHT = np.array([-0.55, -0.83])  # direction towards the light, image coordinates (y down)
OUTLINE_WIDTH = 0.028  # torso lengths the dark edge reaches beyond each shape
BAND = 0.62  # the lit band's width, of the capsule's
BAND_SHIFT = 0.32  # the lit band sits this far towards the light, of the radius
SHADOW_ALPHA = 0.42  # the floor shadow's darkness when both feet are down
HORIZON = 0.45  # torso lengths above the floor where wall meets floor


def draw(
    xy_canvas: np.ndarray,
    size: tuple[int, int],
    *,
    background: str | tuple[int, int, int] | None = None,
    pulse: np.ndarray | None = None,
    fps: float = VIDEO_FPS,
    pix_fmt: str = "rgb24",
) -> Iterator[np.ndarray]:
    """Draw the mannequin, one frame per pose; pix_fmt "rgb24", "bgra" or "nv12" (looks/canvas)."""
    xy = checked_poses(xy_canvas, pix_fmt, pulse)
    return _frames(xy, size, background, pulse, fps, pix_fmt)


def _frames(xy, size, background, pulse, fps, pix_fmt) -> Iterator[np.ndarray]:
    canvas = Canvas(size, pix_fmt)
    height = size[1]
    body = build_body(xy, fps)
    u = body.unit
    if background is None:
        horizon = body.floor_y - HORIZON * u
        plate = canvas.plate(
            [(0, WALL[0]), (horizon, WALL[1]), (horizon + 1, FLOOR[0]), (height, FLOOR[1])],
        )
        bg = WALL[1]
    else:
        bg = parse_color(background)
        plate = canvas.plate([(0, bg), (height, bg)])
    c = canvas.c
    ow = OUTLINE_WIDTH * u
    shade = canvas.paint(SHADE)
    lit = canvas.paint(BODY)
    glint = canvas.paint(SHINE, 0.6)
    eye = canvas.paint(EYE)
    shadow = canvas.paint(SHADOW, SHADOW_ALPHA, blur=0.05 * u)
    light = LIGHT / np.linalg.norm(LIGHT)
    front = xy[:, 2, 0] <= xy[:, 5, 0]
    limbs = {part: LIMB_SLOTS[tuple(part.split("_"))] for part in LIMB_SLOTS_BY_PART}

    for first in range(0, len(xy), CHUNK_FRAMES):
        span = slice(first, first + CHUNK_FRAMES)
        caps = body.capsules[span]
        # Per chunk, every shape's numbers are computed at once and handed to skia as lists.
        shapes = [
            [a.tolist() for a in capsule_shapes(caps, ow)],
            [a.tolist() for a in capsule_shapes(_lit_bands(caps))],
        ]
        torsos = body.torso[span]
        torso_shapes = [grow_outline(torsos, ow).tolist(), _lit_torso(torsos, u).tolist()]
        heads = body.head[span].tolist()
        faces = body.face[span].tolist()
        eyes = body.eyes[span].tolist()

        for j in range(len(caps)):
            k = first + j
            np.copyto(canvas.pixels, plate)
            rx = float(body.spread[k]) + 0.3 * u
            fade = float(np.clip(1.0 - body.lift[k] / 0.8, 0.25, 1.0))
            shadow.setAlphaf(SHADOW_ALPHA * fade)
            canvas.oval(
                float(body.feet_x[k]), body.floor_y, rx * (0.6 + 0.4 * fade), 0.07 * u, shadow
            )
            if pulse is not None:
                canvas.beat_marker(float(pulse[k]), bg, MARKER)
            for part in draw_order(bool(body.near_right[k])):
                if part == "torso":
                    for points, paint in zip(
                        (t[j] for t in torso_shapes), (shade, lit), strict=True
                    ):
                        c.drawPath(canvas.smooth_polygon(points), paint)
                    continue
                slots = [NECK_SLOT] if part == "head" else limbs[part]
                for (quads, circles), paint in zip(shapes, (shade, lit), strict=True):
                    chain = [circles[j][i][0] for i in slots] + [circles[j][slots[-1]][1]]
                    c.drawPath(canvas.capsules([quads[j][i] for i in slots], chain), paint)
                if part == "head":
                    cx, cy, hx, hy, tilt = heads[j]
                    canvas.oval(cx, cy, hx + ow, hy + ow, shade, tilt)
                    lx, ly = cx + light[0] * 0.22 * hx, cy + light[1] * 0.18 * hy
                    canvas.oval(lx, ly, hx * 0.74, hy * 0.78, lit, tilt)
                    fx, fy = faces[j]
                    canvas.oval(fx + light[0] * 0.1 * hx, fy - 0.25 * hy, hx * 0.22, hy * 0.14,
                                glint, tilt)  # fmt: skip
                    if front[k]:
                        for ex, ey in eyes[j]:
                            c.drawCircle(ex, ey, 0.022 * u, eye)
            yield canvas.frame()


def _lit_bands(caps: np.ndarray) -> np.ndarray:
    """The lit side of every capsule: narrower, shifted towards the light. (..., 6) -> (..., 6)."""
    light = LIGHT / np.linalg.norm(LIGHT)
    d = caps[..., 2:4] - caps[..., 0:2]
    length = np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-6)
    normal = np.stack([-d[..., 1], d[..., 0]], axis=-1) / length
    side = (normal @ light)[..., None]  # how much the normal faces the light
    shift = normal * side * BAND_SHIFT
    out = caps.copy()
    out[..., 0:2] += shift * caps[..., 4:5]
    out[..., 2:4] += shift * caps[..., 5:6]
    out[..., 4:6] *= BAND
    return out


def _lit_torso(torso: np.ndarray, unit: float) -> np.ndarray:
    """The torso's lit part: shrunk about its centre, moved towards the light. (frames, n, 2)."""
    centre = torso.mean(axis=1, keepdims=True)
    light = LIGHT / np.linalg.norm(LIGHT)
    return centre + (torso - centre) * np.array([0.78, 0.86]) + light * 0.06 * unit
