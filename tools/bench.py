"""Benchmark: song in, MP4 out, timed per stage and set against the ffmpeg floor.

`python -m tools.bench` times a 20 s and a 3-minute song end to end at 30 fps two ways: warm
(the library in this process, per stage: decode, analysis, model, drawing, encoding), in every
look, and fresh (a new `python -m dance generate` process from start to exit, what a
command-line user waits for, start-up included; the default skeleton look). In the same run it
times the floor: the bundled ffmpeg cutting the same span of the same song and encoding as many
blank frames with it, with the same codec settings. Floor, warm and fresh runs alternate;
medians over repeats, because a shared 2-core machine is noisy.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

# The warm runs' generator runs in numpy with one BLAS thread, as `python -m dance` runs it
# (dance/__main__.py); the variable is read when numpy loads, so it is set before the import.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402 (after the thread setting, as are the imports below)

from dance.audio import ffmpeg_exe, probe_duration
from dance.errors import DanceError, NoTrainedModelError, VideoError
from dance.looks import LOOKS, get_look
from dance.motion import VIDEO_FPS
from dance.render import DEFAULT_SIZE, canvas_size
from dance.runtime import configure_torch
from dance.video import COLOR_TAGS, audio_codec_args, video_codec_args

from .memory import PeakSampler

if TYPE_CHECKING:
    from dance.model import Generator

log = logging.getLogger(__name__)

SONG_LENGTHS_S = (20.0, 180.0)  # the issues' two cases: a short clip and a whole song
DEFAULT_REPEATS = 3
BENCH_RATE = 44_100  # Hz; the synthetic song is CD-like stereo, as a real MP3 decodes
BENCH_BPM = 120.0
WARMUP_S = 5.0  # a first short run loads what the pipeline loads lazily (codecs, caches)
TARGET_RATIO = 1.5  # the 3-minute song, warm: every look within 1.5x the floor
TARGET_TOTAL_S = 15.0
TARGET_FRESH_RATIO = 1.3  # issue 13's: a fresh process on the 3-minute song, against the floor
TARGET_FRESH_SHORT_S = 4.0  # ... and on a 20-second song, start to exit
TARGET_PEAK_MB = 1000.0  # ... and peak memory, up to the CLI's 10-minute cap
REPO = Path(__file__).resolve().parent.parent  # `python -m dance` runs from here
SYNTH_BLOCK_S = 10  # seconds of the synthetic song made at a time
MEMORY_POLL_S = 0.02  # how often memory is sampled during a run


@dataclass(frozen=True)
class Run:
    """One end-to-end run; seconds per stage. Drawing and encoding overlap (see RenderStats)."""

    decode: float
    analysis: float
    model: float
    render: float
    encode: float
    total: float
    cpu: float  # user + system seconds of this process and ffmpeg together


@dataclass
class BenchResult:
    """All runs for one song length and look, and the floor measured beside them."""

    seconds: float
    frames: int
    size: tuple[int, int]
    look: str = "skeleton"
    runs: list[Run] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)
    fresh: list[float] = field(default_factory=list)  # seconds, process start to exit
    peak_mb: float = 0.0  # Python and ffmpeg together, sampled during the runs
    fresh_peak_mb: float = 0.0  # the fresh process and its ffmpeg, sampled alike
    peak_python_mb: float = 0.0  # this process alone, highest so far (ru_maxrss)

    def median(self, stage: str) -> float:
        return statistics.median(getattr(r, stage) for r in self.runs)

    @property
    def floor_s(self) -> float:
        return statistics.median(self.floor)

    @property
    def ratio(self) -> float:
        return self.median("total") / self.floor_s

    @property
    def fresh_s(self) -> float:
        return statistics.median(self.fresh) if self.fresh else float("nan")

    @property
    def fresh_ratio(self) -> float:
        return self.fresh_s / self.floor_s


def synth_song(path: Path, seconds: float, *, rate: int = BENCH_RATE) -> Path:
    """Write a music-like stereo WAV with a steady beat: a chord, a kick, a hi-hat, a bass line.

    Written in blocks, so that making a long song does not raise this process's peak memory,
    which the benchmark reports.
    """
    import soundfile as sf

    rng = np.random.default_rng(0)
    beat = 60 / BENCH_BPM
    roots = np.array([110.0, 146.8, 130.8, 98.0])  # a four-bar progression
    block = SYNTH_BLOCK_S * rate
    with sf.SoundFile(path, "w", samplerate=rate, channels=2, subtype="PCM_16") as f:
        for first in range(0, int(seconds * rate), block):
            n = min(block, int(seconds * rate) - first)
            t = (first + np.arange(n)) / rate
            since = t % beat
            root = roots[(t // (4 * beat)).astype(int) % 4]
            chord = sum(0.07 * np.sin(2 * np.pi * root * k * t) for k in (2, 2.52, 3))
            bass = 0.15 * np.sin(2 * np.pi * root * t) * np.exp(-since / 0.2)
            kick = 0.5 * np.exp(-since / 0.04) * np.sin(2 * np.pi * 60 * since)
            hat = 0.05 * np.exp(-((t + beat / 2) % beat) / 0.02) * rng.uniform(-1, 1, n)
            left = chord + bass + kick + hat
            right = chord * 0.9 + bass + kick + hat * 1.1
            f.write(np.clip(np.stack([left, right], axis=1), -1, 1).astype(np.float32))
    return path


def _cpu_now() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def floor_once(
    song: Path, seconds: float, size: tuple[int, int], out: Path, fps: int = VIDEO_FPS
) -> tuple[float, float]:
    """ffmpeg alone: the song's span plus blank frames, same codecs.

    Returns:
        wall seconds and CPU seconds.
    """
    width, height = size
    n_frames = max(1, int(round(seconds * fps)))
    # fmt: off
    cmd = [ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error",
           "-f", "lavfi", "-i", f"color=c=black:s={width}x{height}:r={fps},format=nv12",
           "-ss", "0", "-t", f"{seconds:.6f}", "-i", str(song),
           "-map", "0:v:0", "-map", "1:a:0", "-frames:v", str(n_frames),
           *audio_codec_args(), *video_codec_args(), *COLOR_TAGS,
           "-movflags", "+faststart", "-f", "mp4", str(out)]
    # fmt: on
    cpu0 = _cpu_now()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise VideoError(
            f"the floor's ffmpeg failed: {proc.stderr.decode(errors='replace')[-400:]}"
        )
    return time.perf_counter() - t0, _cpu_now() - cpu0


def run_once(
    model: Generator,
    song: Path,
    seconds: float,
    size: tuple[int, int],
    out: Path,
    look: str = "skeleton",
) -> Run:
    """The library end to end, as the CLI does it: generate, then render_video in a look."""
    from dance.generate import generate
    from dance.video import render_video

    cpu0 = _cpu_now()
    t0 = time.perf_counter()
    dance = generate(model, song, seed=0, start=0.0, seconds=seconds)
    stats = render_video(dance, out, size=size, look=look)
    total = time.perf_counter() - t0
    return Run(
        decode=dance.timings["decode"],
        analysis=dance.timings["analysis"],
        model=dance.timings["model"],
        render=stats.render_s,
        encode=stats.encode_s,
        total=total,
        cpu=_cpu_now() - cpu0,
    )


def fresh_once(
    song: Path, seconds: float, size: tuple[int, int], out: Path, checkpoint: Path | None
) -> tuple[float, float]:
    """A new `python -m dance generate` process, as a user runs it, from start to exit.

    Returns:
        wall seconds, and the peak resident MB of that process and its ffmpeg together.
    """
    # fmt: off
    cmd = [sys.executable, "-m", "dance", "generate", str(song), "-o", str(out),
           "--seconds", f"{seconds:g}", "--size", f"{size[0]}x{size[1]}", "-q"]
    # fmt: on
    if checkpoint is not None:
        cmd += ["--checkpoint", str(checkpoint)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO
    )
    with PeakSampler(proc.pid, poll_s=MEMORY_POLL_S) as memory:
        _, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise DanceError(f"the fresh process failed: {stderr.strip()[-400:]}")
    return wall, memory.peak_tree_mb


def bench_model(checkpoint: Path | None) -> tuple[Generator, str]:
    """The installed generator, or a random one of the same shape, labelled for what it is."""
    import torch

    from dance.model import Generator, GeneratorConfig, load_model
    from dance.numpy_model import load_numpy_model

    try:  # as the command line loads it: in numpy when the file allows
        model = load_numpy_model(checkpoint)
        return model, f"trained generator ({model.meta.get('trained_steps')} steps)"
    except NoTrainedModelError:
        pass
    try:  # an installed but untrained file still tells the shipped shape
        config = load_model(checkpoint, require_trained=False).config
    except DanceError:
        config = GeneratorConfig()
    with torch.random.fork_rng():
        model = Generator(config).eval()
    return model, "UNTRAINED random generator, timing only (no trained model is installed)"


def _mb(kilobytes: int) -> float:
    return kilobytes / 1024  # ru_maxrss is in KiB on Linux


def bench(
    lengths: Sequence[float] = SONG_LENGTHS_S,
    *,
    repeats: int = DEFAULT_REPEATS,
    song: Path | None = None,
    size: int | tuple[int, int] = DEFAULT_SIZE,
    checkpoint: Path | None = None,
    fresh: bool = True,
    looks: Sequence[str] = ("skeleton",),
) -> tuple[list[BenchResult], str, float]:
    """Time the pipeline in each look (warm), fresh processes when `fresh`, and the floor for
    each length; they alternate. Each repeat measures the floor once, then runs every look, so
    all looks of a length share the floor measured beside them. Fresh runs need a trained
    generator and are timed with the first look's row.

    Returns:
        the results, the model's label, and the seconds the first (cold) run took.
    """
    size = canvas_size(size)
    model, label = bench_model(checkpoint)
    results = []
    with tempfile.TemporaryDirectory(prefix="dance-bench-") as scratch:
        folder = Path(scratch)
        if song is None:
            song = synth_song(folder / "bench_song.wav", max(lengths))
        else:  # a given song may be shorter than the lengths asked for
            lengths = sorted({min(seconds, probe_duration(song)) for seconds in lengths})
        out = folder / "bench.mp4"
        looks = [get_look(look).name for look in looks]
        t0 = time.perf_counter()
        run_once(model, song, WARMUP_S, size, out, looks[0])
        cold_s = time.perf_counter() - t0
        for look in looks[1:]:  # each look's first use loads its drawing library
            run_once(model, song, WARMUP_S, size, out, look)
        for seconds in lengths:
            frames = int(round(seconds * VIDEO_FPS))
            by_look = {look: BenchResult(seconds, frames, size, look) for look in looks}
            for i in range(repeats):
                wall, cpu = floor_once(song, seconds, size, folder / "floor.mp4")
                for look, result in by_look.items():
                    result.floor.append(wall)
                    result.floor_cpu.append(cpu)
                    with PeakSampler(poll_s=MEMORY_POLL_S) as memory:
                        result.runs.append(run_once(model, song, seconds, size, out, look))
                    result.peak_mb = max(result.peak_mb, memory.peak_tree_mb)
                    if fresh and look == looks[0] and not label.startswith("UNTRAINED"):
                        fresh_s, peak = fresh_once(song, seconds, size, out, checkpoint)
                        result.fresh.append(fresh_s)
                        result.fresh_peak_mb = max(result.fresh_peak_mb, peak)
                    log.info("%.0f s song, %s, run %d: %s", seconds, look, i + 1, result.runs[-1])
            for result in by_look.values():
                result.peak_python_mb = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
                results.append(result)
    return results, label, cold_s


NOTES = """
Seconds, medians of the repeats. render = drawing in Python; encode = waiting on ffmpeg after
or between frames (they overlap: render + encode is the wall time of that stage). cpu = user
+ system seconds of Python and ffmpeg together. floor = ffmpeg alone cutting the same span of
the song and encoding as many blank frames, same codec settings. fresh = a new `python -m dance
generate` process from start to exit (imports, model loading and all), fresh/floor its ratio.
peak MB = resident memory of Python and ffmpeg together, sampled every 20 ms during the runs
(warm: this process, which also holds the benchmark; fresh: the new process)."""


def report(results: list[BenchResult], label: str, cold_s: float) -> str:
    """A plain-text table of medians (min-max over repeats for the totals)."""
    lines = [f"model: {label}", f"first (cold) run of {WARMUP_S:g} s: {cold_s:.2f} s"]
    stages = ("decode", "analysis", "model", "render", "encode", "total", "cpu")
    header = f"{'look':<10} {'song':>6} {'frames':>6} " + " ".join(f"{s:>8}" for s in stages)
    lines += [
        header + f" {'floor':>7} {'ratio':>6} {'peak MB':>8} {'fresh':>7} {'fresh/floor':>11}"
        f" {'fresh MB':>8}"
    ]
    for r in results:
        cells = " ".join(f"{r.median(s):8.2f}" for s in stages)
        fresh = (
            f"{r.fresh_s:7.2f} {r.fresh_ratio:11.2f} {r.fresh_peak_mb:8.0f}"
            if r.fresh
            else f"{'-':>7} {'-':>11} {'-':>8}"
        )
        lines.append(
            f"{r.look:<10} {r.seconds:5.0f}s {r.frames:6d} {cells} {r.floor_s:7.2f} "
            f"{r.ratio:6.2f} {r.peak_mb:8.0f} {fresh}"
        )
    lines.append("")
    lines.append(NOTES)
    for r in results:
        totals = [run.total for run in r.runs]
        lines.append(
            f"{r.look}, {r.seconds:.0f} s song: total {min(totals):.2f}-{max(totals):.2f} s "
            f"over {len(totals)} runs; floor {min(r.floor):.2f}-{max(r.floor):.2f} s "
            f"(cpu {statistics.median(r.floor_cpu):.2f} s); peak {r.peak_mb:.0f} MB "
            f"(Python alone {r.peak_python_mb:.0f} MB)"
            + (f"; fresh {min(r.fresh):.2f}-{max(r.fresh):.2f} s" if r.fresh else "")
        )
    for r in results:
        if not r.fresh:
            continue
        if r.seconds >= max(SONG_LENGTHS_S):
            ok = r.fresh_ratio <= TARGET_FRESH_RATIO
            target = f"fresh/floor <= {TARGET_FRESH_RATIO:g}"
        elif r.seconds <= min(SONG_LENGTHS_S):
            ok = r.fresh_s <= TARGET_FRESH_SHORT_S
            target = f"fresh <= {TARGET_FRESH_SHORT_S:g} s"
        else:
            continue
        ok_peak = max(r.peak_mb, r.fresh_peak_mb) <= TARGET_PEAK_MB
        lines.append(
            f"targets for {r.seconds:.0f} s: {target} [{'met' if ok else 'MISSED'}], "
            f"peak <= {TARGET_PEAK_MB:.0f} MB [{'met' if ok_peak else 'MISSED'}]"
        )
    for r in results:
        if r.seconds < max(SONG_LENGTHS_S):
            continue
        ok = [r.ratio <= TARGET_RATIO, r.median("total") <= TARGET_TOTAL_S]
        lines.append(
            f"warm targets for {r.look}, {r.seconds:.0f} s: ratio <= {TARGET_RATIO:g} "
            f"[{'met' if ok[0] else 'MISSED'}], total <= {TARGET_TOTAL_S:g} s "
            f"[{'met' if ok[1] else 'MISSED'}]"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--song", type=Path, default=None, help="a song; None: a synthetic 120 BPM song"
    )
    parser.add_argument(
        "--lengths", type=float, nargs="+", default=list(SONG_LENGTHS_S), help="seconds"
    )
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="canvas side, px")
    parser.add_argument("--checkpoint", type=Path, default=None, help="None: the installed one")
    parser.add_argument(
        "--no-fresh", action="store_true", help="skip the fresh `python -m dance` processes"
    )
    parser.add_argument(
        "--looks", nargs="+", default=list(LOOKS), choices=list(LOOKS), help="looks to time"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    configure_torch()  # as `python -m dance` runs
    try:
        results, label, cold_s = bench(
            args.lengths,
            repeats=args.repeats,
            song=args.song,
            size=args.size,
            checkpoint=args.checkpoint,
            fresh=not args.no_fresh,
            looks=args.looks,
        )
    except DanceError as err:
        print(f"tools.bench: error: {err}", file=sys.stderr)
        return err.exit_code
    print(report(results, label, cold_s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
