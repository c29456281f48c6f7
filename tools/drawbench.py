"""Drawing libraries side by side: the same antialiased mannequin-like frame, 512 x 512.

`python -m tools.drawbench` is how the body looks' library was chosen (README, "Benchmark").
Geometry is computed with numpy beforehand for all frames, as the looks do, so only drawing
and handing out a frame is timed: per frame a floor shadow, a torso, 12 tapered limbs (a dark
edge and a fill, each two circles and a quad) and a head, over a copied background. PIL has no
antialiasing, so it is timed as is and supersampled (drawn 2x or 3x larger, then reduced);
skia and cairo draw into a numpy frame in the byte order ffmpeg then reads as is. pycairo has
no Linux wheel (it builds against libcairo2-dev), so it is timed only where it is installed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np

WIDTH = HEIGHT = 512
FRAMES = 600
LIMBS = 12
EDGE = ((60, 40, 30), 2)  # colour, radius grown by px
FILL = ((210, 170, 120), 0)


def geometry(frames: int = FRAMES) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Random limbs (frames, LIMBS, 4) and their quads (frames, LIMBS, 4, 2) per grow."""
    ends = np.random.default_rng(0).uniform(100, 400, (frames, LIMBS, 4)).astype(np.float32)
    a, b = ends[..., :2], ends[..., 2:]
    d = b - a
    unit = d / (np.linalg.norm(d, axis=-1, keepdims=True) + 1e-6)
    normal = np.stack([-unit[..., 1], unit[..., 0]], -1)
    quads = {
        g: np.stack([a + normal * r0, b + normal * r1, b - normal * r1, a - normal * r0], -2)
        for g, (r0, r1) in ((0, (14, 10)), (2, (16, 12)))
    }
    return ends, quads


def pil_frames(scale: int) -> Iterator[np.ndarray]:
    from PIL import Image, ImageDraw

    ends, quads = geometry()
    base = Image.new("RGB", (WIDTH * scale, HEIGHT * scale), (200, 200, 200))
    q = {g: (v * scale).tolist() for g, v in quads.items()}
    e = (ends * scale).tolist()
    s = scale
    for k in range(FRAMES):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        draw.ellipse([150 * s, 440 * s, 350 * s, 470 * s], fill=(170, 170, 170))
        torso = [(130 * s, 150 * s), (330 * s, 150 * s), (300 * s, 300 * s), (160 * s, 300 * s)]
        draw.polygon(torso, fill=FILL[0])
        for i in range(LIMBS):
            x0, y0, x1, y1 = e[k][i]
            for colour, g in (EDGE, FILL):
                r0, r1 = (14 + g) * s, (10 + g) * s
                draw.polygon([tuple(p) for p in q[g][k][i]], fill=colour)
                draw.ellipse([x0 - r0, y0 - r0, x0 + r0, y0 + r0], fill=colour)
                draw.ellipse([x1 - r1, y1 - r1, x1 + r1, y1 + r1], fill=colour)
        draw.ellipse([230 * s, 60 * s, 290 * s, 130 * s], fill=FILL[0])
        if scale > 1:
            image = image.reduce(scale)
        yield np.asarray(image)


