"""The generator's input for each clip, computed once and cached on disk.

Each clip's audio becomes the generator's input (raw chunks, or librosa features over the whole
dance). librosa analysis is the slow part of start-up, so features are cached as .npy files
keyed by the clip, the front end and CACHE_VERSION; the trainer fills the cache on rank 0
before the other ranks read it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dance.analysis import (
    MOTION_BLOCKS,
    energy_feature,
    frame_features,
    raw_frames,
    rhythm_features,
)
from dance.model import GeneratorConfig
from dance.styles import style_columns
from dance.variation import VariationRow, fold_bpm, lead_columns, variation_columns

from .common import Clip
from .styles import (
    MOTION_ENERGY_FLOOR,
    TIME_WARPS,
    clip_style,
    grid_bpm,
    hold_out_tail,
    motion_beat_grid,
    motion_energy_level,
    time_warp,
)
from .variation import motion_descriptor, standardise

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # bump when the conversion or the features change


@dataclass(frozen=True)
class PreparedClip:
    """A clip with its model input. poses (T, 18, 2); audio (T, audio_input_size).

    samples: the raw 16 kHz audio, for validation renders and beat metrics; None for
    motion-only clips. style: the style it teaches ("" without styles). beat_times: the beat
    grid its rhythm inputs were computed from (its own motion beats), or None when they come
    from its music. variation: a training clip's row of the variation table (its style,
    motion tempo and standardised manner; dance.variation), when the generator has that input.
    """

    name: str
    genre: str
    split: str
    poses: np.ndarray
    audio: np.ndarray
    samples: np.ndarray | None
    style: str = ""
    beat_times: np.ndarray | None = None
    variation: VariationRow | None = None


def _cache_key(clip: Clip, config: GeneratorConfig) -> str:
    h = hashlib.sha1()
    h.update(f"{CACHE_VERSION}|{clip.source}|{clip.name}|{config.frontend}|".encode())
    h.update(",".join(config.features).encode())
    h.update(np.ascontiguousarray(clip.poses[:: max(1, len(clip.poses) // 50)]).tobytes())
    return h.hexdigest()[:16]


def model_input(clip: Clip, config: GeneratorConfig, cache_dir: Path | None) -> np.ndarray:
    """The generator's input for a whole clip: (frames, config.audio_input_size) float32."""
    assert clip.audio is not None, f"{clip.name} has no music"
    n = clip.poses.shape[0]
    if config.frontend == "raw":
        return raw_frames(clip.audio, n)
    path = None
    if cache_dir is not None:
        safe = clip.name.replace("/", "_")
        path = cache_dir / f"{safe}-{_cache_key(clip, config)}.npy"
        if path.is_file():
            return np.load(path)
    features = frame_features(clip.audio, config.features, n)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, features)
        tmp.replace(path)
    return features


def prepare(
    clips: list[Clip], config: GeneratorConfig, cache_dir: Path | None = None
) -> list[PreparedClip]:
    """Attach the model input to every clip the generator can learn from.

    Without styles, those are the clips with music. With styles (config.styles), every clip
    of one of those styles, its input the rhythm blocks of its own motion beat grid plus the
    style; training clips also come time-warped by each of TIME_WARPS.
    """
    if config.styles:
        return prepare_styled(clips, config)
    out = []
    for clip in clips:
        if clip.audio is None:
            log.info("%s: motion only, skipped for the generator", clip.name)
            continue
        out.append(
            PreparedClip(
                name=clip.name,
                genre=clip.genre,
                split=clip.split,
                poses=clip.poses.astype(np.float32),
                audio=model_input(clip, config, cache_dir).astype(np.float32),
                samples=clip.audio,
            )
        )
    return out


