"""`python -m evaluation`: score dances with every metric, or build the validation table.

    python -m evaluation --data ../shared/data/ballroom --out runs/eval
    python -m evaluation dance.npz --song song.mp3 [more.npz --song more.mp3 ...]

With --data it builds the table of docs/metrics.md on the validation dances (rows listed in
evaluation.baselines.ROWS) and writes table.md, table.json and one PNG per dance under
--out. With NPZ files (keys `model_keypoints` + `model_fps`, or `keypoints` + `fps`, normalised
poses as dance.export writes them) it scores each against its song. The metrics live in
dance.metrics; this module only wires them to files and prints.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from dance.audio import load_song
from dance.errors import DanceError, InputError, ModelError
from dance.metrics.crossmodal import CrossModal, load_crossmodal
from dance.metrics.fid import ReferenceStats, load_reference
from dance.metrics.suite import DanceScore, decoy_songs, make_music, music_embeddings, score_dance

from . import baselines
from .crossmodal_train import DEFAULT_REFERENCE, reference_from
from .plots import PlotEntry, plot_dance
from .report import build_row, markdown, to_json

log = logging.getLogger(__name__)

DEFAULT_SEEDS = (0, 1, 2)
DEFAULT_OUT = Path("runs/eval")


def read_keypoints(path: Path) -> tuple[np.ndarray, float, float]:
    """(keypoints, fps, start_s) from a keypoint NPZ; the model-rate copy is preferred.

    Raises:
        InputError: the file is missing or holds no keypoints.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            if "model_keypoints" in data.files:
                keypoints, fps = data["model_keypoints"], float(data["model_fps"])
            else:
                keypoints, fps = data["keypoints"], float(data["fps"])
            start = float(data["start_s"]) if "start_s" in data.files else 0.0
    except (OSError, KeyError, ValueError) as err:
        raise InputError(f"{path}: not a keypoint NPZ (keypoints + fps): {err}") from err
    return np.asarray(keypoints, dtype=np.float32), fps, start


def _crossmodal(path: Path | None) -> CrossModal | None:
    try:
        return load_crossmodal(path)
    except ModelError as err:
        log.warning("no cross-modal matching: %s", err)
        return None


def score_files(args: argparse.Namespace) -> int:
    """Score NPZ dances against their songs; print a line each and write JSON if asked."""
    songs = args.song
    if len(songs) not in (1, len(args.dances)):
        raise InputError(f"give one --song for all dances or one per dance, got {len(songs)}")
    songs = songs * len(args.dances) if len(songs) == 1 else songs
    crossmodal = _crossmodal(args.crossmodal)
    reference, _ = load_reference(args.reference) if args.reference.is_file() else (None, None)
    items = []
    for path, song in zip(args.dances, songs, strict=True):
        keypoints, fps, start = read_keypoints(path)
        seconds = (keypoints.shape[0] - 1) / fps
        samples = load_song(song, start=start, seconds=seconds).samples
        items.append((path, keypoints, fps, make_music(song.name, samples)))
    musics = [m for *_, m in items]
    embs = {m.name: music_embeddings(crossmodal, m) for m in musics} if crossmodal else {}
    results = []
    for path, keypoints, fps, music in items:
        others = [e for name, e in embs.items() if name != music.name]
        score = score_dance(
            keypoints,
            fps,
            music,
            name=path.name,
            decoys=[m for m in musics if m.name != music.name],
            crossmodal=crossmodal,
            music_emb=embs.get(music.name),
            pool=np.concatenate(others) if others else None,
        )
        results.append(_file_result(score, reference))
        print(_file_line(results[-1]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _file_result(score: DanceScore, reference: dict[str, ReferenceStats] | None) -> dict:
    from dance.metrics.fid import fid

    out: dict = {
        "dance": score.name,
        "music": score.music,
        "duration_s": round(score.duration_s, 2),
        "bas": score.alignment.bas,
        "bas_reverse": score.alignment.bas_reverse,
        "motion_beats": score.alignment.n_motion_beats,
        "music_beats": score.alignment.n_music_beats,
        "jitter": score.quality.jitter,
        "bone_jumps": score.quality.bone_change_share,
        "speed_px_s": score.quality.mean_speed_px_s,
        "collapsed": score.quality.collapsed_share,
    }
    if score.sync:
        out |= {"sync_difference": score.sync.difference, "sync_p": score.sync.p_value}
    if score.matching:
        out |= {"match_cos": score.matching.cosine, "match_auc": score.matching.auc}
    if reference and score.kinetic.shape[0] >= 2:
        out |= {
            "fid_k": fid(reference["kinetic"], score.kinetic),
            "fid_g": fid(reference["geometric"], score.geometric),
        }
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in out.items()}


def _file_line(result: dict) -> str:
    return "  ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()
    )


