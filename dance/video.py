"""Frames in, MP4 out: H.264 yuv420p with the song muxed in as AAC, written atomically; probe.

Python draws frames (render.py) while ffmpeg encodes them in its own process from a pipe, so
the two share the machine's cores. The audio is cut from the original song file by ffmpeg, so
it is the song itself, not our 16 kHz analysis copy.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from .audio import ffmpeg_exe, ffmpeg_input, parse_ffmpeg_duration
from .errors import VideoError
from .looks import Look, get_look
from .motion import VIDEO_FPS
from .output import atomic_output, check_writable
from .render import DEFAULT_SIZE, fit_framing, parse_color, render_frames

if TYPE_CHECKING:
    from .generate import Dance

log = logging.getLogger(__name__)

# x264 settings, chosen by measurement (README, "Speed"): encoding is the costliest stage, and
# "ultrafast" costs the least CPU per frame of every preset (about 2.4 ms for a 512 x 512 frame
# here, "veryfast" 4.7 ms), which leaves the other core to the drawing. Neither CRF nor
# "-tune animation" nor "-g" changed its CPU cost on our frames (both slow blank frames, and
# so the benchmark's floor, 2-4x); CRF 26 looks the same as 23 on flat colours and makes files
# 20 % smaller. x264's default keyframe interval (250 frames, 8 s) is left alone.
X264_PRESET = "ultrafast"
X264_CRF = 26
AUDIO_BITRATE = "128k"
# ffmpeg's "fast" AAC coder costs a third of the default "twoloop" here (2.3 s against 7.3 s of
# CPU for a 3-minute song) at the same SNR (33 dB against 31 dB on the benchmark song).
AAC_CODER = "fast"
AUDIO_RATE = 44_100  # Hz; AAC at a rate every player supports, whatever the song's rate
AUDIO_CHANNELS = 2  # stereo: browsers play mono and stereo AAC, not every layout beyond
DURATION_TOLERANCE_S = 0.1  # the MP4 must be this close to the requested length
# A live copy for players that start before the video is finished: HLS (an "event" playlist that
# grows, ended when the video is) of fragmented-MP4 segments, which Media Source Extensions take
# as they are (the app's live_player.js), from the same encode as the MP4 through ffmpeg's tee
# muxer. Each segment must start on a keyframe, so keyframes come every segment, in the MP4 too.
HLS_PLAYLIST = "playlist.m3u8"
# A player can start once the first segment is written. Not 0.5: ffmpeg rounds the playlist's
# target duration to the nearest even integer, and 0 is invalid HLS; 0.6 gives 1.
HLS_SEGMENT_S = 0.6
HLS_SEGMENT_NAME = "segment%05d.m4s"  # segment k's file name (ffmpeg's pattern)
HLS_INIT = "init.mp4"  # the fragmented MP4's header, which every segment plays after
HLS_MP4 = "video.mp4"  # the MP4's name in the HLS folder while ffmpeg writes both
FINISH_TIMEOUT_S = 300  # after the last frame, ffmpeg gets this long to finish the file
STDERR_TAIL_CHARS = 600  # of ffmpeg's complaints kept in a VideoError
FRAME_BYTES_PER_PX = {"rgb24": 3, "bgra": 4, "nv12": 1.5}  # the raw frame layouts write_mp4 takes
# Colours are BT.709, limited range, and the file says so: untagged video is decoded as
# BT.601 or BT.709 depending on the player and the picture height.
COLOR_TAGS = ["-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709",
              "-color_trc", "bt709"]  # fmt: skip


@dataclass(frozen=True)
class RenderStats:
    """What writing a video took.

    Attributes:
        path: the MP4 written.
        frames: video frames encoded.
        width, height: frame size in px.
        render_s: seconds spent drawing frames (in Python).
        encode_s: seconds spent waiting on ffmpeg: pipe writes while it was busy, then
            finishing the file (the audio, faststart). Drawing and encoding overlap, so
            render_s + encode_s == total_s.
        total_s: wall-clock seconds from the first frame to the finished file.
    """

    path: Path
    frames: int
    width: int
    height: int
    render_s: float
    encode_s: float
    total_s: float


@dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg reports about a media file (see `probe`).

    Attributes:
        duration_s: the container's duration.
        fps: video frame rate, or 0.0 without video.
        width, height: video size in px, or 0 without video.
        video_codec, pix_fmt, audio_codec: codec names as ffmpeg prints them ("" if absent).
        video_streams, audio_streams: how many of each.
    """

    duration_s: float
    fps: float
    width: int
    height: int
    video_codec: str
    pix_fmt: str
    audio_codec: str
    video_streams: int
    audio_streams: int

    @property
    def has_audio(self) -> bool:
        return self.audio_streams > 0


