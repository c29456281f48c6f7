"""The few librosa 0.11 analysis functions `dance` uses, in plain numpy, without numba.

`import librosa.beat` cost 4.6 to 8 s in every fresh process here (numba loading about a hundred
cached kernels, and compiling `__beat_local_score`, which librosa does not cache, on first call),
against about 0.3 s for numpy. Each function below follows librosa's code path for the arguments
analysis.py passes (same windows, padding, filterbanks, tie-breaking and dtypes where they
matter) and tests/test_dsp.py checks it against librosa itself. Long inputs are processed in
blocks of frames, so memory stays flat with the song's length. analysis.py owns the settings.
"""

from __future__ import annotations

import numpy as np

BLOCK_FRAMES = 4096  # frames transformed at a time: bounds the complex scratch arrays
MIN_TEMPO_BPM = 30.0  # tempo candidates below this never win (librosa's bpms grid starts at inf)
MAX_TEMPO_BPM = 320.0  # librosa's default max_tempo for the tempo estimate
TEMPO_PRIOR_BPM = 120.0  # centre of librosa's log-normal tempo prior (start_bpm)
TEMPO_PRIOR_OCTAVES = 1.0  # its width (std_bpm), in octaves
TEMPO_WINDOW_S = 8.0  # autocorrelation window of the tempogram (ac_size)
BEAT_TIGHTNESS = 100.0  # librosa's default: how strictly beats keep to the tempo
PIPTRACK_FMIN, PIPTRACK_FMAX = 150.0, 4000.0  # Hz; the tuning estimate looks for peaks here
PIPTRACK_THRESHOLD = 0.1  # of each frame's maximum: quieter peaks are not pitches
TUNING_RESOLUTION = 0.01  # of a semitone
AMIN = 1e-10  # power floor before taking decibels


def hann(n: int) -> np.ndarray:
    """Periodic Hann window (scipy's get_window("hann", n, fftbins=True)), float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def _frames(x: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """Centred frames of x, zero-padded by n_fft // 2 on both sides: (n_frames, n_fft), a view."""
    padded = np.pad(x, n_fft // 2)
    n_frames = 1 + (padded.size - n_fft) // hop_length
    return np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length][:n_frames]