def build_table(args: argparse.Namespace) -> int:
    """The full validation table, written under args.out."""
    from dance.model import load_model
    from train.data import load_ballroom

    t0 = time.perf_counter()
    clips = load_ballroom(args.data)
    train = [c for c in clips if c.split == "train"]
    val = [c for c in clips if c.split == "val"]
    log.info("analysing %d songs", len(clips))
    musics = {c.name: make_music(c.name, c.audio) for c in clips}
    reference = reference_from([c.poses for c in train], train[0].fps)
    crossmodal = _crossmodal(args.crossmodal)
    model = load_model(args.checkpoint)
    checkpoint_meta = dict(model.meta)

    log.info("making the baselines and %d seeds of the generator", len(args.seeds))
    candidates = baselines.real_rows(val, musics)
    candidates += baselines.generator_rows(model, val, musics, args.seeds)
    candidates += baselines.retrieval_row(val, train, musics)
    candidates += baselines.trivial_rows(val, train, musics, args.seeds)

    val_embs = {}
    if crossmodal is not None:
        val_embs = {c.name: music_embeddings(crossmodal, musics[c.name]) for c in val}
    all_songs = list(musics.values())
    log.info("scoring %d dances", len(candidates))
    scored: dict[str, list[tuple[baselines.Candidate, DanceScore]]] = {}
    for cand in candidates:
        pool = [e for name, e in val_embs.items() if name != cand.music.name]
        score = score_dance(
            cand.keypoints,
            cand.fps,
            cand.music,
            name=cand.name,
            seed=cand.seed,
            decoys=decoy_songs(cand.music, all_songs, exclude=[cand.source] if cand.source else []),
            crossmodal=crossmodal,
            music_emb=val_embs.get(cand.music.name),
            pool=np.concatenate(pool) if pool else None,
        )
        scored.setdefault(cand.row, []).append((cand, score))

    rows = [
        build_row(key, label, [s for _, s in scored[key]], reference)
        for key, label in baselines.ROWS.items()
        if key in scored
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_plots:
        for clip in val:
            entries = [
                PlotEntry(label, c.keypoints, c.fps, s)
                for key, label in (("real", "real dance"), ("generator", "generator"))
                for c, s in scored.get(key, [])
                if c.name == clip.name and c.seed in (None, args.seeds[0])
            ]
            plot_dance(args.out / f"{clip.name}.png", clip.name, musics[clip.name], entries)
    seconds = time.perf_counter() - t0
    table = markdown(rows)
    meta = {
        "command": "python -m evaluation " + " ".join(args.argv),
        "checkpoint": str(args.checkpoint) if args.checkpoint else "default",
        "checkpoint_meta": checkpoint_meta,
        "crossmodal": crossmodal.meta if crossmodal is not None else None,
        "seeds": list(args.seeds),
        "val_dances": [c.name for c in val],
        "seconds": round(seconds, 1),
    }
    (args.out / "table.md").write_text(table)
    (args.out / "table.json").write_text(json.dumps(to_json(rows, meta), indent=2) + "\n")
    print(table)
    log.info("wrote %s in %.0f s", args.out, seconds)
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("dances", nargs="*", type=Path, help="keypoint NPZ files to score")
    parser.add_argument("--song", type=Path, action="append", default=[], help="their songs")
    parser.add_argument("--json", type=Path, help="write the file scores here as JSON")
    parser.add_argument("--data", type=Path, help="ballroom data folder: build the table")
    parser.add_argument("--checkpoint", type=Path, help="the generator (default: installed)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="table output folder")
    parser.add_argument("--no-plots", action="store_true", help="skip the per-dance PNGs")
    parser.add_argument("--crossmodal", type=Path, help="cross-modal encoder weights")
    parser.add_argument(
        "--reference", type=Path, default=DEFAULT_REFERENCE, help="FID reference statistics"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    if not args.data and not args.dances:
        parser.error("give keypoint NPZ files with --song, or --data to build the table")
    if args.dances and not args.song:
        parser.error("give the song of the dances with --song")
    return args


def run_command(args: argparse.Namespace, job: Callable[[argparse.Namespace], int]) -> int:
    """What the scoring commands share: INFO logging, args.threads torch threads, and a
    DanceError turned into its message and exit code."""
    import torch

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    try:
        return job(args)
    except DanceError as err:
        log.error("%s", err)
        return err.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_command(args, lambda a: build_table(a) if a.data else score_files(a))


if __name__ == "__main__":
    raise SystemExit(main())
