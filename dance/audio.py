"""Decoding songs: any common format in, one mono float32 span at SAMPLE_RATE out.

soundfile (libsndfile) reads WAV, FLAC, OGG and MP3 and tells a file's length from its header
alone; anything it cannot open (M4A/AAC, video containers) goes through the ffmpeg that
imageio-ffmpeg bundles, always called with an argument list. Analysis lives in analysis.py.
"""

from __future__ import annotations

import logging
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import AudioError, InputError, SongTooLongError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # Hz; every song is resampled to this on decode (the paper's rate)
MODEL_FPS = 10  # pose frames per second the generator works at (the paper's rate)
SAMPLES_PER_FRAME = SAMPLE_RATE // MODEL_FPS  # 1600 samples (0.1 s) of audio per pose frame
MIN_SECONDS = 1.0  # shortest span that makes a dance
DEFAULT_MAX_SECONDS = 600.0  # longest span accepted unless the caller raises it (10 minutes)
SILENCE_RMS = 1e-4  # a span quieter than this (-80 dBFS) counts as silence
MAX_CHANNELS = 64  # more channels than this is not music, it is a malformed or hostile header
MAX_INPUT_RATE = 768_000  # Hz; above this the header is not believable
FFMPEG_TIMEOUT_S = 120  # a decode that takes longer than this is hung, not slow
# The only demuxers ffmpeg may use on a song: audio files and the common video containers.
# Playlists (hls) and scripts (concat) are left out: they would make ffmpeg open other files
# or URLs named inside an upload.
FFMPEG_DEMUXERS = "wav,w64,aiff,caf,au,mp3,aac,ogg,flac,wv,ape,asf,mov,matroska,avi"


@dataclass(frozen=True)
class Song:
    """A decoded span of a song.

    Attributes:
        path: the file it came from.
        samples: mono float32 samples at SAMPLE_RATE, shape (n,).
        start_s: where the span starts in the file, in seconds.
        duration_s: length of the span in seconds (== len(samples) / SAMPLE_RATE).
        file_duration_s: length of the whole file in seconds, from its header.
    """

    path: Path
    samples: np.ndarray
    start_s: float
    duration_s: float
    file_duration_s: float


def ffmpeg_exe() -> str:
    """The bundled ffmpeg binary (imageio-ffmpeg), which has libx264, AAC and every decoder."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_input(path: str | Path) -> list[str]:
    """ffmpeg arguments that open path as a local audio or video file and nothing else.

    "file:" keeps a name such as "http:x.mp3" a file name; the whitelists keep ffmpeg from
    following a playlist inside the file to other files or to the network.
    """
    # fmt: off
    return ["-protocol_whitelist", "file", "-format_whitelist", FFMPEG_DEMUXERS,
            "-i", f"file:{Path(path)}"]
    # fmt: on


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if not path.is_file():
        raise AudioError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")


def parse_ffmpeg_duration(info: str) -> float | None:
    """Seconds from the `Duration: HH:MM:SS.ss` line of ffmpeg's header dump; None if absent."""
    match = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", info)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _ffmpeg_duration(path: Path) -> float:
    """Length in seconds from ffmpeg's reading of the container header (no full decode)."""
    # fmt: off
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", *ffmpeg_input(path)]
    # fmt: on
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        raise AudioError(f"{path}: timed out reading the file header") from err
    info = proc.stderr
    if not re.search(r"Stream #\S+.*Audio:", info):
        raise AudioError(f"{path}: not an audio file (no audio stream found)")
    duration_s = parse_ffmpeg_duration(info)
    if duration_s is None:
        raise AudioError(f"{path}: the file does not say how long it is (corrupt or truncated?)")
    return duration_s