def probe(path: str | Path) -> VideoInfo:
    """Read a media file's duration, streams, codecs and size from ffmpeg's header dump.

    Raises:
        VideoError: ffmpeg cannot read the file.
    """
    path = Path(path)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)]
    # ffmpeg exits 1 here ("at least one output file must be specified"); the header is on stderr.
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    info = proc.stderr
    duration_s = parse_ffmpeg_duration(info)
    if duration_s is None:
        raise VideoError(f"{path}: ffmpeg cannot read it: {info.strip()[-STDERR_TAIL_CHARS:]}")
    videos = re.findall(r"Stream #\S+.*?Video: (\w+)[^,\n]*, (\w+)[^\n]*?, (\d+)x(\d+)", info)
    audios = re.findall(r"Stream #\S+.*?Audio: (\w+)", info)
    fps = re.search(r"Stream #\S+.*?Video:.*?, ([\d.]+) fps", info)
    return VideoInfo(
        duration_s=duration_s,
        fps=float(fps.group(1)) if fps else 0.0,
        width=int(videos[0][2]) if videos else 0,
        height=int(videos[0][3]) if videos else 0,
        video_codec=videos[0][0] if videos else "",
        pix_fmt=videos[0][1] if videos else "",
        audio_codec=audios[0] if audios else "",
        video_streams=len(videos),
        audio_streams=len(audios),
    )


def hls_segment_count(n_frames: int, fps: int = VIDEO_FPS) -> int:
    """How many segments the HLS copy of an n_frames video has (write_mp4's hls_dir).

    Keyframes, and so segment starts, are forced every HLS_SEGMENT_S; the last one is shorter.
    """
    per_segment = round(HLS_SEGMENT_S * fps)
    return max(1, math.ceil(n_frames / per_segment))


def video_codec_args() -> list[str]:
    """The output options for the video stream; the benchmark's floor uses the same ones."""
    # fmt: off
    return ["-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF),
            "-pix_fmt", "yuv420p"]
    # fmt: on


def audio_codec_args() -> list[str]:
    """The output options for the audio stream; the benchmark's floor uses the same ones."""
    # fmt: off
    return ["-c:a", "aac", "-aac_coder", AAC_CODER, "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE),
            "-ac", str(AUDIO_CHANNELS)]
    # fmt: on


def _stderr_tail(stderr: IO[bytes]) -> str:
    stderr.seek(0)
    text = stderr.read().decode(errors="replace").strip()
    return text[-STDERR_TAIL_CHARS:] or "no message"


