"""Music analysis: tempo, beats, onset envelope, and per-pose-frame features for the generator.

Everything is computed from one power spectrogram at a 10 ms hop, with librosa's algorithms as
re-implemented in dsp.py (numpy only: no numba kernels to load or compile). Features are then
pooled to the pose frame rate: pose frame k sees the audio in [k / MODEL_FPS, (k + 1) / MODEL_FPS),
the same 0.1 s chunk that the paper's raw-waveform encoder sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import dsp
from .audio import MODEL_FPS, SAMPLE_RATE, SAMPLES_PER_FRAME

FEATURE_RATE = 100  # analysis frames per second (10 ms hop)
HOP_LENGTH = SAMPLE_RATE // FEATURE_RATE  # 160 samples between analysis frames
SUBFRAMES = SAMPLES_PER_FRAME // HOP_LENGTH  # 10 analysis frames pooled into one pose frame
N_FFT = 1024  # 64 ms window at 16 kHz
N_MELS = 32  # mel bands of the "mel" feature
FMAX = 8_000.0  # Hz; nothing above Nyquist of 16 kHz
FEATURE_CLIP = 3.0  # standardised features are clipped to this many standard deviations
BEAT_DECIMATION = 2  # the beat tracker runs on the onset envelope at FEATURE_RATE / 2
TEMPO_RANGE_BPM = (60.0, 200.0)  # beats outside this are octave errors for dance music

# Size of each named per-frame feature block; a GeneratorConfig lists the blocks it uses.
FEATURE_SIZES: dict[str, int] = {
    "mel": N_MELS,  # log-mel energy, mean over the frame, standardised per song
    "onset": 2,  # onset strength, mean and max over the frame, standardised per song
    "chroma": 12,  # pitch-class energy, mean over the frame
    "beat": 2,  # sin and cos of the phase within the current beat (beat tracker)
    "pulse": 1,  # predominant local pulse (PLP), max over the frame, standardised
    "beat2": 2,  # sin and cos of the phase within the current pair of beats
    "tempo": 1,  # local tempo from the beat spacing, (BPM - TEMPO_CENTRE) / TEMPO_SCALE
    "energy": 1,  # how loud the music is now against the whole song, smoothed, standardised
}
# Blocks that need only a beat grid, not the sound: they can be computed from a dance's own
# motion beats, so that motion-only clips (no music) can train a generator that uses them.
RHYTHM_BLOCKS = ("beat", "beat2", "tempo")
# Blocks a dance's own motion can give (train/data/styles.py): the beat grid's, and "energy",
# which a dance takes from how fast it moves where music gives how loud it plays.
MOTION_BLOCKS = (*RHYTHM_BLOCKS, "energy")
ENERGY_SMOOTH_S = 2.0  # std of the Gaussian that smooths the "energy" level, in seconds
# Smallest deviation of a song's smoothed loudness that counts as louder and quieter parts
# (ballroom songs: 2.2 to 7.7 dB, 10th to 90th percentile).
MUSIC_ENERGY_FLOOR_DB = 1.0
TEMPO_CENTRE_BPM = 110.0  # the "tempo" block is 0 here ...
TEMPO_SCALE_BPM = 30.0  # ... and +-1 this far away


@dataclass(frozen=True)
class MusicAnalysis:
    """What the music analysis found in a span.

    Attributes:
        tempo_bpm: the global tempo estimate.
        beat_times: beat times in seconds from the start of the span, shape (n_beats,).
        onset_envelope: onset strength at FEATURE_RATE, shape (n_analysis_frames,).
        mel_db: log-mel spectrogram at FEATURE_RATE, shape (N_MELS, n_analysis_frames).
        chroma: chroma at FEATURE_RATE, shape (12, n_analysis_frames); None when analyse
            was asked not to compute it.
    """

    tempo_bpm: float
    beat_times: np.ndarray
    onset_envelope: np.ndarray
    mel_db: np.ndarray
    chroma: np.ndarray | None

    @property
    def feature_rate(self) -> int:
        return FEATURE_RATE


def analyse(samples: np.ndarray, chroma: bool = True) -> MusicAnalysis:
    """Tempo, beats, onsets, mel and (unless `chroma` is False) chroma of mono float32 samples
    at SAMPLE_RATE. Chroma is a fifth of the time, and a generator that reads only the beat
    grid has no use for it."""
    samples = np.asarray(samples, dtype=np.float32)
    power = dsp.power_spectrogram(samples, N_FFT, HOP_LENGTH)
    mel = dsp.mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, FMAX) @ power
    mel_db = dsp.power_to_db(mel, top_db=80.0).astype(np.float32)
    onset = dsp.onset_strength(mel_db, HOP_LENGTH)
    pitch = dsp.chroma(power, SAMPLE_RATE, N_FFT).astype(np.float32) if chroma else None
    del power, mel  # the largest arrays here: 123 MB for 10 minutes
    # The beat tracker's cost grows with its frame rate; at 50 Hz it is a quarter of that at
    # 100 Hz and still places beats within 20 ms.
    pairs = onset[: onset.size // BEAT_DECIMATION * BEAT_DECIMATION]
    coarse = pairs.reshape(-1, BEAT_DECIMATION).max(axis=1)
    tempo, beat_frames = dsp.beat_track(coarse, SAMPLE_RATE, HOP_LENGTH * BEAT_DECIMATION)
    beats = beat_frames * (HOP_LENGTH * BEAT_DECIMATION / SAMPLE_RATE)
    beats = np.asarray(beats, dtype=np.float64)
    # The tracker's tempo sits on its frame grid (120 or 125 BPM at 50 Hz, nothing between);
    # the mean spacing of the beats it placed is finer.
    tempo_bpm = float(tempo)
    if beats.size >= 4:
        tempo_bpm = 60.0 * (beats.size - 1) / (beats[-1] - beats[0])
    return MusicAnalysis(
        tempo_bpm=tempo_bpm,
        beat_times=beats,
        onset_envelope=onset.astype(np.float32),
        mel_db=mel_db,
        chroma=pitch,
    )


def n_pose_frames(duration_s: float, fps: float = MODEL_FPS) -> int:
    """Pose frames at fps from time 0 up to and including the first frame at or past duration_s."""
    return int(np.ceil(duration_s * fps - 1e-6)) + 1


def _pool(x: np.ndarray, n_frames: int, how: str) -> np.ndarray:
    """Pool analysis frames (channels, n) into pose frames (n_frames, channels)."""
    want = n_frames * SUBFRAMES
    if x.shape[1] < want:
        x = np.pad(x, ((0, 0), (0, want - x.shape[1])), mode="edge")
    blocks = x[:, :want].reshape(x.shape[0], n_frames, SUBFRAMES)
    pooled = blocks.max(axis=2) if how == "max" else blocks.mean(axis=2)
    return pooled.T


def _standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column over the song (removes loudness and mix level).

    Values are clipped to +-FEATURE_CLIP: a near-silent intro sits many deviations below a
    song's mean, and a network never trained on such values throws the skeleton anywhere.
    """
    z = (x - x.mean(axis=0, keepdims=True)) / (x.std(axis=0, keepdims=True) + 1e-5)
    return np.clip(z, -FEATURE_CLIP, FEATURE_CLIP)


