"""The dances of the evaluation table: real ones, the generator's, and the reference baselines.

Every row is a list of `Candidate`s, one per validation dance (and per seed where the row is
random), each with the music it is scored against. Rows (see ROWS):

* real: the validation dances with their own music (the ceiling);
* real_wrong_music: the same motion scored against the next validation dance's song;
* generator: the generator on the dance's song, one dance per seed;
* generator_silence: the generator fed silence (zeros in its input space: zero samples for the
  waveform front end, zero feature vectors, i.e. every standardised block at its song mean,
  for the feature front end), scored against the dance's song. `generate` refuses silent
  audio, so the model is run directly with `run_model`;
* generator_other_song: the generator on the next validation dance's song (looped to length),
  scored against the dance's own song;
* retrieval: for every 5 s window of the song, the training dance window whose music is
  nearest (mean and spread of mel, onset, chroma and pulse features), cross-faded together;
* mean_pose_noise: the mean training pose plus i.i.d. Gaussian noise of NOISE_STD per frame;
* random_joints: every joint uniform in the training poses' box, independently per frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dance.analysis import frame_features, n_pose_frames
from dance.audio import MODEL_FPS, SAMPLE_RATE, Song
from dance.generate import condition_columns, generate, run_model
from dance.metrics.suite import Music
from dance.model import Generator
from dance.motion import blend_windows, window_starts
from dance.styles import AUTO
from train.data import Clip
from train.data.styles import clip_style

NOISE_STD = 0.01  # normalised units (3.2 px across, 1.8 px down in the 640 x 360 frame)
RANDOM_BOX_PERCENTILES = (1, 99)  # of training coordinates: the box random joints fill
RETRIEVAL_FEATURES = ("mel", "onset", "chroma", "pulse")  # music descriptor for retrieval
RETRIEVAL_WINDOW_S = 5.0  # length of a retrieved clip
RETRIEVAL_OVERLAP_S = 1.0  # cross-fade between retrieved clips
RETRIEVAL_HOP_S = 1.0  # training clips start every this many seconds

ROWS: dict[str, str] = {
    "real": "real validation dances, own music (ceiling)",
    "real_wrong_music": "real dances, scored against another dance's song",
    "generator": "generator",
    "generator_silence": "generator fed silence, scored against the song",
    "generator_other_song": "generator fed another song, scored against the song",
    "retrieval": "nearest training clip by music (retrieval)",
    "mean_pose_noise": f"mean pose + Gaussian noise (std {NOISE_STD})",
    "random_joints": "random joints",
}


@dataclass(frozen=True)
class Candidate:
    """A dance to be scored and the music it is scored against.

    Attributes:
        row: key of ROWS.
        name: the validation dance it stands for.
        seed: the seed of a random row, else None.
        keypoints: (frames, 18, 2) normalised poses.
        fps: their frame rate.
        music: the song it is scored against.
        source: the song the motion was danced or generated to, if it is another one; the
            beat-sync test does not use it as a control.
    """

    row: str
    name: str
    seed: int | None
    keypoints: np.ndarray
    fps: float
    music: Music
    source: str | None = None


def partner(index: int, count: int) -> int:
    """The validation dance whose song serves as "another song" for dance index."""
    return (index + 1) % count


def real_rows(val: Sequence[Clip], musics: dict[str, Music]) -> list[Candidate]:
    """Rows real and real_wrong_music."""
    out = []
    for i, clip in enumerate(val):
        other = val[partner(i, len(val))].name
        out.append(Candidate("real", clip.name, None, clip.poses, clip.fps, musics[clip.name]))
        out.append(
            Candidate(
                "real_wrong_music", clip.name, None, clip.poses, clip.fps, musics[other], clip.name
            )
        )
    return out


def as_song(name: str, samples: np.ndarray) -> Song:
    """Whole decoded samples as a Song, to generate a dance for them."""
    duration = samples.size / SAMPLE_RATE
    return Song(Path(name), samples, 0.0, duration, duration)


def _looped(samples: np.ndarray, n: int) -> np.ndarray:
    return np.tile(samples, int(np.ceil(n / samples.size)))[:n]


def dance_style(model: Generator, clip: Clip) -> str:
    """The style a generator with styles is asked for, to dance a real dance's music: that
    dance's own style when the generator has it, else `auto`."""
    style = clip_style(clip)
    return style if style in model.config.styles else AUTO