def skia_frames(colour_type: str = "bgra") -> Iterator[np.ndarray]:
    import skia

    ends, quads = geometry()
    pixels = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    kind = skia.kBGRA_8888_ColorType if colour_type == "bgra" else skia.kRGBA_8888_ColorType
    canvas = skia.Surface(pixels, kind, skia.kPremul_AlphaType).getCanvas()
    background = np.full((HEIGHT, WIDTH, 4), 200, np.uint8)
    paint = skia.Paint(AntiAlias=True)
    shadow = skia.Paint(AntiAlias=True, Color=skia.Color(170, 170, 170))
    q = {g: v.tolist() for g, v in quads.items()}
    e = ends.tolist()
    colours = {g: skia.Color(*c) for c, g in (EDGE, FILL)}
    for k in range(FRAMES):
        np.copyto(pixels, background)
        canvas.drawOval(skia.Rect(150, 440, 350, 470), shadow)
        paint.setColor(colours[0])
        torso = skia.Path()
        torso.moveTo(130, 150)
        for x, y in ((330, 150), (300, 300), (160, 300)):
            torso.lineTo(x, y)
        torso.close()
        canvas.drawPath(torso, paint)
        for i in range(LIMBS):
            x0, y0, x1, y1 = e[k][i]
            for _, g in (EDGE, FILL):
                paint.setColor(colours[g])
                (ax, ay), (bx, by), (cx, cy), (dx, dy) = q[g][k][i]
                path = skia.Path()
                path.moveTo(ax, ay)
                path.lineTo(bx, by)
                path.lineTo(cx, cy)
                path.lineTo(dx, dy)
                path.close()
                path.addCircle(x0, y0, 14 + g, skia.PathDirection.kCCW)
                path.addCircle(x1, y1, 10 + g, skia.PathDirection.kCCW)
                canvas.drawPath(path, paint)
        canvas.drawOval(skia.Rect(230, 60, 290, 130), paint)
        yield pixels.copy()


def cairo_frames() -> Iterator[np.ndarray]:
    import cairo

    ends, quads = geometry()
    pixels = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    surface = cairo.ImageSurface.create_for_data(
        memoryview(pixels), cairo.FORMAT_ARGB32, WIDTH, HEIGHT
    )
    c = cairo.Context(surface)
    background = np.full((HEIGHT, WIDTH, 4), 200, np.uint8)
    q = {g: v.tolist() for g, v in quads.items()}
    e = ends.tolist()

    def oval(cx: float, cy: float, rx: float, ry: float) -> None:
        c.save()
        c.translate(cx, cy)
        c.scale(rx, ry)
        c.arc(0, 0, 1, 0, 2 * math.pi)
        c.restore()
        c.fill()

    for k in range(FRAMES):
        np.copyto(pixels, background)
        c.set_source_rgb(170 / 255, 170 / 255, 170 / 255)
        oval(250, 455, 100, 15)
        c.set_source_rgb(*(v / 255 for v in FILL[0]))
        c.move_to(130, 150)
        for x, y in ((330, 150), (300, 300), (160, 300)):
            c.line_to(x, y)
        c.close_path()
        c.fill()
        for i in range(LIMBS):
            x0, y0, x1, y1 = e[k][i]
            for colour, g in (EDGE, FILL):
                c.set_source_rgb(*(v / 255 for v in colour))
                (ax, ay), (bx, by), (cx, cy), (dx, dy) = q[g][k][i]
                c.move_to(ax, ay)
                c.line_to(bx, by)
                c.line_to(cx, cy)
                c.line_to(dx, dy)
                c.close_path()
                c.new_sub_path()
                c.arc(x0, y0, 14 + g, 0, 2 * math.pi)
                c.new_sub_path()
                c.arc(x1, y1, 10 + g, 0, 2 * math.pi)
                c.fill()
        oval(260, 95, 30, 35)
        surface.flush()
        yield pixels.copy()


CANDIDATES: dict[str, Callable[[], Iterator[np.ndarray]]] = {
    "PIL, no antialiasing": lambda: pil_frames(1),
    "PIL, 2x supersampled": lambda: pil_frames(2),
    "PIL, 3x supersampled": lambda: pil_frames(3),
    "skia-python, RGBA": lambda: skia_frames("rgba"),
    "skia-python, BGRA": lambda: skia_frames("bgra"),
    "pycairo, BGRA": cairo_frames,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.drawbench", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, frames in CANDIDATES.items():
            try:
                t0 = time.process_time()
                n = sum(1 for _ in frames())
            except ImportError as err:
                times.setdefault(name, [])
                print(f"{name}: not installed ({err})")
                continue
            times.setdefault(name, []).append((time.process_time() - t0) / n * 1000)
    for name, values in times.items():
        if values:
            print(
                f"{name:<24} median {statistics.median(values):5.2f} ms CPU a frame "
                f"(range {min(values):.2f}-{max(values):.2f}, {len(values)} x {FRAMES} frames)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