def styled_input(
    poses: np.ndarray, config: GeneratorConfig, style: str, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """(model input (T, audio_input_size), beat grid in s) for a dance of a style: the
    feature blocks from its own motion (beat grid, energy), in config order, then the style."""
    beats = motion_beat_grid(poses, fps)
    n = poses.shape[0]
    blocks = [
        energy_feature(motion_energy_level(poses), MOTION_ENERGY_FLOOR)
        if name == "energy"
        else rhythm_features(beats, [name], n)
        for name in config.features
    ]
    blocks.append(style_columns(config.styles, style, n))
    return np.concatenate(blocks, axis=1).astype(np.float32), beats


def variation_rows(clips: list[PreparedClip]) -> tuple[VariationRow, ...]:
    """The variation table of a generator trained on these clips: their rows, in order."""
    return tuple(c.variation for c in clips if c.split == "train" and c.variation is not None)


def prepare_styled(clips: list[Clip], config: GeneratorConfig) -> list[PreparedClip]:
    """prepare() for a generator with styles.

    With the variation input, a training clip hears its own manner (train/data/variation.py)
    on every frame, standardised over the training clips; a validation clip hears what
    inference would give its beat grid (dance.variation, seed 0), drawn from
    `config.variations` or, before training has filled them, from the training clips' rows.

    Raises:
        ValueError: a feature block that motion cannot give, or a style without clips.
    """
    unknown = [f for f in config.features if f not in MOTION_BLOCKS]
    if unknown:
        raise ValueError(
            f"a generator with styles learns from motion-only clips, so its features must be "
            f"blocks that motion gives, {MOTION_BLOCKS}; got {unknown}"
        )
    style_of = {c.name: clip_style(c) for c in clips}
    kept = hold_out_tail([c for c in clips if style_of[c.name] in config.styles], style_of)
    missing = set(config.styles) - {style_of[c.name] for c in kept if c.split == "train"}
    if missing:
        raise ValueError(f"no training clips of the styles {sorted(missing)}")
    out = []
    for clip in kept:
        style = style_of[clip.name]
        versions = [(clip.name, clip.poses)]
        if clip.split == "train":
            versions += [
                (f"{clip.name}@x{f}", time_warp(clip.poses, f, clip.fps)) for f in TIME_WARPS
            ]
        for name, poses in versions:
            if poses.shape[0] < config.window_frames:
                continue
            audio, beats = styled_input(poses, config, style, clip.fps)
            out.append(
                PreparedClip(
                    name=name,
                    genre=clip.genre,
                    split=clip.split,
                    poses=poses.astype(np.float32),
                    audio=audio,
                    samples=clip.audio if name == clip.name else None,
                    style=style,
                    beat_times=beats,
                )
            )
    if config.variation:
        out = with_variation(out, config)
    if config.lead:
        out = with_lead(out, config)
    counts = {s: sum(c.split == "train" for c in out if c.style == s) for s in config.styles}
    log.info("styled training clips (with time-warped copies): %s", counts)
    return out


def with_variation(clips: list[PreparedClip], config: GeneratorConfig) -> list[PreparedClip]:
    """The clips with the variation columns appended to their input (prepare_styled)."""
    fps = config.fps
    raw = np.stack([motion_descriptor(c.poses, fps) for c in clips])
    train = np.array([c.split == "train" for c in clips])
    # Over all training clips, not within each style: a step of the input is then the same
    # change of manner in every style. Standardised within each style, the waltzes' small
    # differences became as large as the street dancers' and the generator, which learns one
    # mapping for all styles, overshot them (waltz 13 to 77 px/s by manner; real 30).
    manner = standardise(raw, raw[train])
    out = []
    for clip, values in zip(clips, manner, strict=True):
        if clip.split == "train":
            tempo = fold_bpm(grid_bpm(clip.beat_times))  # finite, for the file's JSON
            row = (clip.style, tempo, tuple(float(v) for v in values))
            clip = replace(clip, variation=row)
        out.append(clip)
    rows = config.variations or variation_rows(out)
    final = []
    for clip in out:
        n = clip.poses.shape[0]
        if clip.variation is not None:
            columns = np.tile(np.asarray(clip.variation[2], dtype=np.float32), (n, 1))
        else:
            tempo = grid_bpm(clip.beat_times)
            columns = variation_columns(rows, clip.style, tempo, clip.beat_times, n, fps, 0)
        audio = np.concatenate([clip.audio, columns], axis=1).astype(np.float32)
        final.append(replace(clip, audio=audio))
    return final


def with_lead(clips: list[PreparedClip], config: GeneratorConfig) -> list[PreparedClip]:
    """The clips with the lead column appended to their input (prepare_styled): a validation
    clip hears what inference would give its beat grid (dance.variation.lead_columns, seed 0);
    a training clip's column is a placeholder that WindowDataset fills with each window's
    measured side."""
    final = []
    for clip in clips:
        n = clip.poses.shape[0]
        if clip.split == "train":
            column = np.zeros((n, 1), dtype=np.float32)
        else:
            column = lead_columns(clip.beat_times, n, config.fps, 0)
        final.append(replace(clip, audio=np.concatenate([clip.audio, column], axis=1)))
    return final
