"""Hostile songs: every junk, truncated, mislabelled or bomb-like file ends in a dance.errors error.

Each case must either decode to a real song (finite samples, at least 1 s) or raise AudioError
(or its subclass SongTooLongError), within a time and memory bound; a file that claims hours is
refused from its header, before anything is decoded. Hypothesis runs derandomized, so CI sees
the same examples every time.
"""

from __future__ import annotations

import resource
import struct
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dance.audio
from dance.audio import MIN_SECONDS, load_song
from dance.errors import AudioError, SongTooLongError

from .conftest import write_song

FUZZ = settings(
    max_examples=30,
    deadline=None,  # we bound the time ourselves, with room for a busy 2-core machine
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
TIME_LIMIT_S = 15.0  # one decode attempt, junk included (ffmpeg's own timeout is 120 s)
PY_MEMORY_LIMIT_MB = 64  # Python-side allocations while decoding a file of a few KB
FFMPEG_MEMORY_LIMIT_MB = 1024  # the largest child a decode starts (ffmpeg)
SONG_S = 3.0
FORMATS = (".wav", ".flac", ".ogg", ".mp3", ".m4a")
SUFFIXES = (*FORMATS, ".txt", "", ".bin", ".MP3", ".m3u8", ".mp4")
MAGIC = (  # real formats' first bytes, so the junk after them reaches each parser
    b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC", b"OggS\x00\x02", b"ID3\x04\x00\x00",
    b"\xff\xfb\x90\x64", b"\x00\x00\x00\x20ftypM4A ", b"#EXTM3U\n", b"ffconcat version 1.0\n",
)  # fmt: skip


@pytest.fixture(scope="module")
def real_songs(tmp_path_factory) -> dict[str, bytes]:
    """The bytes of a 3 s song in each format."""
    folder = tmp_path_factory.mktemp("fuzz_songs")
    return {s: write_song(folder / f"song{s}", SONG_S).read_bytes() for s in FORMATS}


def _children_max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def decode_bytes(data: bytes, suffix: str, **kwargs: object) -> dance.audio.Song | AudioError:
    """Write data to a fresh file and load it; the AudioError it raised, if it refused.

    Asserts the bounds: no other exception type, time, Python memory, ffmpeg's memory; and that
    a decoded song is a real one.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        children_before_mb = _children_max_rss_mb()
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            song = load_song(path, **kwargs)
        except AudioError as err:
            assert str(path) in str(err)  # the message names the file
            song = err
        finally:
            elapsed = time.perf_counter() - t0
            peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    assert elapsed < TIME_LIMIT_S, f"{elapsed:.1f} s"
    assert peak_mb < PY_MEMORY_LIMIT_MB, f"{peak_mb:.0f} MB"
    # The kernel keeps only the largest child ever, and earlier tests in the session (Chromium
    # in the browser tests) may have set it: a decode fails only if its ffmpeg raised it. A
    # child also counts the pages it shares with this process between fork and exec, so a
    # child as large as this process (which grows over a long session) is that, not ffmpeg.
    children_mb = _children_max_rss_mb()
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert (
        children_mb == children_before_mb
        or children_mb < FFMPEG_MEMORY_LIMIT_MB
        or children_mb <= 1.05 * self_mb
    ), f"{children_mb:.0f} MB child, this process {self_mb:.0f} MB"
    if not isinstance(song, AudioError):
        assert song.duration_s >= MIN_SECONDS and np.isfinite(song.samples).all()
        assert song.samples.size == round(song.duration_s * dance.audio.SAMPLE_RATE)
    return song


@FUZZ
@given(
    magic=st.sampled_from(MAGIC), body=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES)
)
def test_random_bytes(magic, body, suffix):
    data = magic + body
    outcome = decode_bytes(data, suffix)
    assert isinstance(outcome, AudioError)  # a few KB of junk never makes 1 s of music
    assert ("empty" in str(outcome)) == (not data)


@FUZZ
@given(fmt=st.sampled_from(FORMATS), keep=st.floats(0.0, 1.0), suffix=st.sampled_from(SUFFIXES))
def test_truncated_real_files(real_songs, fmt, keep, suffix):
    data = real_songs[fmt]
    song = decode_bytes(data[: int(len(data) * keep)] or b"\x00", suffix)
    if not isinstance(song, AudioError):
        assert song.duration_s <= SONG_S + 0.1


@FUZZ
@given(
    fmt=st.sampled_from(FORMATS),
    edits=st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_corrupt_headers(real_songs, fmt, edits):
    data = bytearray(real_songs[fmt])
    for offset, value in edits:
        data[offset % len(data)] = value
    song = decode_bytes(bytes(data), fmt)
    if not isinstance(song, AudioError):
        assert song.duration_s <= SONG_S + 0.1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("suffix", [".mp3", ".wav", ".txt", ""])
def test_wrong_extension_still_decodes(real_songs, fmt, suffix):
    """Formats are told by content, not by name: a WAV called .mp3 is still a song."""
    song = decode_bytes(real_songs[fmt], suffix)
    assert not isinstance(song, AudioError), song
    assert song.duration_s == pytest.approx(SONG_S, abs=0.1)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_zero_length(suffix):
    outcome = decode_bytes(b"", suffix)
    assert isinstance(outcome, AudioError) and "the file is empty" in str(outcome)


# Bombs: headers that claim far more than the file holds.

UINT32 = 0xFFFF_FFFF


def wav_header(rate: int, channels: int, bits: int, data_bytes: int) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels & 0xFFFF, rate & UINT32, rate * block & UINT32,
                      block & 0xFFFF, bits)  # fmt: skip
    riff = struct.pack("<I", (36 + data_bytes) & UINT32)
    return (
        b"RIFF"
        + riff
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes & UINT32)
    )


NOISE = np.random.default_rng(0).integers(-3000, 3000, 16_000, dtype=np.int16).tobytes()  # 2 s


def flac_claiming(real_flac: bytes, total_samples: int) -> bytes:
    """A FLAC whose STREAMINFO says it holds total_samples (the field is 36 bits)."""
    data = bytearray(real_flac)
    at = 8 + 10  # "fLaC", the block header, then rate/channels/bits/total packed in 8 bytes
    packed = int.from_bytes(data[at : at + 8], "big")
    packed = (packed & ~((1 << 36) - 1)) | total_samples
    data[at : at + 8] = packed.to_bytes(8, "big")
    return bytes(data)


def m4a_claiming(real_m4a: bytes, duration: int) -> bytes:
    """An M4A whose movie and track headers claim `duration` time units (version-0 boxes)."""
    data = bytearray(real_m4a)
    for box in (b"mvhd", b"mdhd"):
        at = data.find(box)
        assert at > 0 and data[at + 4] == 0, box
        data[at + 20 : at + 24] = struct.pack(">I", duration)  # after version/flags/times/scale
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any decoder runs: a bomb must be refused from its header."""

    def refuse(*args, **kwargs):
        raise AssertionError("decoded a file whose header should have been refused")

    monkeypatch.setattr(dance.audio, "_decode_soundfile", refuse)
    monkeypatch.setattr(dance.audio, "_decode_ffmpeg", refuse)


def test_flac_claiming_days_is_refused_before_decoding(real_songs, no_decoding):
    data = flac_claiming(real_songs[".flac"], (1 << 36) - 1)  # 2**36 samples: 18 days at 44 kHz
    outcome = decode_bytes(data, ".flac")
    assert isinstance(outcome, SongTooLongError) and "longer than the maximum" in str(outcome)


def test_m4a_claiming_a_day_decodes_only_what_it_holds(real_songs):
    """ffmpeg times an MP4 by its sample table, not by the headers' duration fields."""
    song = decode_bytes(m4a_claiming(real_songs[".m4a"], UINT32 - 1), ".m4a")  # 2**32 / 44.1 kHz
    assert not isinstance(song, AudioError), song
    assert song.duration_s == pytest.approx(SONG_S, abs=0.1)


def test_bomb_span_from_a_claimed_hour_decodes_only_what_exists(real_songs):
    """Asking 20 s of a 3 s FLAC that claims days reads the 3 s that exist, no more."""
    data = flac_claiming(real_songs[".flac"], 44_100 * 3600)
    song = decode_bytes(data, ".flac", seconds=20)
    assert not isinstance(song, AudioError), song
    assert song.duration_s <= SONG_S + 0.1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("wav claiming hours", wav_header(8000, 1, 16, UINT32 - 15) + NOISE, None),
        ("4 GHz sample rate", wav_header(UINT32 - 15, 1, 16, 32_000) + NOISE, "not"),
        ("700 kHz, 0.02 s", wav_header(700_000, 1, 16, 32_000) + NOISE, "at least 1 s"),
        ("65535 channels", wav_header(8000, 65_535, 16, 65_535 * 20) + NOISE, None),
        ("200 channels", wav_header(8000, 200, 16, 200 * 2 * 8000) + NOISE, "channels"),
        ("8000 channels", wav_header(8000, 8000, 16, 8000 * 2 * 8000) + NOISE, None),
    ],
)
def test_wav_bombs(name, data, message):
    song = decode_bytes(data, ".wav")
    if message is not None:
        assert isinstance(song, AudioError) and message in str(song)
    elif not isinstance(
        song, AudioError
    ):  # libsndfile trusts the file size over the header: 2 s of noise
        assert song.duration_s <= 2.0 + 0.1