def power_spectrogram(samples: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """|librosa.stft(samples, n_fft, hop_length, center=True)| ** 2, (1 + n_fft // 2, frames).

    float32, as librosa returns it (computed in float64, stored as complex64).
    """
    frames = _frames(np.asarray(samples, dtype=np.float32), n_fft, hop_length)
    window = hann(n_fft)
    out = np.empty((1 + n_fft // 2, len(frames)), dtype=np.float32)
    for first in range(0, len(frames), BLOCK_FRAMES):
        block = np.fft.rfft(frames[first : first + BLOCK_FRAMES] * window, axis=1)
        out[:, first : first + len(block)] = (np.abs(block.astype(np.complex64)) ** 2).T
    return out


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    mel = np.where(
        log_region, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27), mel
    )
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    hz = (200.0 / 3) * mel
    return np.where(mel >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27 * (mel - 15.0)), hz)


def mel_filterbank(sr: float, n_fft: int, n_mels: int, fmax: float) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels, fmin=0, fmax, htk=False, norm="slaney"), float32."""
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(fmax), n_mels + 2))
    ramps = mel_hz[:, None] - fft_hz[None, :]
    widths = np.diff(mel_hz)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None].astype(np.float32)
    return weights


def power_to_db(power: np.ndarray, top_db: float) -> np.ndarray:
    """librosa.power_to_db(power, ref=np.max, top_db=top_db)."""
    db = 10.0 * np.log10(np.maximum(AMIN, power))
    db -= 10.0 * np.log10(np.maximum(AMIN, power.max()))
    return np.maximum(db, db.max() - top_db)


def onset_strength(db: np.ndarray, hop_length: int, n_fft: int = 2048) -> np.ndarray:
    """librosa.onset.onset_strength(S=db, hop_length=hop_length): mean positive rise per frame.

    n_fft is librosa's default; with center=True it only sets how far the envelope is delayed
    (lag + n_fft // (2 * hop_length) frames), to line each onset up with its frame.
    """
    rise = np.maximum(0.0, db[:, 1:] - db[:, :-1]).mean(axis=0)
    delay = 1 + n_fft // (2 * hop_length)
    return np.pad(rise, (delay, 0))[: db.shape[1]]


def _normalize_max(x: np.ndarray, axis: int) -> np.ndarray:
    """librosa.util.normalize(x, norm=np.inf, axis=axis): divide by the largest magnitude."""
    length = np.max(np.abs(x).astype(float), axis=axis, keepdims=True)
    length[length < np.finfo(x.dtype).tiny] = 1.0
    return x / length


def _local_max(x: np.ndarray, axis: int) -> np.ndarray:
    """librosa.util.localmax: x[i] > x[i - 1] and x[i] >= x[i + 1]; never the first, the last
    only if it rises."""
    x = np.moveaxis(x, axis, -1)
    out = np.zeros(x.shape, dtype=bool)
    out[..., 1:-1] = (x[..., 1:-1] > x[..., :-2]) & (x[..., 1:-1] >= x[..., 2:])
    out[..., -1] = x[..., -1] > x[..., -2]
    return np.moveaxis(out, -1, axis)


def _pitch_peaks(power: np.ndarray, sr: float, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """librosa.piptrack(S=power) as (frequency, magnitude) of the peaks it finds, in any order."""
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sr)
    in_range = (fft_hz >= PIPTRACK_FMIN) & (fft_hz < min(PIPTRACK_FMAX, sr / 2))
    # Only the bins in range (and one neighbour each side, for the gradient and the peak test)
    # are worked on: half the spectrum at 16 kHz. The threshold still uses the whole column.
    rows = np.flatnonzero(in_range)
    lo, hi = max(rows[0] - 1, 0), min(rows[-1] + 2, len(fft_hz))
    in_range = in_range[lo:hi]
    pitches, mags = [], []
    for first in range(0, power.shape[1], BLOCK_FRAMES):
        full = power[:, first : first + BLOCK_FRAMES]
        ref = PIPTRACK_THRESHOLD * full.max(axis=0, keepdims=True)
        s = full[lo:hi]
        avg = np.gradient(s, axis=0)
        a = np.zeros_like(s)
        b = np.zeros_like(s)
        a[1:-1] = s[2:] + s[:-2] - 2 * s[1:-1]
        b[1:-1] = (s[2:] - s[:-2]) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(np.abs(b) >= np.abs(a), 0, -b / a).astype(s.dtype)
        peaks = in_range[:, None] & _local_max(s * (s > ref), axis=0)
        rows, cols = np.nonzero(peaks)
        pitches.append((lo + rows + shift[rows, cols]) * float(sr) / n_fft)
        mags.append(s[rows, cols] + 0.5 * avg[rows, cols] * shift[rows, cols])
    return np.concatenate(pitches), np.concatenate(mags)


def estimate_tuning(power: np.ndarray, sr: float, n_fft: int, bins_per_octave: int = 12) -> float:
    """librosa.estimate_tuning(S=power, sr=sr): deviation from A440 in fractions of a bin."""
    pitch, mag = _pitch_peaks(power, sr, n_fft)
    voiced = pitch > 0
    threshold = np.median(mag[voiced]) if voiced.any() else 0.0
    freqs = pitch[(mag >= threshold) & voiced]
    freqs = freqs[freqs > 0]
    if not freqs.size:
        return 0.0
    residual = np.mod(bins_per_octave * np.log2(freqs / (440.0 / 16)), 1.0)
    residual[residual >= 0.5] -= 1.0
    bins = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / TUNING_RESOLUTION)) + 1)
    counts, edges = np.histogram(residual, bins)
    return float(edges[np.argmax(counts)])


def chroma_filterbank(sr: float, n_fft: int, tuning: float, n_chroma: int = 12) -> np.ndarray:
    """librosa.filters.chroma(sr, n_fft, tuning=tuning) with its defaults, float32."""
    freqs = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    bins = n_chroma * np.log2(freqs / (a440 / 16))
    bins = np.concatenate(([bins[0] - 1.5 * n_chroma], bins))
    widths = np.concatenate((np.maximum(bins[1:] - bins[:-1], 1.0), [1]))
    d = np.subtract.outer(bins, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(float(n_chroma) / 2)
    d = np.remainder(d + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * d / np.tile(widths, (n_chroma, 1))) ** 2)
    norm = np.sqrt(np.sum(weights**2, axis=0, keepdims=True))
    norm[norm < np.finfo(float).tiny] = 1.0
    weights = weights / norm
    weights *= np.tile(np.exp(-0.5 * ((bins / n_chroma - 5.0) / 2) ** 2), (n_chroma, 1))
    weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(weights[:, : int(1 + n_fft / 2)], dtype=np.float32)


def chroma(power: np.ndarray, sr: float, n_fft: int) -> np.ndarray:
    """librosa.feature.chroma_stft(S=power, sr, n_fft): (12, frames), tuning estimated."""
    bank = chroma_filterbank(sr, n_fft, estimate_tuning(power, sr, n_fft))
    return _normalize_max(bank @ power, axis=0)


def _next_fast_len(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (scipy.fft.next_fast_len for real input)."""
    best = 2 ** int(np.ceil(np.log2(n)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def tempo(onset: np.ndarray, sr: float, hop_length: int) -> float:
    """librosa.feature.tempo(onset_envelope=onset, sr, hop_length): the global tempo in BPM.

    The autocorrelation tempogram is averaged over time block by block, never held whole.
    """
    win = int(TEMPO_WINDOW_S * sr) // hop_length
    n = onset.size
    padded = np.pad(onset, win // 2, mode="linear_ramp", end_values=0)
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[:n]
    window = hann(win)
    n_pad = _next_fast_len(2 * win - 1)
    total = np.zeros(win)
    for first in range(0, n, BLOCK_FRAMES):
        spectrum = np.fft.rfft(frames[first : first + BLOCK_FRAMES] * window, n=n_pad, axis=1)
        ac = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=n_pad, axis=1)[:, :win]
        total += _normalize_max(ac, axis=1).sum(axis=0)
    mean = total / n
    with np.errstate(divide="ignore"):
        bpms = np.concatenate(([np.inf], 60.0 * sr / (hop_length * np.arange(1.0, win))))
        prior = -0.5 * ((np.log2(bpms) - np.log2(TEMPO_PRIOR_BPM)) / TEMPO_PRIOR_OCTAVES) ** 2
    prior[: int(np.argmax(bpms < MAX_TEMPO_BPM))] = -np.inf
    return float(bpms[np.argmax(np.log1p(1e6 * mean) + prior)])


def beat_track(onset: np.ndarray, sr: float, hop_length: int) -> tuple[float, np.ndarray]:
    """librosa.beat.beat_track(onset_envelope=onset, sr, hop_length, trim=False).

    Ellis' dynamic programme: a beat every ~period frames, each placed on strong onsets.

    Returns:
        the tempo in BPM (0.0 for a silent envelope) and the beat frames, shape (n_beats,).
    """
    onset = np.asarray(onset)
    if not onset.any():
        return 0.0, np.array([], dtype=int)
    bpm = tempo(onset, sr, hop_length)
    period = int(np.round(sr / hop_length * 60.0 / bpm))
    norm = onset / (onset.std(ddof=1) + np.finfo(onset.dtype).tiny)
    kernel = np.exp(-0.5 * (np.arange(-period, period + 1) * 32.0 / period) ** 2)
    local = np.convolve(norm, kernel, mode="same")

    # cumscore[i] = local[i] + max over d in [period/2, 2 period] of cumscore[i - d] + penalty[d].
    # The nearest predecessor is `gap` frames back, so `gap` frames at a time depend only on
    # frames already done: one vectorised step per block instead of one Python step per frame.
    gap = int(np.round(period / 2))
    offsets = np.arange(gap, 2 * period + 1)
    penalty = -BEAT_TIGHTNESS * (np.log(offsets) - np.log(period)) ** 2
    n = local.size
    cumscore = np.zeros(n)
    backlink = np.full(n, -1)
    for first in range(0, n, gap):
        idx = np.arange(first, min(first + gap, n))
        loc = idx[:, None] - offsets[None, :]
        score = np.where(loc >= 0, cumscore[np.maximum(loc, 0)] + penalty, -np.inf)
        best = np.argmax(score, axis=1)  # ties: the nearest predecessor, as librosa's loop
        found = loc[np.arange(idx.size), best] >= 0
        cumscore[idx] = local[idx] + np.where(found, score[np.arange(idx.size), best], 0.0)
        backlink[idx] = np.where(found, loc[np.arange(idx.size), best], -1)
    # Frames before the first clear onset start no chain.
    started = np.cumsum(local >= 0.01 * local.max()) > 0
    backlink[~started] = -1

    peaks = _local_max(cumscore, axis=0)
    threshold = 0.5 * np.median(cumscore[peaks]) if peaks.any() else 0.0
    candidates = np.flatnonzero(peaks & (cumscore >= threshold))
    tail = candidates[-1] if candidates.size else n - 1
    beats = np.zeros(n, dtype=bool)
    while tail >= 0:
        beats[tail] = True
        tail = backlink[tail]
    # trim=False still drops beats on the silent edges (local score <= 0), as librosa does.
    positive = np.flatnonzero(local > 0)
    beats[: positive[0]] = False
    beats[positive[-1] + 1 :] = False
    return bpm, np.flatnonzero(beats)


def plp(
    onset: np.ndarray,
    sr: float,
    hop_length: int,
    tempo_min: float,
    tempo_max: float,
    win_length: int = 384,
) -> np.ndarray:
    """librosa.beat.plp(onset_envelope=onset, sr, hop_length, tempo_min, tempo_max): (frames,).

    The predominant local pulse: each frame's strongest periodicity in the tempo range, as a
    sinusoid, overlap-added back into a pulse curve.
    """
    onset = np.asarray(onset, dtype=np.float32)
    n = onset.size
    frames = _frames(onset, win_length, 1)  # n + 1 frames
    window = hann(win_length)
    bpm = np.fft.rfftfreq(win_length, 1.0 / (sr * 60.0 / hop_length))
    out_of_range = (bpm < tempo_min) | (bpm > tempo_max)
    summed = np.zeros(len(frames) + win_length - 1)
    tiny = np.finfo(np.float32).tiny
    for first in range(0, len(frames), BLOCK_FRAMES):
        gram = np.fft.rfft(frames[first : first + BLOCK_FRAMES] * window, axis=1)
        gram = gram.astype(np.complex64)
        gram[:, out_of_range] = 0
        mag = np.log1p(1e6 * np.abs(gram))
        gram[mag < mag.max(axis=1, keepdims=True)] = 0
        # librosa divides by |max| of the complex values, and numpy orders complex numbers by
        # their real part first; kept as is, so the pulse is librosa's.
        gram /= tiny**0.5 + np.abs(gram.max(axis=1, keepdims=True))
        chunk = np.fft.irfft(gram, n=win_length, axis=1) * window
        for j in range(win_length):
            summed[first + j : first + j + len(chunk)] += chunk[:, j]
    weight = np.convolve(np.ones(len(frames)), window**2)
    half = win_length // 2
    pulse = summed[half : half + n]
    weight = weight[half : half + n].astype(np.float32)
    nonzero = weight > tiny
    pulse[nonzero] /= weight[nonzero]
    pulse = np.clip(pulse.astype(np.float32), 0, None)
    return _normalize_max(pulse, axis=0).astype(np.float32)
