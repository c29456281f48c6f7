"""The `stage` look: a rim-lit silhouette on a dark stage whose lights pulse on the beats.

A spotlight behind the dancer, two beams from above and a pool of light on the floor flare on
every beat and fade over STAGE_DECAY_S; their colour cuts to the next of PALETTE every
BEATS_PER_COLOUR beats, on the beat. The dancer is a near-black body from figure.py, rimmed in
the light's colour; the near arm is drawn again on top, rimmed, so it shows in front of the
chest.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from ..motion import VIDEO_FPS
from ..render import parse_color
from .canvas import Canvas, checked_poses, mix
from .figure import LIMB_SLOTS, SLOTS, build_body, capsule_shapes, draw_order, grow_outline

PALETTE = ((255, 64, 170), (64, 200, 255), (255, 176, 48), (160, 96, 255))  # light colours
BEATS_PER_COLOUR = 8  # two bars of 4/4
STAGE_DECAY_S = 0.35  # a beat's flare fades by 1/e over this long
REST_LEVEL = 0.35  # the lights between beats, of their flare; steady lights without beats
BACKDROP = ((5, 4, 12), (22, 15, 38))  # top and at the floor line
FLOOR = ((16, 12, 28), (3, 3, 8))  # at the floor line and at the bottom
BODY = (9, 7, 16)  # the silhouette
RIM_WIDTH = 0.03  # torso lengths of rim light around the body
HORIZON = 0.5  # torso lengths above the floor where the backdrop meets the floor
LEVEL_STEPS = 14  # light levels drawn apart; a step is 4 % of the spotlight's strength
PLATE_CACHE_BYTES = 64 * 2**20  # lit stages kept: every level of every colour at 512 x 512
NECK_SLOT = SLOTS[("neck", "centre")]
LIMB_PARTS = [f"{limb}_{side}" for limb, side in LIMB_SLOTS]
CHUNK_FRAMES = 256  # frames whose shapes are computed at once (bounded memory)


def light_levels(pulse: np.ndarray | None, n: int, fps: float) -> np.ndarray:
    """(n,) light level in [REST_LEVEL, 1]: 1 on a beat, decaying exponentially after it."""
    if pulse is None:
        return np.full(n, REST_LEVEL, dtype=np.float32)
    decay = float(np.exp(-1.0 / (STAGE_DECAY_S * fps)))
    out = np.empty(n, dtype=np.float32)
    level = 0.0
    for k in range(n):
        level = max(float(pulse[k]), level * decay)
        out[k] = level
    return REST_LEVEL + (1 - REST_LEVEL) * out


def light_colours(pulse: np.ndarray | None, n: int) -> list[tuple[int, int, int]]:
    """The lights' colour per frame: the next of PALETTE every BEATS_PER_COLOUR beats.

    The colour cuts on the beat, when the lights flare anyway, as stage lights do.
    """
    if pulse is None:
        return [PALETTE[0]] * n
    p = np.asarray(pulse, dtype=np.float32)
    onsets = np.flatnonzero(p - np.concatenate([[0.0], p[:-1]]) > 0.5)
    changes = onsets[BEATS_PER_COLOUR::BEATS_PER_COLOUR]
    index = np.searchsorted(changes, np.arange(n), side="right") % len(PALETTE)
    return [PALETTE[i] for i in index]


def draw(
    xy_canvas: np.ndarray,
    size: tuple[int, int],
    *,
    background: str | tuple[int, int, int] | None = None,
    pulse: np.ndarray | None = None,
    fps: float = VIDEO_FPS,
    pix_fmt: str = "rgb24",
) -> Iterator[np.ndarray]:
    """Draw the stage, one frame per pose; pix_fmt "rgb24", "bgra" or "nv12" (looks/canvas)."""
    xy = checked_poses(xy_canvas, pix_fmt, pulse)
    return _frames(xy, size, background, pulse, fps, pix_fmt)


def _frames(xy, size, background, pulse, fps, pix_fmt) -> Iterator[np.ndarray]:
    canvas = Canvas(size, pix_fmt)
    skia = canvas.skia
    c = canvas.c
    width, height = size
    body = build_body(xy, fps)
    u = body.unit
    horizon = body.floor_y - HORIZON * u
    if background is None:
        plate = canvas.plate(
            [(0, BACKDROP[0]), (horizon, BACKDROP[1]), (horizon + 1, FLOOR[0]), (height, FLOOR[1])],
        )
    else:
        bg = parse_color(background)
        plate = canvas.plate([(0, bg), (height, bg)])
    levels = light_levels(pulse, len(xy), fps).tolist()
    colours = light_colours(pulse, len(xy))
    centre_x = float(np.median(body.feet_x)) if len(xy) else width / 2
    # The spotlight: centred on where the dancer mostly stands, a body height and a half wide.
    spot_xy = (centre_x, body.floor_y - 1.6 * u)
    spot_r = 2.6 * u
    pool_rx, pool_ry = 1.5 * u, 0.28 * u
    beam_tops = [(width * 0.12, -0.05 * height), (width * 0.88, -0.05 * height)]

    silhouette = canvas.paint(BODY)
    rim = canvas.paint(BODY)
    light_paint = skia.Paint(AntiAlias=True)
    limbs = {part: LIMB_SLOTS[tuple(part.split("_"))] for part in LIMB_PARTS}
    grows = [RIM_WIDTH * u, 0.0]

    def part_path(shapes, j: int, part: str, path=None):
        """The path of one body part at one grow (shapes: capsules and torso of a chunk)."""
        path = skia.Path() if path is None else path
        quads, circles, torsos = shapes
        if part == "torso":
            path.addPath(canvas.smooth_polygon(torsos[j]))
            return path
        slots = [NECK_SLOT] if part == "head" else limbs[part]
        chain = [circles[j][i][0] for i in slots] + [circles[j][slots[-1]][1]]
        canvas.capsules([quads[j][i] for i in slots], chain, path)
        return path

    def gradient(centre, radius, colour, alpha, scale_y=1.0):
        colours = [canvas.color(colour, int(255 * alpha)), canvas.color(colour, 0)]
        if scale_y == 1:
            return skia.GradientShader.MakeRadial(skia.Point(*centre), radius, colours)
        matrix = skia.Matrix()
        matrix.setScale(1.0, scale_y, centre[0], centre[1])
        return skia.GradientShader.MakeRadial(
            skia.Point(*centre), radius, colours, None, skia.TileMode.kClamp, 0, matrix
        )

    def draw_lights(level: float, colour: tuple[int, int, int]) -> None:
        """The spotlight on the backdrop, the beams, the floor pool, over the bare stage."""
        bright = mix(colour, (255, 255, 255), 0.35)
        light_paint.setShader(gradient(spot_xy, spot_r, colour, 0.55 * level))
        c.drawCircle(spot_xy[0], spot_xy[1], spot_r, light_paint)
        for tx, ty in beam_tops:
            target_x = centre_x + (tx - centre_x) * 0.15
            beam = skia.Path()
            beam.moveTo(tx - 0.04 * u, ty)
            beam.lineTo(tx + 0.04 * u, ty)
            beam.lineTo(target_x + 0.9 * u, body.floor_y)
            beam.lineTo(target_x - 0.9 * u, body.floor_y)
            beam.close()
            light_paint.setShader(
                skia.GradientShader.MakeLinear(
                    [skia.Point(tx, ty), skia.Point(target_x, body.floor_y)],
                    [canvas.color(bright, int(90 * level)), canvas.color(colour, int(25 * level))],
                )
            )
            c.drawPath(beam, light_paint)
        light_paint.setShader(
            gradient((centre_x, body.floor_y), pool_rx, bright, 0.8 * level, pool_ry / pool_rx)
        )
        canvas.oval(centre_x, body.floor_y, pool_rx, pool_ry, light_paint)

    # The lit stage changes only with the light's level and colour, so it is drawn once per
    # (level step, colour) and kept: a radial gradient over the canvas costs more than the dancer.
    plates: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def lit_stage(level: float, colour: tuple[int, int, int]) -> np.ndarray:
        key = (round(level * LEVEL_STEPS), colour)
        if key not in plates:
            np.copyto(canvas.pixels, plate)
            draw_lights(key[0] / LEVEL_STEPS, colour)
            plates[key] = canvas.pixels.copy()
            if len(plates) * canvas.pixels.nbytes > PLATE_CACHE_BYTES:
                plates.popitem(last=False)
        plates.move_to_end(key)
        return plates[key]

    for first in range(0, len(xy), CHUNK_FRAMES):
        span = slice(first, first + CHUNK_FRAMES)
        caps, torsos = body.capsules[span], body.torso[span]
        # Every shape at every grow, for the whole chunk at once; skia gets plain lists.
        shapes = [
            [*(a.tolist() for a in capsule_shapes(caps, grow)), grow_outline(torsos, grow).tolist()]
            for grow in grows
        ]
        heads = body.head[span].tolist()
        for j in range(len(caps)):
            k = first + j
            level, colour = levels[k], colours[k]
            np.copyto(canvas.pixels, lit_stage(level, colour))
            # The dancer: a rim of the light's colour around the whole body, the body, then
            # the near arm again, rimmed, so that it shows in front of the chest. (A soft glow
            # around the rim cost 0.85 ms a frame, a third of the look: the spotlight glows.)
            order = draw_order(bool(body.near_right[k]))
            near_arm = order[-1]
            rim.setColor(canvas.color(mix(colour, (255, 255, 255), 0.35)))
            layers = [(rim, shapes[0], grows[0]), (silhouette, shapes[1], 0.0)]
            for paint, grown, grow in layers:
                path = skia.Path()
                for part in order[:-1]:
                    part_path(grown, j, part, path)
                head_oval(path, heads[j], grow)
                c.drawPath(path, paint)
            for paint, grown, _ in layers:
                c.drawPath(part_path(grown, j, near_arm), paint)
            yield canvas.frame()


def head_oval(path, head: list[float], grow: float) -> None:
    """Add the head's tilted oval, grown by grow px, to a path."""
    import skia

    cx, cy, rx, ry, tilt = head
    oval = skia.Path()
    oval.addOval(skia.Rect(cx - rx - grow, cy - ry - grow, cx + rx + grow, cy + ry + grow))
    path.addPath(oval, skia.Matrix.RotateDeg(tilt, skia.Point(cx, cy)))
