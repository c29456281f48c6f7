"""`python -m evaluation.beatsync`: do generators dance on the beat of music they never heard?

For each checkpoint (``--checkpoint LABEL=PATH``, repeatable) it makes a dance per seed for
every validation song of the ballroom data and every song in ``--songs`` (other genres), and
scores them with dance.metrics:

* BAS: music beats matched by motion beats (sigma 50 ms), and the reverse;
* beat sync: BAS with the dance's own music minus BAS with songs of similar tempo (decoys drawn
  from every song here, training songs included), with a one-sided sign-flip p-value over
  songs (seeds averaged first: the strict unit) and over (song, seed) dances;
* FID_k, Div_k against the real training dances, jitter and speed: is it still dancing?

Rows: the real validation dances on their own music (the BAS to reach), then each checkpoint
on the ballroom validation songs, on the other songs, and on all unseen songs together.
Writes table.md and table.json under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dance.audio import load_song
from dance.errors import InputError
from dance.generate import generate
from dance.metrics.suite import DanceScore, Music, decoy_songs, make_music, score_dance
from dance.model import load_model

from .baselines import as_song
from .crossmodal_train import reference_from
from .evaluate import run_command
from .report import RowResult, _fmt, _fmt_sync, build_row, to_json
from .stats import PairedTest, paired_test

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".mp3", ".wav", ".ogg", ".flac", ".m4a")
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class SyncRow:
    """A row: its aggregate (evaluation.report) plus the sync test over (song, seed)."""

    result: RowResult
    songs: int
    per_seed_sync: PairedTest


def _score_all(
    dances: Sequence[tuple[str, int | None, np.ndarray, float, Music]], pool: Sequence[Music]
) -> list[DanceScore]:
    return [
        score_dance(keypoints, fps, music, name=name, seed=seed, decoys=decoy_songs(music, pool))
        for name, seed, keypoints, fps, music in dances
    ]


def _row(key: str, label: str, scores: list[DanceScore], reference: dict) -> SyncRow:
    diffs = [s.sync.difference for s in scores if s.sync is not None]
    return SyncRow(
        build_row(key, label, scores, reference),
        len({s.name for s in scores}),
        paired_test(diffs),
    )


def markdown(rows: Sequence[SyncRow]) -> str:
    lines = [
        "| row | songs | BAS | BAS rev | sync: own - similar-tempo songs [95 % CI], p over "
        "songs | p over song x seed | FID_k | Div_k | jitter | speed px/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r, c = row.result, row.result.cells
        p_seed = row.per_seed_sync
        lines.append(
            f"| {r.label} | {row.songs} | {_fmt(c['bas'], 3)} | {_fmt(c['bas_reverse'], 3)} | "
            f"{_fmt_sync(r.sync)} | "
            + (f"{p_seed.p_value:.2g} (n = {p_seed.n})" if p_seed.n else "—")
            + f" | {_fmt(c['fid_k'], 1)} | {_fmt(c['div_k'], 2)} | {_fmt(c['jitter'], 3)} | "
            f"{_fmt(c['speed_px_s'], 1)} |"
        )
    lines += [
        "",
        "BAS, jitter and speed: mean ± standard error over songs (seeds averaged first). "
        "FID_k/Div_k against the real training dances: ± sd over seeds (jackknife over "
        "dances for the real row). Sync p: one-sided sign-flip test that a dance matches its "
        "own music's beats better than those of songs of similar tempo; with n songs the "
        "smallest p over songs is 1/2^n.",
    ]
    return "\n".join(lines) + "\n"


def _parse_checkpoints(items: Sequence[str]) -> list[tuple[str, Path]]:
    out = []
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise InputError(f"--checkpoint wants LABEL=PATH, got {item!r}")
        out.append((label, Path(path)))
    return out


def run(args: argparse.Namespace) -> int:
    from train.data import load_ballroom

    t0 = time.perf_counter()
    checkpoints = _parse_checkpoints(args.checkpoint)
    clips = load_ballroom(args.data)
    train = [c for c in clips if c.split == "train"]
    val = [c for c in clips if c.split == "val"]
    other_paths = sorted(p for p in args.songs.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not other_paths:
        raise InputError(f"{args.songs}: no songs ({', '.join(AUDIO_SUFFIXES)})")
    log.info("analysing %d ballroom songs and %d other songs", len(clips), len(other_paths))
    ballroom = {c.name: make_music(c.name, c.audio) for c in clips}
    others = {p.stem: make_music(p.stem, load_song(p).samples) for p in other_paths}
    pool = list(ballroom.values()) + list(others.values())
    reference = reference_from([c.poses for c in train], train[0].fps)

    rows = [
        _row(
            "real",
            "real validation dances, own music",
            _score_all([(c.name, None, c.poses, c.fps, ballroom[c.name]) for c in val], pool),
            reference,
        )
    ]
    unseen = [ballroom[c.name] for c in val] + list(others.values())
    for label, path in checkpoints:
        model = load_model(path)
        log.info("%s: %d dances", label, len(unseen) * len(args.seeds))
        dances = []
        for music in unseen:
            song = as_song(music.name, music.samples)
            for seed in args.seeds:
                dance = generate(model, song, seed=seed)
                dances.append((music.name, seed, dance.keypoints, dance.fps, music))
        scores = _score_all(dances, pool)
        val_names = {c.name for c in val}
        in_val = [s for s in scores if s.name in val_names]
        in_other = [s for s in scores if s.name not in val_names]
        rows.append(_row(f"{label}/val", f"{label}: ballroom validation songs", in_val, reference))
        rows.append(_row(f"{label}/other", f"{label}: other genres", in_other, reference))
        rows.append(_row(f"{label}/all", f"{label}: all unseen songs", scores, reference))

    args.out.mkdir(parents=True, exist_ok=True)
    table = markdown(rows)
    meta = {
        "command": "python -m evaluation.beatsync " + " ".join(args.argv),
        "checkpoints": {label: str(p) for label, p in checkpoints},
        "seeds": list(args.seeds),
        "val_songs": [c.name for c in val],
        "other_songs": [p.name for p in other_paths],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (args.out / "table.md").write_text(table)
    payload = to_json([r.result for r in rows], meta)
    for out_row, row in zip(payload["rows"], rows, strict=True):
        out_row["songs"] = row.songs
        out_row["per_seed_sync"] = {
            "mean_difference": row.per_seed_sync.mean_difference,
            "p_value": row.per_seed_sync.p_value,
            "n": row.per_seed_sync.n,
        }
    (args.out / "table.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(table)  # noqa: T201
    log.info("wrote %s in %.0f s", args.out, meta["seconds"])
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.beatsync",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data", type=Path, required=True, help="ballroom data folder")
    parser.add_argument("--songs", type=Path, required=True, help="folder of other songs")
    parser.add_argument(
        "--checkpoint",
        action="append",
        required=True,
        metavar="LABEL=PATH",
        help="a generator to score (repeatable)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--out", type=Path, default=Path("runs/beatsync"))
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(parse_args(argv), run)


if __name__ == "__main__":
    raise SystemExit(main())
