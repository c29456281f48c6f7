"""Score dances with every metric: one dance against its music, and a set against the reference.

The metric modules each measure one thing; this module runs them together on a dance and its
music (`score_dance` -> `DanceScore`) and on a set of dances (`score_set` -> `SetScore`). The
music is analysed once (`Music`) and shared by every dance scored against it. Baselines and
the table are built in evaluation/baselines.py and evaluation/report.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..analysis import MusicAnalysis, analyse
from ..audio import SAMPLE_RATE
from .beats import (
    BeatAlignment,
    BeatSync,
    beat_alignment,
    beat_sync,
    decoy_spans,
    motion_beats,
    octave_ratio,
    similar_tempo,
)
from .common import check_keypoints, n_frames_at
from .crossmodal import CrossModal, Matching, embed_dance, embed_music, matching, music_input
from .fid import ReferenceStats, diversity, fid
from .geometric import geometric_features
from .kinetic import kinetic_features
from .quality import MotionQuality, motion_quality

MIN_DECOY_SONGS = 3  # the beat-sync test uses at least this many other songs


@dataclass(frozen=True)
class Music:
    """A song span that dances are scored against, analysed once.

    Attributes:
        name: a label (file name or dance name).
        samples: mono float32 at SAMPLE_RATE.
        analysis: dance.analysis.analyse of the samples (beats, tempo, onsets).
    """

    name: str
    samples: np.ndarray
    analysis: MusicAnalysis

    @property
    def duration_s(self) -> float:
        return self.samples.size / SAMPLE_RATE

    @property
    def beat_times(self) -> np.ndarray:
        return self.analysis.beat_times

    @property
    def tempo_bpm(self) -> float:
        return self.analysis.tempo_bpm


def make_music(name: str, samples: np.ndarray) -> Music:
    """Analyse mono float32 samples at SAMPLE_RATE."""
    samples = np.asarray(samples, dtype=np.float32)
    return Music(name=name, samples=samples, analysis=analyse(samples))


def decoy_songs(
    own: Music,
    songs: Sequence[Music],
    exclude: Sequence[str] = (),
    min_songs: int = MIN_DECOY_SONGS,
) -> list[Music]:
    """The songs whose tempo is similar to own's, allowing octave errors.

    Own and the songs named in exclude (e.g. the song a dance was really made from, when it
    is scored against another) are left out, so the control is a clean null. If fewer than
    min_songs qualify, the min_songs nearest in tempo are taken instead.
    """
    others = [m for m in songs if m.name != own.name and m.name not in exclude]
    similar = [m for m in others if similar_tempo(m.tempo_bpm, own.tempo_bpm)]
    if len(similar) >= min_songs:
        return similar
    closeness = [abs(octave_ratio(m.tempo_bpm, own.tempo_bpm) - 1.0) for m in others]
    return [others[i] for i in np.argsort(closeness)[:min_songs]]


def music_embeddings(model: CrossModal, music: Music) -> np.ndarray:
    """Cross-modal embeddings (n_windows, E) of a song's consecutive windows from time 0."""
    n = int(np.floor(music.duration_s * model.config.fps + 1e-6))
    return embed_music(model, music_input(music.samples, model.config, n, music.analysis))


@dataclass(frozen=True)
class DanceScore:
    """Everything measured on one dance against one song.

    Attributes:
        name: the dance (e.g. "DANCE_W_10").
        music: the song it was scored against.
        seed: the generator seed, or None.
        duration_s: the scored length: the shorter of dance and song.
        alignment: BAS both ways.
        motion_beats_s: motion beat times, for plots.
        sync: BAS against own music versus decoy songs, or None without decoys.
        quality: jitter, bone-length jumps, mean speed.
        matching: cross-modal agreement, or None without the encoders.
        kinetic, geometric: per-window features for FID and diversity (not in reports).
        dance_emb, music_emb: paired cross-modal window embeddings (n, E), or None.
    """

    name: str
    music: str
    seed: int | None
    duration_s: float
    alignment: BeatAlignment
    motion_beats_s: np.ndarray
    sync: BeatSync | None
    quality: MotionQuality
    matching: Matching | None
    kinetic: np.ndarray = field(repr=False)
    geometric: np.ndarray = field(repr=False)
    dance_emb: np.ndarray | None = field(default=None, repr=False)
    music_emb: np.ndarray | None = field(default=None, repr=False)


def score_dance(
    keypoints: np.ndarray,
    fps: float,
    music: Music,
    *,
    name: str,
    seed: int | None = None,
    decoys: Sequence[Music] = (),
    crossmodal: CrossModal | None = None,
    music_emb: np.ndarray | None = None,
    pool: np.ndarray | None = None,
) -> DanceScore:
    """Score one dance against its music; both start at time 0 and are cut to the shorter.

    Args:
        keypoints: (frames, 18, 2) normalised poses.
        fps: their frame rate (any).
        music: the song, analysed.
        name: label of the dance.
        seed: the generator seed, if any.
        decoys: other songs for the beat-sync test, e.g. from decoy_songs (none: no test).
        crossmodal: the encoders (None: no matching score).
        music_emb: music_embeddings(crossmodal, music), if already computed.
        pool: other songs' music-window embeddings (m, E), for the matching AUC.

    Raises:
        InputError: malformed keypoints or under a second of overlap with the music.
    """
    poses = check_keypoints(keypoints, fps, name)
    duration = min((poses.shape[0] - 1) / fps, music.duration_s)
    poses = check_keypoints(poses[: n_frames_at(duration, fps)], fps, name)
    dance_beats = motion_beats(poses, fps)
    spans = [
        span for m in decoys for span in decoy_spans(m.name, m.beat_times, m.duration_s, duration)
    ]
    match, dance_emb = None, None
    if crossmodal is not None:
        if music_emb is None:
            music_emb = music_embeddings(crossmodal, music)
        dance_emb = embed_dance(crossmodal, poses, fps)
        match = matching(dance_emb, music_emb, pool)
        n = match.n_windows
        dance_emb, music_emb = dance_emb[:n], music_emb[:n]
    return DanceScore(
        name=name,
        music=music.name,
        seed=seed,
        duration_s=float(duration),
        alignment=beat_alignment(music.beat_times, dance_beats, duration),
        motion_beats_s=dance_beats,
        sync=beat_sync(dance_beats, music.beat_times, duration, spans) if spans else None,
        quality=motion_quality(poses, fps),
        matching=match,
        kinetic=kinetic_features(poses, fps),
        geometric=geometric_features(poses, fps),
        dance_emb=dance_emb,
        music_emb=music_emb if crossmodal is not None else None,
    )


@dataclass(frozen=True)
class SetScore:
    """Distribution-level scores of a set of dances against the real reference.

    Attributes:
        fid_k, fid_g: Frechet distance of kinetic / geometric window features.
        div_k, div_g: mean pairwise distance between the set's standardised features.
        n_windows: feature windows in the set.
    """

    fid_k: float
    fid_g: float
    div_k: float
    div_g: float
    n_windows: int


def score_set(scores: Sequence[DanceScore], reference: dict[str, ReferenceStats]) -> SetScore:
    """FID and diversity of a set of scored dances (at least two windows in all)."""
    kinetic = np.concatenate([s.kinetic for s in scores])
    geometric = np.concatenate([s.geometric for s in scores])
    return SetScore(
        fid_k=fid(reference["kinetic"], kinetic),
        fid_g=fid(reference["geometric"], geometric),
        div_k=diversity(reference["kinetic"], kinetic),
        div_g=diversity(reference["geometric"], geometric),
        n_windows=int(kinetic.shape[0]),
    )
