"""Looking at data and models: validation renders during training, and PNG contact sheets of
converted dances, drawn in the paper's whole 640 x 360 frame so that anything leaving the frame
shows (`python -m train.preview --ballroom ../shared/data/ballroom --out runs/preview`)."""

from __future__ import annotations

import argparse
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
        dance.render_video(result, path, show_beats=False)
    return path


def render_epoch(
    model: Generator, val_clips: list[PreparedClip], out_dir: Path, epoch: int
) -> None:
    """Render the first validation dance for this epoch; a failure is logged, never raised."""
    if not val_clips:
        return
    try:
        path = render_validation_dance(model, val_clips[0], out_dir, epoch)
        log.info("rendered %s", path)
    except Exception as err:  # a failed preview must never stop training
        log.warning("validation render failed: %s", err)


TILE = (320, 180)  # px per frame in a contact sheet: the paper's frame at half size
SHEET_FRAMES = 6  # frames per dance, evenly spaced in time
LABEL = (255, 255, 255)


def contact_sheet(clips: list, path: Path, frames: int = SHEET_FRAMES) -> Path:
    """One row per clip, `frames` evenly spaced poses per row, the full paper frame per tile.

    Right-side joints are labelled "R": in a front view they sit on the image's left.
    """
    from PIL import Image, ImageDraw

    from dance.render import Framing, draw_pose
    from dance.skeleton import JOINT

    framing = Framing(width=TILE[0], height=TILE[1], scale=TILE[0] / 640, offset_x=0, offset_y=0)
    sheet = Image.new("RGB", (TILE[0] * frames, (TILE[1] + 16) * len(clips)), (40, 40, 40))
    draw = ImageDraw.Draw(sheet)
    for row, clip in enumerate(clips):
        y0 = row * (TILE[1] + 16)
        draw.text((4, y0 + 2), f"{clip.name} ({clip.source}, {clip.genre})", fill=LABEL)
        for col, k in enumerate(np.linspace(0, len(clip.poses) - 1, frames).astype(int)):
            xy = framing.to_canvas(clip.poses[k])
            tile = Image.fromarray(draw_pose(xy, TILE))
            tile_draw = ImageDraw.Draw(tile)
            for name in ("right_wrist", "right_ankle"):
                x, y = xy[JOINT[name]]
                tile_draw.text((x - 12, y - 4), "R", fill=LABEL)
            tile_draw.text((4, TILE[1] - 14), f"{k / clip.fps:.1f} s", fill=LABEL)
            sheet.paste(tile, (col * TILE[0], y0 + 16))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    from .data import load_aist, load_ballroom, load_g1moves, load_paper_json

    p = argparse.ArgumentParser(
        prog="python -m train.preview", description="PNG contact sheets of converted dances"
    )
    p.add_argument("--ballroom", type=Path)
    p.add_argument("--g1moves", type=Path)
    p.add_argument("--paper-json", type=Path)
    p.add_argument("--aist", type=Path)
    p.add_argument("--per-source", type=int, default=6, help="dances per sheet")
    p.add_argument("--out", type=Path, default=Path("runs/preview"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sources = {
        "ballroom": (args.ballroom, lambda d: load_ballroom(d, with_audio=False)),
        "g1moves": (args.g1moves, load_g1moves),
        "paper_json": (args.paper_json, load_paper_json),
        "aist": (args.aist, load_aist),
    }
    for name, (where, loader) in sources.items():
        if where is None:
            continue
        clips = loader(where)
        step = max(1, len(clips) // args.per_source)
        path = contact_sheet(clips[::step][: args.per_source], args.out / f"{name}.png")
        log.info("%s: %d dances, sheet %s", name, len(clips), path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
