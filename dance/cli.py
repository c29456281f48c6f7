"""The command line: `python -m dance generate SONG -o out.mp4 ...`, `styles`, `looks`, `info`.

Parses arguments, sets up logging, calls the library and turns a `DanceError` into one line on
stderr and its exit code (see errors.py). The only module in `dance` that prints.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import errors
from .audio import DEFAULT_MAX_SECONDS
from .errors import NO_TRAINED_MODEL, DanceError, InputError, NoTrainedModelError
from .export import MAX_POSE_FPS, check_pose_fps, check_pose_frames_path
from .looks import DEFAULT_LOOK, LOOKS, get_look
from .motion import VIDEO_FPS
from .output import check_distinct, check_writable
from .render import BACKGROUNDS, DEFAULT_SIZE, canvas_size, parse_color
from .runtime import configure_torch

if TYPE_CHECKING:
    from .model import Generator


EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C


def _size(text: str) -> tuple[int, int]:
    """Parse "512" or "640x360" for --size."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or WxH pixels, got {text!r}") from None
    if len(parts) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected N or WxH pixels, got {text!r}")
    try:
        return canvas_size(parts[0] if len(parts) == 1 else (parts[0], parts[1]))
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _look(text: str) -> str:
    try:
        return get_look(text).name
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _pose_fps(text: str) -> int:
    try:
        return check_pose_fps(int(text))
    except (ValueError, InputError):
        raise argparse.ArgumentTypeError(
            f"expected a whole number 1-{MAX_POSE_FPS}, got {text!r}"
        ) from None


def _background(text: str) -> str:
    try:
        parse_color(text)
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="python -m dance",
        description="Turn a song into an MP4 of a dancing figure (an OpenPose stick figure, "
        "a mannequin or a silhouette on a stage).",
        epilog="Exit codes: "
        + ", ".join(
            f"{cls.exit_code} {cls.__name__}"
            for cls in (
                errors.DanceError,
                errors.InputError,
                errors.AudioError,
                errors.SongTooLongError,
                errors.ModelError,
                errors.VideoError,
                errors.OutputError,
            )
        )
        + f", {EXIT_INTERRUPTED} interrupted.",
        formatter_class=fmt,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="make a dance video for a song", formatter_class=fmt)
    gen.add_argument("song", type=Path, metavar="SONG", help="MP3, WAV, OGG, FLAC or M4A file")
    gen.add_argument(
        "-o", "--output", type=Path, default="dance.mp4", metavar="MP4", help="the video to write"
    )
    gen.add_argument("--seed", type=int, default=0, help="noise seed: same seed, same dance")
    gen.add_argument(
        "--style",
        default="auto",
        metavar="STYLE",
        help="dance style (`python -m dance styles` lists them); auto: chosen from the music",
    )
    gen.add_argument("--start", type=float, default=0.0, help="start in the song, seconds")
    gen.add_argument(
        "--seconds", type=float, default=None, help="length in seconds; None: the rest of the song"
    )
    gen.add_argument(
        "--max-seconds",
        type=float,
        default=DEFAULT_MAX_SECONDS,
        help="refuse spans longer than this many seconds",
    )
    gen.add_argument(
        "--keypoints", type=Path, metavar="ZIP", help="also write per-frame OpenPose JSON, zipped"
    )
    gen.add_argument(
        "--pose-frames",
        type=Path,
        metavar="ZIP|DIR",
        help="also write PNG pose images in ControlNet's OpenPose convention, for "
        "pose-to-video models: a .zip, or a new folder",
    )
    gen.add_argument(
        "--pose-fps",
        type=_pose_fps,
        default=VIDEO_FPS,
        metavar="FPS",
        help="frame rate of --pose-frames",
    )
    gen.add_argument(
        "--npz", type=Path, metavar="NPZ", help="also write normalised keypoints and beats"
    )
    gen.add_argument(
        "--paper-json",
        type=Path,
        metavar="JSON",
        help="also write the paper's format: 640x360 pixels at the model's fps",
    )
    gen.add_argument(
        "--size",
        type=_size,
        default=str(DEFAULT_SIZE),
        metavar="N|WxH",
        help="canvas size in pixels (odd sides are rounded down to even)",
    )
    gen.add_argument(
        "--look",
        type=_look,
        default=DEFAULT_LOOK,
        metavar="LOOK",
        help=f"how the dancer is drawn: {', '.join(LOOKS)} (`python -m dance looks`)",
    )
    gen.add_argument(
        "--background",
        type=_background,
        default=None,
        metavar="COLOR",
        help=f"{', '.join(BACKGROUNDS)} or #rrggbb; None: the look's own (black for skeleton)",
    )
    gen.add_argument(
        "--no-beats",
        action="store_true",
        help="do not show the music's beats (the corner dot; the stage's pulsing lights)",
    )
    gen.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="PATH",
        help="generator weights; None: $DANCE_CHECKPOINT, else checkpoints/generator.safetensors",
    )
    _add_verbosity(gen)

    styles = sub.add_parser(
        "styles", help="list the installed generator's dance styles", formatter_class=fmt
    )
    styles.add_argument(
        "--checkpoint", type=Path, default=None, metavar="PATH", help="as for generate"
    )
    _add_verbosity(styles)

    looks = sub.add_parser("looks", help="list the looks a dance can be drawn in")
    _add_verbosity(looks)

    info = sub.add_parser("info", help="describe the installed generator", formatter_class=fmt)
    info.add_argument(
        "--checkpoint", type=Path, default=None, metavar="PATH", help="as for generate"
    )
    _add_verbosity(info)
    return parser


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    group.add_argument("-v", "--verbose", action="store_true", help="log each step")


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _load(checkpoint: Path | None, *, require_trained: bool = True) -> Generator:
    from .model import load_model

    try:
        return load_model(checkpoint, require_trained=require_trained)
    except NoTrainedModelError as err:
        # Say it plainly whichever way it happened: no file, or a file that never trained.
        err.args = (f"{NO_TRAINED_MODEL}: {err.reason}",)
        raise