def write_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path,
    *,
    size: tuple[int, int],
    n_frames: int,
    fps: int = VIDEO_FPS,
    song: str | Path | None = None,
    start_s: float = 0.0,
    duration_s: float | None = None,
    pix_fmt: str = "rgb24",
    progress: bool = False,
    hls_dir: str | Path | None = None,
) -> RenderStats:
    """Encode frames to an H.264 yuv420p MP4 (faststart), with a span of the song as AAC.

    Nothing exists at path until the file is complete: ffmpeg writes a hidden file beside it,
    which is renamed on success and deleted on any failure, including an exception raised by
    the frames iterator.

    Args:
        frames: n_frames uint8 arrays laid out as pix_fmt says.
        path: the MP4 to write.
        size: (width, height) in px, both even.
        n_frames: how many frames the iterator yields.
        fps: video frame rate.
        song: the original song file; its span [start_s, start_s + duration_s) becomes the
            audio track. None writes a silent video.
        start_s: where the audio starts in the song, in seconds.
        duration_s: length of the audio; None uses n_frames / fps.
        pix_fmt: "rgb24" for (height, width, 3) RGB frames, "bgra" for (height, width, 4)
            frames as skia draws them, or "nv12" for flat BT.709 limited-range planes as
            `render.draw_frames` makes them (the skeleton's fast path).
        progress: show a tqdm bar over frames.
        hls_dir: also write the video there as HLS while it is made: HLS_PLAYLIST, HLS_INIT
            and fragmented-MP4 segments (HLS_SEGMENT_NAME, hls_segment_count of them) of
            HLS_SEGMENT_S, so a player can start on the first second. The playlist is
            complete (ENDLIST) when this returns; on failure it stays unended.

    Raises:
        OutputError: path cannot be written.
        VideoError: ffmpeg failed, or the result is not the requested length.
    """
    path = check_writable(path)
    width, height = size
    if width % 2 or height % 2:
        raise ValueError(f"H.264 yuv420p needs even sides, got {width}x{height}")
    if pix_fmt not in FRAME_BYTES_PER_PX:
        raise ValueError(f"pix_fmt must be one of {sorted(FRAME_BYTES_PER_PX)}, got {pix_fmt!r}")
    duration_s = n_frames / fps if duration_s is None else duration_s
    # fmt: off
    cmd = [ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error",
           "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{width}x{height}",
           "-framerate", str(fps), *COLOR_TAGS, "-i", "pipe:0"]
    if song is not None:
        song = Path(song).resolve()  # ffmpeg may run in the HLS folder
        cmd += ["-ss", f"{start_s:.6f}", "-t", f"{duration_s:.6f}", *ffmpeg_input(song),
                "-map", "0:v:0", "-map", "1:a:0", *audio_codec_args()]
    cmd += [*video_codec_args(), *COLOR_TAGS]
    # fmt: on
    hls = None if hls_dir is None else Path(hls_dir).resolve()
    if hls is not None:
        if song is None:
            cmd += ["-map", "0:v:0"]  # the tee muxer takes only mapped streams
        # ffmpeg runs in the HLS folder and the tee muxer writes plain names there, so no path
        # needs its escaping; the MP4 is moved to its scratch name beside `path` afterwards.
        # temp_file: the playlist and each segment are written under another name and renamed,
        # so a player never reads one half written.
        tee = (f"[f=hls:hls_time={HLS_SEGMENT_S:g}:hls_list_size=0:hls_playlist_type=event:"
               f"hls_flags=temp_file:hls_segment_type=fmp4:hls_fmp4_init_filename={HLS_INIT}:"
               f"hls_segment_filename={HLS_SEGMENT_NAME}]{HLS_PLAYLIST}|"
               f"[f=mp4:movflags=+faststart]{HLS_MP4}")  # fmt: skip
        cmd += ["-force_key_frames", f"expr:gte(t,n_forced*{HLS_SEGMENT_S:g})", "-f", "tee", tee]
    else:
        cmd += ["-movflags", "+faststart", "-f", "mp4"]
    frame_bytes = int(width * height * FRAME_BYTES_PER_PX[pix_fmt])
    render_s = 0.0
    count = 0
    t_start = time.perf_counter()
    with atomic_output(path) as tmp, tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            cmd if hls is not None else [*cmd, str(tmp)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=hls,
        )
        assert proc.stdin is not None
        try:
            bar = tqdm(total=n_frames, desc="Rendering", unit="frame", disable=not progress)
            with bar:
                iterator: Iterator[np.ndarray] = iter(frames)
                while True:
                    t0 = time.perf_counter()
                    frame = next(iterator, None)
                    render_s += time.perf_counter() - t0
                    if frame is None:
                        break
                    if frame.dtype != np.uint8 or frame.nbytes != frame_bytes:
                        raise ValueError(
                            f"frame {count} is {frame.shape} {frame.dtype}, expected "
                            f"{frame_bytes} bytes of {pix_fmt} for {width}x{height}"
                        )
                    try:
                        proc.stdin.write(np.ascontiguousarray(frame).data)
                    except BrokenPipeError:
                        break  # ffmpeg died; its exit code and stderr say why, below
                    count += 1
                    bar.update()
            with contextlib.suppress(BrokenPipeError):  # ffmpeg died: reported below
                proc.stdin.close()
            returncode = proc.wait(timeout=FINISH_TIMEOUT_S)
        except subprocess.TimeoutExpired as err:
            proc.kill()
            proc.wait()
            raise VideoError(f"{path}: ffmpeg did not finish within {err.timeout:.0f} s") from err
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if returncode != 0:
            raise VideoError(f"{path}: ffmpeg failed to encode the video: {_stderr_tail(stderr)}")
        if hls is not None:
            shutil.move(hls / HLS_MP4, tmp)
        if count != n_frames:
            raise ValueError(f"got {count} frames, expected {n_frames}")
        info = probe(tmp)
        if abs(info.duration_s - duration_s) > DURATION_TOLERANCE_S:
            raise VideoError(
                f"{path}: the video is {info.duration_s:.3f} s long, not the "
                f"{duration_s:.3f} s requested (is the song shorter than its header says?)"
            )
    total_s = time.perf_counter() - t_start
    log.info("%s: %d frames in %.2f s (drawing %.2f s)", path, count, total_s, render_s)
    return RenderStats(
        path=path,
        frames=count,
        width=width,
        height=height,
        render_s=render_s,
        encode_s=total_s - render_s,
        total_s=total_s,
    )