def energy_feature(level: np.ndarray, floor: float) -> np.ndarray:
    """The "energy" block from a per-pose-frame level: (n_frames,) -> (n_frames, 1) float32.

    The level is smoothed over ENERGY_SMOOTH_S (sections of a song, not single notes or steps)
    and standardised over the whole piece, so that it says "louder / livelier than the rest of
    this piece" whatever the mix level or the dancer. Music gives its mean log-mel energy (dB)
    and a dance the log of its mean joint speed. On the ballroom dances, the only ones with
    music, the two go together weakly: r = 0.13 at the median dance, above 0 in 36 of 43
    (ballroom music changes little in loudness). The deviation it is divided by is at least
    `floor` (in the level's units), so that a piece of one level stays near 0 instead of its
    smallest wobbles being blown up to the clip.
    """
    level = np.asarray(level, dtype=np.float64)
    sigma = ENERGY_SMOOTH_S * MODEL_FPS
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    padded = np.pad(level, radius, mode="edge")
    smooth = np.convolve(padded, kernel / kernel.sum(), mode="valid")
    z = (smooth - smooth.mean()) / max(float(smooth.std()), floor)
    return np.clip(z, -FEATURE_CLIP, FEATURE_CLIP)[:, None].astype(np.float32)


def beat_phase(beat_times: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Phase in [0, 1) within the current beat at each time; extrapolated past the ends."""
    beats = np.asarray(beat_times, dtype=np.float64)
    if beats.size < 2:
        return np.zeros_like(times_s, dtype=np.float64)
    period = float(np.median(np.diff(beats)))
    # Extend the grid one period past both ends so every time has a beat before and after it.
    n_before = int(np.ceil(max(beats[0] - times_s.min(), 0) / period)) + 1
    n_after = int(np.ceil(max(times_s.max() - beats[-1], 0) / period)) + 1
    grid = np.concatenate(
        [
            beats[0] - period * np.arange(n_before, 0, -1),
            beats,
            beats[-1] + period * np.arange(1, n_after + 1),
        ]
    )
    idx = np.clip(np.searchsorted(grid, times_s, side="right") - 1, 0, grid.size - 2)
    return (times_s - grid[idx]) / (grid[idx + 1] - grid[idx])


def local_tempo_bpm(beat_times: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Tempo at each time from the spacing of the surrounding beats (median tempo outside)."""
    beats = np.asarray(beat_times, dtype=np.float64)
    if beats.size < 2:
        return np.full(times_s.shape, TEMPO_CENTRE_BPM)
    spacing = np.diff(beats)
    centres = 0.5 * (beats[1:] + beats[:-1])
    return 60.0 / np.interp(times_s, centres, spacing)


def rhythm_features(beat_times: np.ndarray, names: Sequence[str], n_frames: int) -> np.ndarray:
    """The beat-grid feature blocks (RHYTHM_BLOCKS among `names`, in order) for pose frames.

    Args:
        beat_times: beats in seconds from the first pose frame, from music or from motion.
        names: feature blocks; those not in RHYTHM_BLOCKS are skipped.
        n_frames: pose frames; frame k is centred at (k + 0.5) / MODEL_FPS.

    Returns:
        (n_frames, total size of the rhythm blocks) float32.
    """
    times = (np.arange(n_frames) + 0.5) / MODEL_FPS
    blocks = []
    for name in names:
        if name == "beat":
            phase = 2 * np.pi * beat_phase(beat_times, times)
            blocks.append(np.stack([np.sin(phase), np.cos(phase)], axis=1))
        elif name == "beat2":
            # Which of two beats, and where in it: lets a dance alternate (step left, step
            # right) with the music. Which beat of a pair comes first is arbitrary.
            pairs = np.asarray(beat_times, dtype=np.float64)[::2]
            phase = 2 * np.pi * beat_phase(pairs, times)
            blocks.append(np.stack([np.sin(phase), np.cos(phase)], axis=1))
        elif name == "tempo":
            bpm = local_tempo_bpm(beat_times, times)
            z = (bpm - TEMPO_CENTRE_BPM) / TEMPO_SCALE_BPM
            blocks.append(np.clip(z, -FEATURE_CLIP, FEATURE_CLIP)[:, None])
    if not blocks:
        return np.zeros((n_frames, 0), dtype=np.float32)
    return np.concatenate(blocks, axis=1).astype(np.float32)


def frame_features(
    samples: np.ndarray,
    names: Sequence[str],
    n_frames: int,
    analysis: MusicAnalysis | None = None,
) -> np.ndarray:
    """Per-pose-frame audio features, shape (n_frames, sum of FEATURE_SIZES[name]), float32.

    Args:
        samples: mono float32 at SAMPLE_RATE.
        names: which feature blocks, in order (keys of FEATURE_SIZES).
        n_frames: pose frames to produce; frame k covers audio [k, k + 1) / MODEL_FPS.
        analysis: a precomputed analyse(samples), to avoid doing it twice.
    """
    unknown = [n for n in names if n not in FEATURE_SIZES]
    if unknown:
        raise ValueError(f"unknown audio features {unknown}; known: {sorted(FEATURE_SIZES)}")
    analysis = analysis if analysis is not None else analyse(samples)
    blocks = []
    for name in names:
        if name == "mel":
            blocks.append(_standardise(_pool(analysis.mel_db, n_frames, "mean")))
        elif name == "onset":
            env = analysis.onset_envelope[None, :]
            pooled = np.concatenate(
                [_pool(env, n_frames, "mean"), _pool(env, n_frames, "max")], axis=1
            )
            blocks.append(_standardise(pooled))
        elif name == "chroma":
            if analysis.chroma is None:
                raise ValueError("the 'chroma' feature needs an analysis made with chroma=True")
            blocks.append(_pool(analysis.chroma, n_frames, "mean"))
        elif name in RHYTHM_BLOCKS:
            blocks.append(rhythm_features(analysis.beat_times, [name], n_frames))
        elif name == "energy":
            level = _pool(analysis.mel_db, n_frames, "mean").mean(axis=1)
            blocks.append(energy_feature(level, MUSIC_ENERGY_FLOOR_DB))
        elif name == "pulse":
            pulse = dsp.plp(
                analysis.onset_envelope,
                SAMPLE_RATE,
                HOP_LENGTH,
                tempo_min=TEMPO_RANGE_BPM[0],
                tempo_max=TEMPO_RANGE_BPM[1],
            )
            blocks.append(_standardise(_pool(pulse[None, :], n_frames, "max")))
    out = np.concatenate(blocks, axis=1).astype(np.float32)
    assert out.shape == (n_frames, sum(FEATURE_SIZES[n] for n in names))
    return out


def raw_frames(samples: np.ndarray, n_frames: int) -> np.ndarray:
    """The paper's raw-waveform input: (n_frames, SAMPLES_PER_FRAME), zero-padded at the end."""
    want = n_frames * SAMPLES_PER_FRAME
    samples = np.asarray(samples, dtype=np.float32)[:want]
    if samples.size < want:
        samples = np.pad(samples, (0, want - samples.size))
    return samples.reshape(n_frames, SAMPLES_PER_FRAME)
