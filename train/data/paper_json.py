"""The paper's released dataset files, ``<set>_revised_pose_pairs.json`` (Ren et al. 2020).

Each file holds one JSON *string* that decodes to ``{video_id: {clip_start: {"audio_sequence":
[160000 ints at 16 kHz], "joint_coors": [100][18][2] pixels of a 640 x 360 frame}}}``. Clips of
one video are consecutive 10 s pieces; consecutive clips are joined into one continuous Clip so
that training windows can be cut anywhere. Ragged (broken) clips are skipped, as the authors'
loaders do. Undetected joints are stored as (0, 0) and are interpolated over time.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from dance.audio import SAMPLE_RATE, SAMPLES_PER_FRAME
from dance.skeleton import px_to_norm

from .common import Clip, align_audio, fill_missing, standardise_layout_px

log = logging.getLogger(__name__)

CLIP_SECONDS = 10  # every stored clip is 10 s: 100 pose frames and 160 000 samples
FRAMES_PER_CLIP = 100
INT16_SCALE = 32768.0  # the audio is stored as int16-range integers
FIRST_VALIDATION_ID = 46  # the authors train on ids below "046" and test on 047 and 049


def _read(path: Path) -> dict:
    with open(path) as fh:
        data = json.load(fh)
    if isinstance(data, str):  # the released files are double-encoded
        data = json.loads(data)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a dict of videos, found {type(data).__name__}")
    return data


def _clip_arrays(clip: dict) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        poses = np.asarray(clip["joint_coors"], dtype=np.float64)
        audio = np.asarray(clip["audio_sequence"], dtype=np.float64)
    except (KeyError, ValueError):
        return None
    if poses.shape != (FRAMES_PER_CLIP, 18, 2) or audio.shape != (CLIP_SECONDS * SAMPLE_RATE,):
        return None
    return poses, audio


def load_paper_json(
    path: str | Path, standardise: bool = False, name_prefix: str | None = None
) -> list[Clip]:
    """Clips from one released JSON file, consecutive 10 s clips joined per video.

    Args:
        path: a ``*_revised_pose_pairs.json`` file.
        standardise: move the poses into the project's shared layout (root centred, common
            scale); the default keeps the paper's raw 640 x 360 pixel normalisation.
        name_prefix: prefix of clip names; defaults to the file name's first word.
    """
    path = Path(path)
    prefix = name_prefix or path.name.split("_")[0]
    clips = []
    data = _read(path)
    for video_id in sorted(data):
        runs: list[list[tuple[np.ndarray, np.ndarray]]] = []
        last_start = None
        for start in sorted(data[video_id], key=lambda s: int(s)):
            arrays = _clip_arrays(data[video_id][start])
            if arrays is None:
                log.info("%s: video %s clip %s is broken; skipped", path.name, video_id, start)
                last_start = None
                continue
            if last_start is None or int(start) != last_start + CLIP_SECONDS:
                runs.append([])
            runs[-1].append(arrays)
            last_start = int(start)
        split = "train" if int(video_id) < FIRST_VALIDATION_ID else "val"
        for k, run in enumerate(runs):
            poses_px = np.concatenate([p for p, _ in run])
            audio = np.concatenate([a for _, a in run]) / INT16_SCALE
            poses_px = fill_missing(poses_px, np.all(poses_px == 0, axis=-1))
            if standardise:
                poses_px = standardise_layout_px(poses_px)
            poses, audio32 = align_audio(px_to_norm(poses_px), audio.astype(np.float32))
            assert audio32 is not None and audio32.size == poses.shape[0] * SAMPLES_PER_FRAME
            suffix = f"-{k}" if len(runs) > 1 else ""
            clips.append(
                Clip(
                    name=f"{prefix}/{video_id}{suffix}",
                    source="paper_json",
                    genre=prefix,
                    split=split,
                    poses=poses.astype(np.float32),
                    fps=10,
                    audio=audio32,
                )
            )
    return clips