def render_video(
    dance: Dance,
    path: str | Path,
    *,
    look: str | Look = "skeleton",
    size: int | tuple[int, int] = DEFAULT_SIZE,
    background: str | None = None,
    show_beats: bool = True,
    fps: int = VIDEO_FPS,
    progress: bool = False,
    hls_dir: str | Path | None = None,
) -> RenderStats:
    """Draw a dance and write it as an MP4 with its span of the song as the soundtrack.

    Args:
        dance: a `Dance` from `generate`.
        path: the MP4 to write; checked before anything is drawn.
        look: how the dancer is drawn, a name from `dance.looks.LOOKS`: "skeleton" (the
            OpenPose stick figure), "mannequin", "stage".
        size: canvas side, or (width, height), in px; odd sides are rounded down to even.
        background: None for the look's own (black for the skeleton), or "black", "white",
            "#rrggbb".
        show_beats: show the music's beats (a flashing corner dot; the stage's lights).
        fps: video frame rate.
        progress: show a tqdm bar.
        hls_dir: also write a live HLS copy there while drawing (see `write_mp4`).

    Raises:
        InputError: a bad size or background; UnknownLookError (an InputError): no such look.
        OutputError: path cannot be written.
        VideoError: ffmpeg failed.
    """
    look = get_look(look)
    path = check_writable(path)
    if background is not None:
        parse_color(background)
    framing = fit_framing(dance, size, look)
    n_frames = dance.video_frames(fps)
    frames = render_frames(
        dance,
        look=look,
        background=background,
        show_beats=show_beats,
        fps=fps,
        framing=framing,
        pix_fmt=look.pix_fmt,
    )
    return write_mp4(
        frames,
        path,
        size=(framing.width, framing.height),
        n_frames=n_frames,
        fps=fps,
        song=dance.song,
        start_s=dance.start_s,
        duration_s=dance.duration_s,
        pix_fmt=look.pix_fmt,
        progress=progress,
        hls_dir=hls_dir,
    )