# Files that point elsewhere: ffmpeg must never follow them.


@pytest.mark.parametrize(
    "script",
    [
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\nfile://{song}\n#EXT-X-ENDLIST\n",
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\n{song}\n#EXT-X-ENDLIST\n",
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\nhttp://127.0.0.1:9/x.ogg\n"
        "#EXT-X-ENDLIST\n",
        "ffconcat version 1.0\nfile {song}\n",
    ],
)
@pytest.mark.parametrize("suffix", [".m3u8", ".mp3", ".txt"])
def test_playlists_do_not_reach_other_files(tmp_path, script, suffix):
    """A playlist upload naming a server-side song is refused, not decoded as that song."""
    song = write_song(tmp_path / "server side.ogg", SONG_S)
    outcome = decode_bytes(script.format(song=song).encode(), suffix)
    assert isinstance(outcome, AudioError) and "not an audio file" in str(outcome)


def test_a_colon_in_the_name_is_still_a_file(tmp_path, monkeypatch):
    """ffmpeg reads a relative "http:x.m4a" as a URL unless told it is a file."""
    write_song(tmp_path / "http:song.m4a", SONG_S)  # M4A: soundfile cannot, ffmpeg decodes
    monkeypatch.chdir(tmp_path)
    assert load_song("http:song.m4a").duration_s == pytest.approx(SONG_S, abs=0.1)


@pytest.mark.slow
def test_a_real_long_file_is_refused_before_decoding(tmp_path, no_decoding):
    """An honest 11-minute file (8 kHz mono, 10 MB) is over the 10-minute default: refused."""
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros((8000 * 660, 1), np.int16), 8000, subtype="PCM_16")
    with pytest.raises(SongTooLongError, match="660.0 s"):
        load_song(path)