def cmd_generate(args: argparse.Namespace) -> int:
    from .export import export_npz, export_openpose_zip, export_paper_json, export_pose_frames
    from .generate import generate
    from .video import render_video

    t_start = time.perf_counter()
    outputs = [args.output, args.keypoints, args.npz, args.paper_json]
    outputs = [p for p in outputs if p is not None]
    if args.pose_frames is not None:
        outputs.append(args.pose_frames)
    check_distinct(outputs)
    for path in outputs:
        if path is args.pose_frames:
            check_pose_frames_path(path)
        else:
            check_writable(path)
    model = _load(args.checkpoint)
    progress = not args.quiet
    result = generate(
        model,
        args.song,
        seed=args.seed,
        style=args.style,
        start=args.start,
        seconds=args.seconds,
        max_seconds=args.max_seconds,
        progress=progress,
    )
    stats = render_video(
        result,
        args.output,
        look=args.look,
        size=args.size,
        background=args.background,
        show_beats=not args.no_beats,
        progress=progress,
    )
    t0 = time.perf_counter()
    written = [("video", stats.path)]
    if args.keypoints is not None:
        written.append(
            (
                "OpenPose JSON",
                export_openpose_zip(result, args.keypoints, size=args.size, look=args.look),
            )
        )
    if args.pose_frames is not None:
        frames = export_pose_frames(
            result, args.pose_frames, size=args.size, fps=args.pose_fps, look=args.look
        )
        written.append((f"pose frames ({args.pose_fps} fps)", frames))
    if args.npz is not None:
        written.append(("keypoints NPZ", export_npz(result, args.npz)))
    if args.paper_json is not None:
        written.append(("paper JSON", export_paper_json(result, args.paper_json)))
    export_s = time.perf_counter() - t0
    total_s = time.perf_counter() - t_start

    if not args.quiet:
        t = result.timings
        print(
            f"{result.song.name}: {result.duration_s:.1f} s from {result.start_s:g} s, "
            f"seed {result.seed}, "
            + (f"style {result.style}, " if result.style else "")
            + f"tempo {result.tempo_bpm:.1f} BPM, "
            f"{result.beat_times.size} beats"
        )
        print(f"{stats.frames} frames at {VIDEO_FPS} fps, {stats.width}x{stats.height}")
        for what, path in written:
            print(f"  {what}: {path}")
        print(
            f"time: decode {t['decode']:.1f} s, analysis {t['analysis']:.1f} s, "
            f"model {t['model']:.1f} s, drawing {stats.render_s:.1f} s, "
            f"encode {stats.encode_s:.1f} s"
            + (f", exports {export_s:.1f} s" if len(written) > 1 else "")
            + f"; total {total_s:.1f} s"
        )
    return 0


def cmd_styles(args: argparse.Namespace) -> int:
    from .styles import AUTO, AUTO_RULE, describe

    model = _load(args.checkpoint)
    styles = model.config.styles
    if not styles:
        print(f"{AUTO}: this generator was trained without styles; it has one way to dance")
        return 0
    width = max(len(s) for s in (AUTO, *styles))
    print(f"{AUTO:<{width}}  {AUTO_RULE}")
    for style in styles:
        print(f"{style:<{width}}  {describe(style)}")
    return 0


def cmd_looks(args: argparse.Namespace) -> int:
    width = max(len(name) for name in LOOKS)
    for name, look in LOOKS.items():
        default = " (default)" if name == DEFAULT_LOOK else ""
        print(f"{name:<{width}}  {look.summary}{default}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .model import default_checkpoint, parameter_count

    model = _load(args.checkpoint, require_trained=False)
    path = args.checkpoint or default_checkpoint()
    steps = int(model.meta.get("trained_steps", 0) or 0)
    print(f"checkpoint: {path}")
    print(
        f"trained: {'yes, ' + str(steps) + ' steps' if steps > 0 else 'NO (generate refuses it)'}"
    )
    print(f"parameters: {parameter_count(model):,}")
    print("config:")
    for key, value in asdict(model.config).items():
        print(f"  {key}: {value}")
    if model.meta:
        print("meta:")
        for key, value in model.meta.items():
            print(f"  {key}: {value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 on success, DanceError.exit_code on failure)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    configure_torch()
    command = {
        "generate": cmd_generate,
        "styles": cmd_styles,
        "looks": cmd_looks,
        "info": cmd_info,
    }[args.command]
    try:
        return command(args)
    except DanceError as err:
        message = " ".join(str(err).split())  # one line, even with ffmpeg's output inside
        print(f"dance: error: {message}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("dance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