def generator_rows(
    model: Generator, val: Sequence[Clip], musics: dict[str, Music], seeds: Sequence[int]
) -> list[Candidate]:
    """Rows generator, generator_silence and generator_other_song.

    A generator with styles dances each song in the style of the real dance it came with
    (dance_style), silence and the other song included.
    """
    out = []
    fps = model.config.fps
    styles = model.config.styles
    for i, clip in enumerate(val):
        music = musics[clip.name]
        other = musics[val[partner(i, len(val))].name]
        other_samples = _looped(other.samples, music.samples.size)
        n_frames = n_pose_frames(music.duration_s, fps)
        style = dance_style(model, clip)
        for seed in seeds:
            silence = np.zeros((n_frames, model.config.audio_input_size), dtype=np.float32)
            if styles and style != AUTO:
                condition = condition_columns(model, style, 0.0, np.zeros(0), n_frames, seed)
                silence[:, -condition.shape[1] :] = condition
            own = generate(model, as_song(clip.name, music.samples), seed=seed, style=style)
            out.append(Candidate("generator", clip.name, seed, own.keypoints, fps, music))
            quiet = run_model(model, silence, seed)
            out.append(Candidate("generator_silence", clip.name, seed, quiet, fps, music))
            swapped = generate(
                model, as_song(other.name, other_samples), seed=seed, style=style
            ).keypoints
            out.append(
                Candidate("generator_other_song", clip.name, seed, swapped, fps, music, other.name)
            )
    return out


def _descriptors(music: Music, starts: Sequence[int], window: int) -> np.ndarray:
    """Mean and standard deviation of retrieval features over windows -> (n, 2F)."""
    n = int(music.duration_s * MODEL_FPS)
    feats = frame_features(music.samples, RETRIEVAL_FEATURES, n, music.analysis)
    rows = [feats[s : s + window] for s in starts]
    return np.stack([np.concatenate([r.mean(axis=0), r.std(axis=0)]) for r in rows])


def retrieval_row(
    val: Sequence[Clip], train: Sequence[Clip], musics: dict[str, Music]
) -> list[Candidate]:
    """Row retrieval: each song window gets the training dance window with the nearest music."""
    window = int(RETRIEVAL_WINDOW_S * MODEL_FPS)
    overlap = int(RETRIEVAL_OVERLAP_S * MODEL_FPS)
    hop = int(RETRIEVAL_HOP_S * MODEL_FPS)
    bank_desc, bank_poses = [], []
    for clip in train:
        starts = list(range(0, clip.poses.shape[0] - window + 1, hop))
        bank_desc.append(_descriptors(musics[clip.name], starts, window))
        bank_poses += [clip.poses[s : s + window] for s in starts]
    desc = np.concatenate(bank_desc)
    mean, std = desc.mean(axis=0), desc.std(axis=0) + 1e-6
    bank = (desc - mean) / std
    out = []
    for clip in val:
        n_frames = clip.poses.shape[0]
        starts = window_starts(n_frames, window, overlap)
        query = (_descriptors(musics[clip.name], starts, window) - mean) / std
        nearest = np.argmin(((query[:, None, :] - bank[None, :, :]) ** 2).sum(axis=-1), axis=1)
        pieces = np.stack([bank_poses[k] for k in nearest])
        poses = blend_windows(pieces, starts, n_frames, overlap)
        out.append(Candidate("retrieval", clip.name, None, poses, MODEL_FPS, musics[clip.name]))
    return out


def trivial_rows(
    val: Sequence[Clip], train: Sequence[Clip], musics: dict[str, Music], seeds: Sequence[int]
) -> list[Candidate]:
    """Rows mean_pose_noise and random_joints."""
    all_poses = np.concatenate([c.poses for c in train])
    mean_pose = all_poses.mean(axis=0)
    low = np.percentile(all_poses, RANDOM_BOX_PERCENTILES[0], axis=(0, 1))
    high = np.percentile(all_poses, RANDOM_BOX_PERCENTILES[1], axis=(0, 1))
    out = []
    for clip in val:
        shape = clip.poses.shape
        music = musics[clip.name]
        for seed in seeds:
            rng = np.random.default_rng(seed)
            noisy = (mean_pose + rng.normal(0.0, NOISE_STD, shape)).astype(np.float32)
            out.append(Candidate("mean_pose_noise", clip.name, seed, noisy, clip.fps, music))
            rand = rng.uniform(low, high, shape).astype(np.float32)
            out.append(Candidate("random_joints", clip.name, seed, rand, clip.fps, music))
    return out