def probe_duration(path: str | Path) -> float:
    """Length of an audio file in seconds, read from its header without decoding it.

    Raises:
        AudioError: the file is missing, empty, not audio, or has an implausible header.
    """
    path = Path(path)
    _check_file(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return _ffmpeg_duration(path)
    if info.channels < 1 or info.channels > MAX_CHANNELS:
        raise AudioError(f"{path}: {info.channels} channels is not a believable audio file")
    if not 0 < info.samplerate <= MAX_INPUT_RATE:
        raise AudioError(f"{path}: a sample rate of {info.samplerate} Hz is not believable")
    if info.frames <= 0:
        # Some containers (raw MP3 streams) leave the frame count out: ask ffmpeg instead.
        return _ffmpeg_duration(path)
    return info.frames / info.samplerate


def _decode_soundfile(path: Path, start_s: float, seconds: float) -> np.ndarray | None:
    """Mono float32 at SAMPLE_RATE, or None when libsndfile cannot open the file."""
    try:
        with sf.SoundFile(str(path)) as f:
            rate = f.samplerate
            if f.seekable():
                f.seek(min(int(round(start_s * rate)), max(f.frames - 1, 0)))
            else:
                return None
            data = f.read(int(math.ceil(seconds * rate)), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if rate != SAMPLE_RATE and mono.size:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def _decode_ffmpeg(path: Path, start_s: float, seconds: float) -> np.ndarray:
    """Mono float32 at SAMPLE_RATE through the bundled ffmpeg (seek, downmix and resample)."""
    # fmt: off
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error",
           "-ss", f"{start_s:.6f}", "-t", f"{seconds:.6f}", *ffmpeg_input(path),
           "-map", "0:a:0", "-f", "f32le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    # fmt: on
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=FFMPEG_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        raise AudioError(f"{path}: timed out decoding the audio") from err
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else f"ffmpeg exit code {proc.returncode}"
        raise AudioError(f"{path}: cannot decode the audio ({detail})")
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()


def _finite(value: object, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number of seconds, got {value!r}")
    return number


def check_span(start_s: object, seconds: object | None) -> tuple[float, float | None]:
    """Validate a start and a length and return them as floats.

    Raises:
        InputError: start is negative or not a finite number, or seconds is not positive.
    """
    start = _finite(start_s, "start")
    if start < 0:
        raise InputError(f"start must be >= 0 seconds, got {start:g}")
    if seconds is None:
        return start, None
    length = _finite(seconds, "seconds")
    if length <= 0:
        raise InputError(f"seconds must be > 0, got {length:g}")
    return start, length


def load_song(
    path: str | Path,
    *,
    start: float = 0.0,
    seconds: float | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> Song:
    """Decode a span of a song to mono float32 at SAMPLE_RATE.

    The length is checked from the header before anything is decoded, so a file that claims
    hours of audio costs nothing.

    Args:
        path: any file soundfile or ffmpeg can read (WAV, FLAC, OGG, MP3, M4A/AAC, ...).
        start: where the span starts, in seconds.
        seconds: how long the span is; None takes the rest of the song. A span running past
            the end of the song is cut at the end.
        max_seconds: the longest span accepted.

    Raises:
        InputError: start or seconds is out of range, or start is past the end of the song.
        SongTooLongError: the span is longer than max_seconds.
        AudioError: the file is missing, empty, not audio, corrupt, silent or under 1 s.
    """
    path = Path(path)
    start, seconds = check_span(start, seconds)
    file_duration = probe_duration(path)
    if file_duration < MIN_SECONDS:
        raise AudioError(
            f"{path}: the song is {file_duration:.2f} s long; "
            f"at least {MIN_SECONDS:.0f} s is needed"
        )
    if start >= file_duration:
        raise InputError(
            f"{path}: start {start:g} s is past the end of the song ({file_duration:.2f} s)"
        )
    available = file_duration - start
    span = available if seconds is None else min(seconds, available)
    if span > max_seconds + 1e-6:
        asked = "the song" if seconds is None else "the requested span"
        raise SongTooLongError(
            f"{path}: {asked} is {span:.1f} s, longer than the maximum of {max_seconds:.0f} s "
            f"(choose a shorter span with seconds/--seconds)"
        )
    if seconds is not None and seconds > available + 1e-6:
        log.warning("%s: only %.2f s of song after %.2f s; the dance is cut", path, span, start)
    if span < MIN_SECONDS:
        raise AudioError(
            f"{path}: only {span:.2f} s of audio from {start:g} s; at least {MIN_SECONDS:.0f} s "
            "is needed"
        )

    samples = _decode_soundfile(path, start, span)
    if samples is None:
        samples = _decode_ffmpeg(path, start, span)
    want = int(round(span * SAMPLE_RATE))
    if samples.size < want - SAMPLES_PER_FRAME:
        got = samples.size / SAMPLE_RATE
        if got < MIN_SECONDS:
            raise AudioError(
                f"{path}: the file is truncated or corrupt: {got:.2f} s decoded where its header "
                f"promises {span:.2f} s"
            )
        log.warning("%s: decoded only %.2f s of %.2f s (truncated file?)", path, got, span)
        want = samples.size
    samples = samples[:want]
    if samples.size < want:
        samples = np.pad(samples, (0, want - samples.size))
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{path}: the decoded audio holds invalid (NaN or infinite) samples")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms < SILENCE_RMS:
        raise AudioError(
            f"{path}: the audio from {start:g} s to {start + want / SAMPLE_RATE:g} s is silent"
        )
    return Song(
        path=path,
        samples=samples,
        start_s=float(start),
        duration_s=want / SAMPLE_RATE,
        file_duration_s=file_duration,
    )
