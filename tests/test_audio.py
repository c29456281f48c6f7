"""Decoding: every input format and channel layout decodes; every bad input gets its error."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dance.analysis import analyse, frame_features
from dance.audio import SAMPLE_RATE, load_song, probe_duration
from dance.errors import AudioError, InputError, SongTooLongError

from .conftest import BEAT_S, synth_song


@pytest.mark.parametrize(
    ("name", "rate", "channels"),
    [
        ("song.wav", 22_050, 2),
        ("song.flac", 44_100, 1),
        ("song.ogg", 48_000, 2),
        ("song.mp3", 44_100, 2),
        ("song.m4a", 44_100, 2),
        ("mono_8k.wav", 8_000, 1),
        ("surround.wav", 48_000, 6),
        ("quad.flac", 32_000, 4),
        ("song_16k.wav", 16_000, 2),
    ],
)
def test_formats_decode(make_song, name, rate, channels):
    path = make_song(name, 3.0, rate=rate, channels=channels)
    song = load_song(path)
    assert song.samples.dtype == np.float32 and song.samples.ndim == 1
    assert song.duration_s == pytest.approx(3.0, abs=0.1)
    assert song.samples.size == pytest.approx(3.0 * SAMPLE_RATE, abs=0.1 * SAMPLE_RATE)
    assert np.isfinite(song.samples).all() and np.abs(song.samples).max() <= 1.5
    assert probe_duration(path) == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize("name", ["song.wav", "song.m4a"])
def test_span_is_cut_where_asked(make_song, name):
    path = make_song(name, 5.0)
    song = load_song(path, start=1.5, seconds=2.0)
    assert song.start_s == 1.5
    assert song.duration_s == pytest.approx(2.0, abs=1e-3)
    assert song.samples.size == 2 * SAMPLE_RATE


@pytest.mark.parametrize("name", ["song.wav", "song.mp3", "song.m4a"])
def test_beats_found_at_120_bpm(make_song, name):
    song = load_song(make_song(name, 6.0))
    analysis = analyse(song.samples)
    assert analysis.tempo_bpm == pytest.approx(120, rel=0.05)
    assert np.median(np.diff(analysis.beat_times)) == pytest.approx(BEAT_S, abs=0.03)


def test_analysis_without_chroma_finds_the_same_beats(make_song):
    song = load_song(make_song("song.wav", 6.0))
    full, lean = analyse(song.samples), analyse(song.samples, chroma=False)
    assert lean.chroma is None and full.chroma is not None
    np.testing.assert_array_equal(lean.beat_times, full.beat_times)
    np.testing.assert_array_equal(lean.onset_envelope, full.onset_envelope)
    n = 30
    assert np.array_equal(
        frame_features(song.samples, ("onset", "beat"), n, lean),
        frame_features(song.samples, ("onset", "beat"), n, full),
    )
    with pytest.raises(ValueError, match="chroma=True"):
        frame_features(song.samples, ("chroma",), n, lean)


def test_energy_follows_how_loud_the_song_is():
    # Quiet for 6 s, then 12 dB louder for 6 s: the energy block rises across the change,
    # and is standardised over the song (mean 0) whatever the mix level.
    music = synth_song(12.0, SAMPLE_RATE, 1)[:, 0]
    music[music.size // 2 :] *= 4.0
    n = 120
    energy = frame_features(music, ("energy",), n)[:, 0]
    assert energy.shape == (n,)
    assert energy[:40].max() < -0.5 < 0.5 < energy[-40:].min()
    assert abs(energy.mean()) < 0.1
    np.testing.assert_allclose(frame_features(music * 0.1, ("energy",), n)[:, 0], energy, atol=0.02)
    # A song of one level has no louder or quieter part.
    steady = synth_song(12.0, SAMPLE_RATE, 1)[:, 0]
    assert np.abs(frame_features(steady, ("energy",), n)).max() < 1.0


def test_span_past_the_end_is_cut(make_song):
    song = load_song(make_song("song.wav", 3.0), start=1.0, seconds=10.0)
    assert song.duration_s == pytest.approx(2.0, abs=0.05)


# Bad input: each gets its own error type and a message naming the file.


def test_not_audio(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("this is a text file, not a song\n" * 50)
    with pytest.raises(AudioError, match="notes.mp3"):
        load_song(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).bytes(20_000))
    with pytest.raises(AudioError, match="noise.wav"):
        load_song(path)


@pytest.mark.parametrize("name", ["song.wav", "song.flac", "song.mp3", "song.m4a"])
def test_truncated_file(make_song, name):
    path = make_song(name, 6.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 8])  # header intact, most of the audio gone
    with pytest.raises(AudioError, match=name):
        load_song(path)


def test_corrupt_header(make_song):
    path = make_song("song.wav", 3.0)
    data = bytearray(path.read_bytes())
    data[:12] = b"\x00" * 12  # no RIFF/WAVE tag any more
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError):
        load_song(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioError, match="empty"):
        load_song(path)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_song(tmp_path / "nowhere.mp3")


def test_shorter_than_one_second(make_song):
    with pytest.raises(AudioError, match="at least 1 s"):
        load_song(make_song("short.wav", 0.5))


def test_span_shorter_than_one_second(make_song):
    with pytest.raises(AudioError, match="at least 1 s"):
        load_song(make_song("song.wav", 3.0), start=2.5)


def test_silence(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((3 * 22_050, 2), dtype=np.float32), 22_050)
    with pytest.raises(AudioError, match="silent"):
        load_song(path)


def test_start_past_the_end(make_song):
    with pytest.raises(InputError, match="past the end"):
        load_song(make_song("song.wav", 3.0), start=10.0)


@pytest.mark.parametrize("seconds", [0, -1, -0.5, float("nan"), float("inf")])
def test_bad_seconds(make_song, seconds):
    with pytest.raises(InputError, match="seconds"):
        load_song(make_song("song.wav", 3.0), seconds=seconds)


@pytest.mark.parametrize("start", [-1, float("nan")])
def test_bad_start(make_song, start):
    with pytest.raises(InputError, match="start"):
        load_song(make_song("song.wav", 3.0), start=start)


def test_too_long(make_song):
    path = make_song("long.wav", 5.0)
    with pytest.raises(SongTooLongError, match="maximum"):
        load_song(path, max_seconds=3.0)
    assert load_song(path, seconds=2.0, max_seconds=3.0).duration_s == pytest.approx(2.0)


def test_too_long_is_refused_before_decoding(tmp_path, monkeypatch):
    """A header claiming hours is refused from the header alone."""
    path = tmp_path / "long.wav"
    sf.write(path, synth_song(2.0, 8_000, 1), 8_000)
    import dance.audio

    monkeypatch.setattr(dance.audio, "probe_duration", lambda p: 3 * 3600.0)

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded a song that is too long")

    monkeypatch.setattr(dance.audio, "_decode_soundfile", no_decode)
    with pytest.raises(SongTooLongError):
        load_song(path)
