"""dance.dsp against librosa 0.11 itself: the same numbers from the same calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dance import dsp
from dance.analysis import FMAX, HOP_LENGTH, N_FFT, N_MELS
from dance.audio import SAMPLE_RATE, load_song

librosa = pytest.importorskip("librosa")

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.ogg"))


@pytest.fixture(scope="module", params=["click", "noise", *[p.name for p in EXAMPLES[:2]]])
def samples(request: pytest.FixtureRequest, song_long: Path) -> np.ndarray:
    if request.param == "click":
        return load_song(song_long).samples
    if request.param == "noise":  # no beat at all, and a quiet start
        rng = np.random.default_rng(3)
        noise = rng.normal(0, 0.1, 12 * SAMPLE_RATE).astype(np.float32)
        noise[:SAMPLE_RATE] *= 1e-3
        return noise
    return load_song(EXAMPLES[0].parent / request.param, seconds=15).samples


@pytest.fixture(scope="module")
def power(samples: np.ndarray) -> np.ndarray:
    return dsp.power_spectrogram(samples, N_FFT, HOP_LENGTH)


def test_power_spectrogram(samples: np.ndarray, power: np.ndarray) -> None:
    want = np.abs(librosa.stft(samples, n_fft=N_FFT, hop_length=HOP_LENGTH)) ** 2
    assert power.shape == want.shape and power.dtype == np.float32
    np.testing.assert_allclose(power, want, rtol=1e-5, atol=1e-6 * want.max())


def test_power_spectrogram_in_blocks(samples: np.ndarray, power: np.ndarray, monkeypatch) -> None:
    monkeypatch.setattr(dsp, "BLOCK_FRAMES", 7)
    np.testing.assert_array_equal(dsp.power_spectrogram(samples, N_FFT, HOP_LENGTH), power)


def test_mel_db_and_onsets(power: np.ndarray) -> None:
    bank = dsp.mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, FMAX)
    want_bank = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmax=FMAX)
    np.testing.assert_allclose(bank, want_bank, rtol=1e-6, atol=1e-9)
    db = dsp.power_to_db(bank @ power, top_db=80.0)
    want_db = librosa.power_to_db(
        librosa.feature.melspectrogram(S=power, sr=SAMPLE_RATE, n_mels=N_MELS, fmax=FMAX),
        ref=np.max,
        top_db=80.0,
    )
    np.testing.assert_allclose(db, want_db, atol=1e-3)
    onset = dsp.onset_strength(want_db, HOP_LENGTH)
    want = librosa.onset.onset_strength(S=want_db, sr=SAMPLE_RATE, hop_length=HOP_LENGTH)
    np.testing.assert_allclose(onset, want, atol=1e-5)


def test_chroma_and_tuning(power: np.ndarray) -> None:
    tuning = dsp.estimate_tuning(power, SAMPLE_RATE, N_FFT)
    assert tuning == pytest.approx(librosa.estimate_tuning(S=power, sr=SAMPLE_RATE, n_fft=N_FFT))
    want = librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, n_fft=N_FFT)
    np.testing.assert_allclose(dsp.chroma(power, SAMPLE_RATE, N_FFT), want, atol=1e-5)
    for t in (-0.5, 0.0, 0.23):
        np.testing.assert_allclose(
            dsp.chroma_filterbank(SAMPLE_RATE, N_FFT, t),
            librosa.filters.chroma(sr=SAMPLE_RATE, n_fft=N_FFT, tuning=t),
            atol=1e-6,
        )


@pytest.fixture(scope="module")
def onset(samples: np.ndarray) -> np.ndarray:
    db = librosa.power_to_db(
        librosa.feature.melspectrogram(y=samples, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=160),
        ref=np.max,
    )
    return librosa.onset.onset_strength(S=db, sr=SAMPLE_RATE, hop_length=HOP_LENGTH)


@pytest.mark.parametrize("decimate", [1, 2])
def test_beat_track(onset: np.ndarray, decimate: int) -> None:
    env = onset[: onset.size // decimate * decimate].reshape(-1, decimate).max(axis=1)
    hop = HOP_LENGTH * decimate
    bpm, beats = dsp.beat_track(env, SAMPLE_RATE, hop)
    want_bpm, want = librosa.beat.beat_track(
        onset_envelope=env, sr=SAMPLE_RATE, hop_length=hop, trim=False
    )
    assert bpm == pytest.approx(float(np.atleast_1d(want_bpm)[0]))
    np.testing.assert_array_equal(beats, want)


def test_beat_track_silence() -> None:
    bpm, beats = dsp.beat_track(np.zeros(500, dtype=np.float32), SAMPLE_RATE, HOP_LENGTH)
    assert bpm == 0.0 and beats.size == 0


def test_plp(onset: np.ndarray, monkeypatch) -> None:
    want = librosa.beat.plp(
        onset_envelope=onset, sr=SAMPLE_RATE, hop_length=HOP_LENGTH, tempo_min=60, tempo_max=200
    )
    got = dsp.plp(onset, SAMPLE_RATE, HOP_LENGTH, tempo_min=60, tempo_max=200)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5)
    monkeypatch.setattr(dsp, "BLOCK_FRAMES", 100)
    blocks = dsp.plp(onset, SAMPLE_RATE, HOP_LENGTH, tempo_min=60, tempo_max=200)
    np.testing.assert_allclose(blocks, got, atol=1e-6)


@pytest.mark.parametrize("n", [1, 7, 799, 800, 1001, 4097])
def test_next_fast_len(n: int) -> None:
    import scipy.fft

    assert dsp._next_fast_len(n) == scipy.fft.next_fast_len(n, real=True)
