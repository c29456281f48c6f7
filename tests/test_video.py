"""MP4 writing: streams, codecs, duration, faststart; no file left by a failure; bad paths."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from dance.errors import OutputError, VideoError
from dance.generate import generate
from dance.output import check_writable
from dance.video import (
    HLS_SEGMENT_S,
    RenderStats,
    hls_segment_count,
    probe,
    render_video,
    write_mp4,
)

VIDEO_FPS = 30


def top_level_atoms(path: Path) -> list[str]:
    """The MP4's top-level box types, in file order."""
    atoms = []
    with path.open("rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, os.SEEK_CUR)
            elif size == 0:
                atoms.append(kind.decode())
                break
            else:
                f.seek(size - 8, os.SEEK_CUR)
            atoms.append(kind.decode())
    return atoms


def leftovers(folder: Path) -> list[str]:
    """Hidden scratch files that a failed write would leave behind."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def video(tiny_dance, tmp_path_factory) -> tuple[Path, RenderStats]:
    path = tmp_path_factory.mktemp("video") / "dance.mp4"
    return path, render_video(tiny_dance, path)


def test_streams_and_codecs(video):
    path, stats = video
    info = probe(path)
    assert info.video_streams == 1 and info.audio_streams == 1
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.audio_codec == "aac" and info.has_audio
    assert (info.width, info.height) == (512, 512) == (stats.width, stats.height)
    assert info.fps == VIDEO_FPS


def test_duration_matches_request(video, tiny_dance):
    path, stats = video
    assert abs(probe(path).duration_s - tiny_dance.duration_s) <= 0.1
    assert stats.frames == tiny_dance.video_frames(VIDEO_FPS)


def test_faststart(video):
    path, _ = video
    atoms = top_level_atoms(path)
    assert "moov" in atoms and "mdat" in atoms
    assert atoms.index("moov") < atoms.index("mdat")


def test_timings_add_up(video):
    _, stats = video
    assert stats.render_s > 0 and stats.encode_s > 0
    assert stats.render_s + stats.encode_s == pytest.approx(stats.total_s)


def test_span_of_the_song(tiny_model, make_song, tmp_path):
    song = make_song("song.m4a", 5.0, rate=48_000, channels=1)
    dance = generate(tiny_model, song, seed=0, start=1.2, seconds=2.3)
    out = render_video(dance, tmp_path / "span.mp4", size=(250, 171), background="#102030")
    info = probe(out.path)
    assert abs(info.duration_s - 2.3) <= 0.1
    assert (info.width, info.height) == (250, 170)  # even sides
    assert info.audio_codec == "aac"


def test_silent_video(tmp_path):
    frames = (np.full((64, 64, 3), i, dtype=np.uint8) for i in range(15))
    stats = write_mp4(frames, tmp_path / "silent.mp4", size=(64, 64), n_frames=15)
    info = probe(stats.path)
    assert not info.has_audio and info.video_streams == 1
    assert info.duration_s == pytest.approx(0.5, abs=0.05)


def test_drawing_error_leaves_no_file(tmp_path):
    def frames():
        for i in range(20):
            if i == 10:
                raise RuntimeError("drawing broke")
            yield np.zeros((64, 64, 3), dtype=np.uint8)

    out = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError, match="drawing broke"):
        write_mp4(frames(), out, size=(64, 64), n_frames=20)
    assert not out.exists() and leftovers(tmp_path) == []


def test_ffmpeg_failure_leaves_no_file(tmp_path):
    not_audio = tmp_path / "song.mp3"
    not_audio.write_text("not a song")
    frames = (np.zeros((64, 64, 3), dtype=np.uint8) for _ in range(30))
    out = tmp_path / "out.mp4"
    with pytest.raises(VideoError, match="ffmpeg"):
        write_mp4(frames, out, size=(64, 64), n_frames=30, song=not_audio)
    assert not out.exists() and leftovers(tmp_path) == []


def test_failure_keeps_the_previous_file(tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous video")

    def frames():
        yield np.zeros((64, 64, 3), dtype=np.uint8)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_mp4(frames(), out, size=(64, 64), n_frames=5)
    assert out.read_bytes() == b"previous video" and leftovers(tmp_path) == []


def test_wrong_frame_shape_is_a_bug(tmp_path):
    frames = iter([np.zeros((64, 32, 3), dtype=np.uint8)])
    with pytest.raises(ValueError, match="frame 0"):
        write_mp4(frames, tmp_path / "x.mp4", size=(64, 64), n_frames=1)
    assert leftovers(tmp_path) == []


def _never_drawn():
    raise AssertionError("frames were drawn for an unwritable path")
    yield  # pragma: no cover


@pytest.mark.parametrize("case", ["missing folder", "folder is a file", "path is a folder"])
def test_unwritable_output(tmp_path, tiny_dance, case):
    if case == "missing folder":
        out = tmp_path / "no" / "such" / "dir" / "x.mp4"
    elif case == "folder is a file":
        (tmp_path / "file").write_text("")
        out = tmp_path / "file" / "x.mp4"
    else:
        out = tmp_path / "a_folder.mp4"
        out.mkdir()
    with pytest.raises(OutputError, match="x.mp4|a_folder.mp4"):
        render_video(tiny_dance, out)
    with pytest.raises(OutputError):
        write_mp4(_never_drawn(), out, size=(64, 64), n_frames=1)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_no_permission(tmp_path, tiny_dance):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(OutputError, match="locked"):
            render_video(tiny_dance, folder / "x.mp4")
    finally:
        folder.chmod(0o700)


def test_read_only_file_system(tiny_dance):
    """/proc refuses new files even to root: the permission case that runs everywhere."""
    with pytest.raises(OutputError, match="cannot write"):
        check_writable("/proc/dance.mp4")


def test_probe_rejects_non_media(tmp_path):
    path = tmp_path / "x.mp4"
    path.write_text("no video here")
    with pytest.raises(VideoError, match="x.mp4"):
        probe(path)


def test_live_hls_copy(tiny_dance, tmp_path):
    """One encode, two outputs: the MP4, and an HLS playlist of short segments ending with it."""
    folder = tmp_path / "live dir, with=odd:chars"  # ffmpeg's tee syntax escapes these
    folder.mkdir()
    stats = render_video(tiny_dance, tmp_path / "d.mp4", hls_dir=folder)
    info = probe(stats.path)
    assert info.has_audio and abs(info.duration_s - tiny_dance.duration_s) <= 0.1
    assert "moov" in top_level_atoms(stats.path)[:3]  # still faststart
    playlist = (folder / "playlist.m3u8").read_text()
    segments = [line for line in playlist.splitlines() if line.endswith(".m4s")]
    # As many segments as the app's live player is told to expect, named as it expects.
    count = hls_segment_count(tiny_dance.video_frames(30))
    assert count == int(np.ceil(tiny_dance.duration_s / HLS_SEGMENT_S - 1e-6))
    assert "#EXT-X-ENDLIST" in playlist
    assert segments == [f"segment{k:05d}.m4s" for k in range(count)]
    durations = [float(x.split(":")[1].rstrip(",")) for x in playlist.splitlines() if "EXTINF" in x]
    assert sum(durations) == pytest.approx(tiny_dance.duration_s, abs=0.1)
    # RFC 8216 4.3.3.1: every segment's duration, rounded to an integer, is at most the target
    # duration (ffmpeg wrote 0 for 0.5 s segments).
    target = int(playlist.split("#EXT-X-TARGETDURATION:")[1].split()[0])
    assert target >= 1 and all(round(d) <= target for d in durations)
    # Each segment plays after the init segment, as Media Source Extensions append them.
    assert '#EXT-X-MAP:URI="init.mp4"' in playlist
    joined = tmp_path / "first.mp4"
    joined.write_bytes((folder / "init.mp4").read_bytes() + (folder / segments[0]).read_bytes())
    first = probe(joined)
    assert first.video_codec == "h264" and first.has_audio
