"""Looking at data and models: validation renders during training, and PNG contact sheets of
converted dances (`python -m train.preview --data ../shared/data/ballroom`)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from dance.audio import SAMPLE_RATE
from dance.generate import Dance, run_model
from dance.model import Generator

from .data import PreparedClip
from .validate import VAL_SEED

log = logging.getLogger(__name__)


def render_validation_dance(
    model: Generator, clip: PreparedClip, out_dir: Path, epoch: int, seconds: float = 20.0
) -> Path:
    """Render the model's dance to the first seconds of a validation song as an MP4."""
    import dance

    frames = min(clip.poses.shape[0], int(seconds * model.config.fps))
    was_training = model.training
    model.eval()
    poses = run_model(model, clip.audio[:frames], VAL_SEED)
    if was_training:
        model.train()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "song.wav"
        sf.write(song, clip.samples[: frames * SAMPLE_RATE // model.config.fps], SAMPLE_RATE)
        result = Dance(
            keypoints=poses,
            fps=model.config.fps,
            seed=VAL_SEED,
            song=song,
            start_s=0.0,
            duration_s=(frames - 1) / model.config.fps,
            tempo_bpm=0.0,
            beat_times=np.zeros(0),
        )
        path = out_dir / f"epoch{epoch:04d}-{clip.name.replace('/', '_')}.mp4"
        dance.render(result, path, show_beats=False)
    return path
