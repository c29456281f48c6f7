"""The command line: `python -m dance generate SONG... -o out.mp4 ...`, `styles`, `looks`, `info`.

Parses arguments, sets up logging, calls the library and turns a `DanceError` into one line on
stderr and its exit code (see errors.py). The only module in `dance` that prints. It imports
the library only once the arguments are parsed, so `--help` costs no numerical imports, and
runs the generator in numpy (numpy_model.py), so a fresh process never waits for torch.
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
from .errors import NO_TRAINED_MODEL, DanceError, InputError, NoTrainedModelError, OutputError
from .render import BACKGROUNDS, DEFAULT_SIZE, canvas_size, parse_color

if TYPE_CHECKING:
    from .generate import AnyGenerator


EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C
# What a folder given as SONG is searched for (not recursively): audio and common video files.
SONG_SUFFIXES = (".mp3", ".wav", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".aif",
                 ".aiff", ".wma", ".mp4", ".mov", ".mkv", ".webm")  # fmt: skip
DEFAULT_OUTPUT = Path("dance.mp4")


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


def _pose_fps(text: str) -> int:
    from .export import MAX_POSE_FPS, check_pose_fps

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
        description="Turn a song into an MP4 of a dancing OpenPose stick figure.",
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
        + f", {EXIT_INTERRUPTED} interrupted. With several songs, each failing song is reported "
        "and the others are still made; the exit code is then that of the first failure.",
        formatter_class=fmt,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="make a dance video for a song", formatter_class=fmt)
    gen.add_argument(
        "song",
        type=Path,
        nargs="+",
        metavar="SONG",
        help="MP3, WAV, OGG, FLAC or M4A file, or a folder of them; several make one video each",
    )
    gen.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="MP4|DIR/",
        help=f"the video to write (default {DEFAULT_OUTPUT}); for several songs a folder, "
        "which gets SONG_NAME.mp4 for each",
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
        "--keypoints",
        type=Path,
        metavar="ZIP|DIR/",
        help="also write per-frame OpenPose JSON, zipped (for several songs: a folder)",
    )
    gen.add_argument(
        "--pose-frames",
        type=Path,
        metavar="ZIP|DIR",
        help="also write PNG pose images in ControlNet's OpenPose convention, for "
        "pose-to-video models: a .zip, or a new folder (for several songs: a folder of zips)",
    )
    gen.add_argument(
        "--pose-fps", type=_pose_fps, default=30, metavar="FPS", help="frame rate of --pose-frames"
    )
    gen.add_argument(
        "--npz",
        type=Path,
        metavar="NPZ|DIR/",
        help="also write normalised keypoints and beats (for several songs: a folder)",
    )
    gen.add_argument(
        "--paper-json",
        type=Path,
        metavar="JSON|DIR/",
        help="also write the paper's format: 640x360 pixels at the model's fps (several: a folder)",
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
        default="skeleton",
        metavar="LOOK",
        help="how the dancer is drawn: skeleton (OpenPose), or a figure with a body "
        "(`python -m dance looks` lists them)",
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


def _load(checkpoint: Path | None, *, require_trained: bool = True) -> AnyGenerator:
    from .numpy_model import load_numpy_model

    try:
        model = load_numpy_model(checkpoint, require_trained=require_trained)
    except NoTrainedModelError as err:
        # Say it plainly whichever way it happened: no file, or a file that never trained.
        err.args = (f"{NO_TRAINED_MODEL}: {err.reason}",)
        raise
    if "torch" in sys.modules:  # only a .pt or raw-front-end checkpoint loads torch
        from .runtime import configure_torch

        configure_torch()
    return model


def _find_songs(given: list[Path]) -> list[Path]:
    """The songs named on the command line, folders replaced by the songs inside them."""
    songs: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SONG_SUFFIXES)
            if not found:
                raise InputError(f"{path}: no songs in this folder ({', '.join(SONG_SUFFIXES)})")
            songs += found
        else:
            songs.append(path)
    return songs


def _is_folder(path: Path | None) -> bool:
    return path is not None and (path.is_dir() or str(path).endswith(("/", "\\")))


def _folder(path: Path, flag: str) -> Path:
    """A folder for several songs' outputs, made if its parent exists."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: {flag} must be a folder when there are several songs")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: cannot write here: the folder {path.parent} does not exist")
    path.mkdir(exist_ok=True)
    return path


def _plan(args: argparse.Namespace, songs: list[Path]) -> list[dict[str, Path | None]]:
    """Output paths per song: {"video", "keypoints", "npz", "paper_json"} (None: not asked)."""
    flags = {
        "video": "-o",
        "keypoints": "--keypoints",
        "npz": "--npz",
        "paper_json": "--paper-json",
        "pose_frames": "--pose-frames",
    }
    given = {"video": args.output, "keypoints": args.keypoints, "npz": args.npz,
             "paper_json": args.paper_json, "pose_frames": args.pose_frames}  # fmt: skip
    if len(songs) == 1 and not _is_folder(args.output):
        return [{**given, "video": args.output or DEFAULT_OUTPUT}]
    if args.output is None:
        raise InputError(f"{len(songs)} songs need a folder for their videos: -o DIR/")
    suffixes = {"video": ".mp4", "keypoints": ".zip", "npz": ".npz", "paper_json": ".json",
                "pose_frames": ".zip"}  # fmt: skip
    folders = {k: _folder(p, flags[k]) for k, p in given.items() if p is not None}
    return [
        {k: (folders[k] / f"{song.stem}{suffixes[k]}" if k in folders else None) for k in given}
        for song in songs
    ]


def _make_one(
    model: AnyGenerator,
    song: Path,
    out: dict[str, Path | None],
    args: argparse.Namespace,
    progress: bool,
) -> list[str]:
    """Generate, draw and export one song; returns the summary lines to print."""
    from .export import export_npz, export_openpose_zip, export_paper_json, export_pose_frames
    from .generate import generate
    from .motion import VIDEO_FPS
    from .video import render_video

    t_start = time.perf_counter()
    result = generate(
        model,
        song,
        seed=args.seed,
        style=args.style,
        start=args.start,
        seconds=args.seconds,
        max_seconds=args.max_seconds,
        progress=progress,
    )
    assert out["video"] is not None
    stats = render_video(
        result,
        out["video"],
        look=args.look,
        size=args.size,
        background=args.background,
        show_beats=not args.no_beats,
        progress=progress,
    )
    t0 = time.perf_counter()
    written = [("video", stats.path)]
    if out["keypoints"] is not None:
        keypoints = export_openpose_zip(result, out["keypoints"], size=args.size, look=args.look)
        written.append(("OpenPose JSON", keypoints))
    if out["pose_frames"] is not None:
        frames = export_pose_frames(
            result, out["pose_frames"], size=args.size, fps=args.pose_fps, look=args.look
        )
        written.append((f"pose frames ({args.pose_fps} fps)", frames))
    if out["npz"] is not None:
        written.append(("keypoints NPZ", export_npz(result, out["npz"])))
    if out["paper_json"] is not None:
        written.append(("paper JSON", export_paper_json(result, out["paper_json"])))
    export_s = time.perf_counter() - t0
    total_s = time.perf_counter() - t_start
    t = result.timings
    return [
        f"{result.song.name}: {result.duration_s:.1f} s from {result.start_s:g} s, "
        f"seed {result.seed}, "
        + (f"style {result.style}, " if result.style else "")
        + f"tempo {result.tempo_bpm:.1f} BPM, {result.beat_times.size} beats",
        f"{stats.frames} frames at {VIDEO_FPS} fps, {stats.width}x{stats.height}",
        *(f"  {what}: {path}" for what, path in written),
        f"time: decode {t['decode']:.1f} s, analysis {t['analysis']:.1f} s, "
        f"model {t['model']:.1f} s, drawing {stats.render_s:.1f} s, encode {stats.encode_s:.1f} s"
        + (f", exports {export_s:.1f} s" if len(written) > 1 else "")
        + f"; total {total_s:.1f} s",
    ]


def _error_line(err: DanceError) -> str:
    message = " ".join(str(err).split())  # one line, even with ffmpeg's output inside
    return f"dance: error: {message}"


def cmd_generate(args: argparse.Namespace) -> int:
    from .export import check_pose_frames_path
    from .looks import get_look
    from .output import check_distinct, check_writable

    args.look = get_look(args.look).name  # an unknown look fails before any work
    songs = _find_songs(args.song)
    plan = _plan(args, songs)
    outputs = [p for out in plan for p in out.values() if p is not None]
    check_distinct(outputs)
    for out in plan:
        for key, path in out.items():
            if path is not None:
                (check_pose_frames_path if key == "pose_frames" else check_writable)(path)
    model = _load(args.checkpoint)
    if len(songs) == 1:  # one song: its own progress bars, and its error is the command's
        lines = _make_one(model, songs[0], plan[0], args, progress=not args.quiet)
        if not args.quiet:
            print("\n".join(lines))
        return 0

    from tqdm.auto import tqdm

    failed: list[tuple[Path, DanceError]] = []
    bar = tqdm(songs, desc="Songs", unit="song", disable=args.quiet)
    for song, out in zip(bar, plan, strict=True):
        bar.set_postfix_str(song.name)
        try:
            lines = _make_one(model, song, out, args, progress=False)
        except DanceError as err:
            failed.append((song, err))
            bar.write(_error_line(err), file=sys.stderr)
            continue
        if not args.quiet:
            bar.write("\n".join(lines))
    bar.close()
    if not failed:
        return 0
    names = ", ".join(song.name for song, _ in failed)
    print(
        f"dance: {len(failed)} of {len(songs)} songs failed ({names}); the others were made",
        file=sys.stderr,
    )
    return failed[0][1].exit_code


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


def model_parameters(model: AnyGenerator) -> int:
    """Trainable parameters of either kind of generator."""
    from .numpy_model import NumpyGenerator

    if isinstance(model, NumpyGenerator):
        return model.parameter_count()
    return sum(p.numel() for p in model.parameters())


def cmd_looks(args: argparse.Namespace) -> int:
    from .looks import DEFAULT_LOOK, LOOKS

    width = max(len(name) for name in LOOKS)
    for name, look in LOOKS.items():
        default = " (default)" if name == DEFAULT_LOOK else ""
        print(f"{name:<{width}}  {look.summary}{default}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from collections import Counter
    from dataclasses import asdict

    from .config import default_checkpoint

    model = _load(args.checkpoint, require_trained=False)
    path = args.checkpoint or default_checkpoint()
    steps = int(model.meta.get("trained_steps", 0) or 0)
    print(f"checkpoint: {path}")
    print(
        f"trained: {'yes, ' + str(steps) + ' steps' if steps > 0 else 'NO (generate refuses it)'}"
    )
    print(f"parameters: {model_parameters(model):,}")
    print("config:")
    for key, value in asdict(model.config).items():
        if key == "variations":  # one row per training clip: counted, not listed
            counts = Counter(row[0] for row in value)
            value = f"{len(value)} rows ({', '.join(f'{s} {n}' for s, n in counts.items())})"
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
    commands = {
        "generate": cmd_generate,
        "styles": cmd_styles,
        "looks": cmd_looks,
        "info": cmd_info,
    }
    command = commands[args.command]
    try:
        return command(args)
    except DanceError as err:
        print(_error_line(err), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("dance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
