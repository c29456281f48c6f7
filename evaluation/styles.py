"""`python -m evaluation.styles`: does each style dance like its real dances, on the beat of
music it never heard, and can a classifier trained on real motion tell which style it is?

For every style of the generator it makes a dance per seed for each unseen song (the ballroom
validation songs and the songs in ``--songs``) and measures, beside the held-out real motion
of that style (the split the styles preset trains with, never trained on):

* beat sync: BAS with the dance's own music minus BAS with songs of similar tempo, with the
  one-sided sign-flip p over songs (seeds averaged first) and over (song, seed) dances;
* realism: FID_k and Div_k against the style's real training windows (real-vs-real: the
  held-out windows against the same reference), jitter, mean joint and ankle speed;
* recognisability: a logistic-regression classifier trained on real training windows only
  labels 5 s windows of the generated dances; accuracy, chance and the confusion matrix;
* body: wrist-to-wrist spread and wrist height above the shoulders, in torso lengths;
* loudness: how closely the dance's liveliness follows the song's loudness (Pearson r between
  the "energy" input of the music and the same measure of the dance's own speed; the real
  ballroom dances give 0.13 at the median dance).

It also scores the `auto` rule on every ballroom song (genre known) and the other songs, and
draws a contact sheet of every style on three unseen songs. Writes table.md, table.json and
PNGs under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from dance.analysis import energy_feature, frame_features
from dance.audio import SAMPLE_RATE, load_song
from dance.errors import InputError
from dance.generate import generate
from dance.metrics.common import ANALYSIS_FPS, to_analysis_px
from dance.metrics.fid import diversity, fid, reference_stats
from dance.metrics.kinetic import kinetic_features
from dance.metrics.quality import jitter
from dance.metrics.suite import Music, decoy_songs, make_music, score_dance
from dance.model import load_model
from dance.skeleton import JOINT, norm_to_px
from dance.styles import auto_style

from .baselines import as_song
from .evaluate import run_command
from .stats import paired_test

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".mp3", ".wav", ".ogg", ".flac", ".m4a")
DEFAULT_SEEDS = (0, 1, 2)
SONG_SECONDS = 30.0  # each unseen song's first seconds are danced
CLASSIFIER_WINDOW = 50  # frames (5 s at the model's 10 fps) per classified window
CLASSIFIER_STRIDE = 10  # frames between classified windows
CLASSIFIER_C = 0.1  # inverse L2 strength of the logistic regression
SHEET_SONGS = 3  # unseen songs drawn on contact sheets
SHEET_FRAMES = 8  # poses per style per sheet

# The goal each style is held to, against its own held-out real motion.
FID_RATIO_MAX = 2.0  # generated FID_k at most this times the real-vs-real FID_k
DIV_RATIO_MIN = 0.8  # generated Div_k at least this share of the real
JITTER_RATIO_MAX = 1.5
SPEED_TOLERANCE = 0.25  # joint and ankle speed within this share of the real
SYNC_P_MAX = 0.01  # over song x seed
RECOGNISED_MIN = 0.7


# ----------------------------------------------------------------------------- features
def torso_px(px: np.ndarray) -> float:
    """Median neck-to-hip-centre length of pixel poses (frames, 18, 2)."""
    hips = 0.5 * (px[:, JOINT["right_hip"]] + px[:, JOINT["left_hip"]])
    return float(np.median(np.linalg.norm(px[:, JOINT["neck"]] - hips, axis=-1)))


@dataclass(frozen=True)
class BodyStats:
    """Motion and posture of a set of dances; lengths in torso lengths, speeds in px/s.

    wrist_height is how far the wrists sit above the shoulders (negative: below).
    """

    joint_speed: float
    ankle_speed: float
    jitter: float
    wrist_spread: float
    wrist_height: float


def body_stats(dances: Sequence[np.ndarray], fps: float) -> BodyStats:
    """Means over dances of (frames, 18, 2) normalised poses at fps."""
    rows = []
    for poses in dances:
        px = to_analysis_px(poses, fps)
        torso = max(torso_px(px), 1e-6)
        speed = np.linalg.norm(np.diff(px, axis=0), axis=-1) * ANALYSIS_FPS  # (T-1, 18)
        ankles = [JOINT["right_ankle"], JOINT["left_ankle"]]
        wrists = px[:, [JOINT["right_wrist"], JOINT["left_wrist"]]]
        shoulders_y = px[:, [JOINT["right_shoulder"], JOINT["left_shoulder"]], 1].mean(axis=1)
        rows.append(
            (
                speed.mean(),
                speed[:, ankles].mean(),
                jitter(px),
                np.linalg.norm(wrists[:, 0] - wrists[:, 1], axis=-1).mean() / torso,
                (shoulders_y - wrists[..., 1].mean(axis=1)).mean() / torso,
            )
        )
    return BodyStats(*(float(np.nanmean(c)) for c in zip(*rows, strict=True)))


def windows(poses: np.ndarray, length: int = CLASSIFIER_WINDOW, stride: int = CLASSIFIER_STRIDE):
    """Consecutive windows (length, 18, 2) of a dance, `stride` frames apart."""
    return [poses[s : s + length] for s in range(0, poses.shape[0] - length + 1, stride)]


def window_descriptor(window: np.ndarray) -> np.ndarray:
    """What the style classifier sees of a window: posture, spread, speed and rhythm.

    Neck-relative pixel positions (mean and spread of each joint), each joint's mean absolute
    velocity, and the normalised spectrum of mean joint speed (how the motion pulses).
    """
    px = norm_to_px(window)
    rel = px - px[:, JOINT["neck"] : JOINT["neck"] + 1]
    velocity = np.diff(px, axis=0)
    speed = np.linalg.norm(velocity, axis=-1).mean(axis=1)
    spectrum = np.abs(np.fft.rfft(speed - speed.mean()))[1:13]
    spectrum = spectrum / (spectrum.sum() + 1e-9)
    return np.concatenate(
        [
            rel.mean(axis=0).ravel(),
            rel.std(axis=0).ravel(),
            np.abs(velocity).mean(axis=0).ravel(),
            spectrum,
        ]
    )


class StyleClassifier:
    """Logistic regression on window descriptors, trained on real motion only."""

    def __init__(self, styles: Sequence[str]) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.styles = list(styles)
        self.model = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=CLASSIFIER_C, max_iter=5000, class_weight="balanced"),
        )

    def fit(self, by_style: dict[str, list[np.ndarray]]) -> StyleClassifier:
        x, y = [], []
        for style, dances in by_style.items():
            for poses in dances:
                for w in windows(poses):
                    x.append(window_descriptor(w))
                    y.append(self.styles.index(style))
        self.model.fit(np.array(x), np.array(y))
        return self

    def predict(self, poses: np.ndarray) -> np.ndarray:
        """Style index of each window of a dance (empty when it is shorter than a window)."""
        ws = windows(poses)
        if not ws:
            return np.zeros(0, dtype=int)
        return self.model.predict(np.array([window_descriptor(w) for w in ws]))


# ----------------------------------------------------------------------------- rows
@dataclass
class StyleRow:
    """Everything measured for one style: the generated dances and its real held-out motion."""

    style: str
    n_songs: int = 0
    n_dances: int = 0
    bas: float = float("nan")
    sync_difference: float = float("nan")
    sync_low: float = float("nan")
    sync_high: float = float("nan")
    p_songs: float = float("nan")
    p_dances: float = float("nan")
    fid_k: float = float("nan")
    fid_k_real: float = float("nan")
    div_k: float = float("nan")
    div_k_real: float = float("nan")
    n_real_windows: int = 0
    generated: BodyStats | None = None
    real: BodyStats | None = None
    recognised: float = float("nan")
    recognised_real: float = float("nan")
    confusion: list[int] = field(default_factory=list)
    loudness_r: float = float("nan")

    def checks(self) -> dict[str, bool]:
        """The goal, criterion by criterion."""
        g, r = self.generated, self.real
        assert g is not None and r is not None

        def near(a: float, b: float) -> bool:
            return abs(a - b) <= SPEED_TOLERANCE * b

        return {
            "sync": self.p_dances < SYNC_P_MAX,
            "fid": self.fid_k <= FID_RATIO_MAX * self.fid_k_real,
            "div": self.div_k >= DIV_RATIO_MIN * self.div_k_real,
            "jitter": g.jitter <= JITTER_RATIO_MAX * r.jitter,
            "speed": near(g.joint_speed, r.joint_speed),
            "ankle": near(g.ankle_speed, r.ankle_speed),
            "recognised": self.recognised >= RECOGNISED_MIN,
        }


def style_split(data: Path, styles: Sequence[str]) -> dict[str, dict[str, list]]:
    """Real clips of each style, split as the styles preset trains: {style: {split: clips}}."""
    from train.data import load_clips
    from train.data.styles import clip_style, hold_out_tail

    clips = load_clips(data)
    style_of = {c.name: clip_style(c) for c in clips}
    kept = hold_out_tail([c for c in clips if style_of[c.name] in styles], style_of)
    out: dict[str, dict[str, list]] = {s: {"train": [], "val": []} for s in styles}
    for clip in kept:
        out[style_of[clip.name]]["train" if clip.split == "train" else "val"].append(clip)
    empty = [s for s in styles if not out[s]["train"] or not out[s]["val"]]
    if empty:
        raise InputError(f"{data}: no training or held-out real motion of the styles {empty}")
    return out


def loudness_follow(keypoints: np.ndarray, music: Music) -> float:
    """Pearson r between a song's loudness and a dance's liveliness over the dance, both as
    the generator's "energy" input measures them (dance.analysis.energy_feature)."""
    from train.data.styles import MOTION_ENERGY_FLOOR, motion_energy_level

    n = keypoints.shape[0]
    loud = frame_features(music.samples, ("energy",), n, music.analysis)[:, 0]
    lively = energy_feature(motion_energy_level(keypoints), MOTION_ENERGY_FLOOR)[:, 0]
    if loud.std() == 0 or lively.std() == 0:
        return float("nan")
    return float(np.corrcoef(loud, lively)[0, 1])


def kinetic_set(dances: Sequence[np.ndarray], fps: float) -> np.ndarray:
    return np.concatenate([kinetic_features(p, fps) for p in dances if (len(p) - 1) / fps >= 1.0])


def score_style(
    style: str,
    dances: Sequence[tuple[str, int, np.ndarray]],
    musics: dict[str, Music],
    pool: Sequence[Music],
    real: dict[str, list],
    classifier: StyleClassifier,
    fps: float,
) -> StyleRow:
    """One style's row from its generated dances (song name, seed, keypoints)."""
    row = StyleRow(style=style, n_songs=len({d[0] for d in dances}), n_dances=len(dances))
    scores = [
        score_dance(
            k, fps, musics[name], name=name, seed=seed, decoys=decoy_songs(musics[name], pool)
        )
        for name, seed, k in dances
    ]
    row.bas = float(np.mean([s.alignment.bas for s in scores]))
    diffs = [s.sync.difference for s in scores if s.sync is not None]
    per_song: dict[str, list[float]] = {}
    for s in scores:
        if s.sync is not None:
            per_song.setdefault(s.name, []).append(s.sync.difference)
    songs_test = paired_test([np.mean(v) for v in per_song.values()])
    row.sync_difference, row.sync_low, row.sync_high = (
        songs_test.mean_difference,
        songs_test.ci_low,
        songs_test.ci_high,
    )
    row.p_songs = songs_test.p_value
    row.p_dances = paired_test(diffs).p_value

    train_poses = [c.poses for c in real["train"]]
    val_poses = [c.poses for c in real["val"]]
    reference = reference_stats(kinetic_set(train_poses, fps))
    generated = kinetic_set([k for _, _, k in dances], fps)
    held_out = kinetic_set(val_poses, fps)
    row.fid_k, row.div_k = fid(reference, generated), diversity(reference, generated)
    row.fid_k_real, row.div_k_real = fid(reference, held_out), diversity(reference, held_out)
    row.n_real_windows = int(held_out.shape[0])
    row.generated = body_stats([k for _, _, k in dances], fps)
    row.real = body_stats(val_poses, fps)

    index = classifier.styles.index(style)
    predicted = np.concatenate([classifier.predict(k) for _, _, k in dances])
    real_predicted = np.concatenate([classifier.predict(p) for p in val_poses])
    row.recognised = float(np.mean(predicted == index)) if predicted.size else float("nan")
    row.recognised_real = (
        float(np.mean(real_predicted == index)) if real_predicted.size else float("nan")
    )
    row.confusion = [int(np.sum(predicted == i)) for i in range(len(classifier.styles))]
    row.loudness_r = float(np.nanmean([loudness_follow(k, musics[name]) for name, _, k in dances]))
    return row


# ----------------------------------------------------------------------------- auto rule
def auto_rule_table(
    ballroom: Sequence[tuple[str, str, Music]], others: Sequence[Music], styles: Sequence[str]
) -> tuple[str, dict]:
    """What `auto` picks for every ballroom song, by its genre, and for the other songs."""

    def pick(music: Music) -> str:
        a = music.analysis
        return auto_style(a.tempo_bpm, a.beat_times, a.onset_envelope, a.feature_rate, styles).style

    by_genre: dict[str, dict[str, int]] = {}
    for _, genre, music in ballroom:
        counts = by_genre.setdefault(genre, {})
        chosen = pick(music)
        counts[chosen] = counts.get(chosen, 0) + 1
    other_picks = {m.name: pick(m) for m in others}
    lines = [
        "| ballroom genre | songs | " + " | ".join(styles) + " |",
        "|---" * (len(styles) + 2) + "|",
    ]
    for genre, counts in sorted(by_genre.items()):
        lines.append(
            f"| {genre} | {sum(counts.values())} | "
            + " | ".join(str(counts.get(s, 0)) for s in styles)
            + " |"
        )
    lines += ["", "| other song | tempo BPM | auto picks |", "|---|---|---|"]
    lines += [f"| {m.name} | {m.tempo_bpm:.0f} | {other_picks[m.name]} |" for m in others]
    return "\n".join(lines) + "\n", {"ballroom": by_genre, "other": other_picks}


# ----------------------------------------------------------------------------- report
def _f(x: float, digits: int) -> str:
    return "—" if not np.isfinite(x) else f"{x:.{digits}f}"


def markdown(rows: Sequence[StyleRow], styles: Sequence[str]) -> str:
    lines = [
        "| style | dances | BAS | sync: own - similar-tempo songs [95 % CI] | p songs | "
        "p song x seed | FID_k (real) | Div_k (real) | jitter (real) | joint px/s (real) | "
        "ankle px/s (real) | recognised (real) | wrist spread (real) | wrist height (real) | "
        "follows loudness r | goal met |",
        "|" + "---|" * 16,
    ]
    for r in rows:
        g, b = r.generated, r.real
        assert g is not None and b is not None
        checks = r.checks()
        missed = [k for k, ok in checks.items() if not ok]
        lines.append(
            f"| {r.style} | {r.n_dances} | {_f(r.bas, 3)} | {r.sync_difference:+.3f} "
            f"[{r.sync_low:+.3f}, {r.sync_high:+.3f}] | {r.p_songs:.2g} | {r.p_dances:.2g} | "
            f"{_f(r.fid_k, 1)} ({_f(r.fid_k_real, 1)}) | "
            f"{_f(r.div_k, 2)} ({_f(r.div_k_real, 2)}) | {_f(g.jitter, 3)} ({_f(b.jitter, 3)}) | "
            f"{_f(g.joint_speed, 1)} ({_f(b.joint_speed, 1)}) | "
            f"{_f(g.ankle_speed, 1)} ({_f(b.ankle_speed, 1)}) | {_f(r.recognised, 2)} "
            f"({_f(r.recognised_real, 2)}) | {_f(g.wrist_spread, 2)} ({_f(b.wrist_spread, 2)}) | "
            f"{_f(g.wrist_height, 2)} ({_f(b.wrist_height, 2)}) | {_f(r.loudness_r, 2)} | "
            + ("all" if not missed else "misses " + ", ".join(missed))
            + " |"
        )
    lines += [
        "",
        "Confusion of the style classifier on the generated dances (rows: requested style; "
        f"columns: predicted; 5 s windows; chance {1 / len(styles):.2f}):",
        "",
        "| requested | " + " | ".join(styles) + " |",
        "|---" * (len(styles) + 1) + "|",
    ]
    lines += [f"| {r.style} | " + " | ".join(str(c) for c in r.confusion) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def contact_sheets(
    dances: dict[str, list[tuple[str, int, np.ndarray]]],
    songs: Sequence[str],
    out: Path,
    fps: float,
    seed: int,
) -> list[Path]:
    """One sheet per song: a row per style, its dance with `seed` (the first seed evaluated),
    SHEET_FRAMES poses each."""
    from train.preview import contact_sheet

    paths = []
    for song in songs:
        rows = [
            SimpleNamespace(
                name=f"{style} on {song}", source="generated", genre=style, poses=k, fps=fps
            )
            for style, items in dances.items()
            for name, dance_seed, k in items
            if name == song and dance_seed == seed
        ]
        paths.append(contact_sheet(rows, out / f"sheet_{song}.png", frames=SHEET_FRAMES))
    return paths


def run(args: argparse.Namespace) -> int:
    from train.data import load_ballroom

    t0 = time.perf_counter()
    model = load_model(args.checkpoint)
    styles = list(model.config.styles)
    if not styles:
        raise InputError(f"{args.checkpoint}: this generator has no styles to evaluate")
    fps = model.config.fps
    real = style_split(args.data, styles)
    classifier = StyleClassifier(styles).fit(
        {s: [c.poses for c in real[s]["train"]] for s in styles}
    )

    ballroom_dir = next(
        (p for p in [args.data, *sorted(args.data.glob("*"))] if (p / "dances.csv").is_file()), None
    )
    if ballroom_dir is None:
        raise InputError(f"{args.data}: no ballroom folder (with dances.csv) for the songs")
    ballroom = load_ballroom(ballroom_dir)
    other_paths = sorted(p for p in args.songs.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not other_paths:
        raise InputError(f"{args.songs}: no songs ({', '.join(AUDIO_SUFFIXES)})")
    log.info("analysing %d ballroom songs and %d other songs", len(ballroom), len(other_paths))
    full = {c.name: make_music(c.name, c.audio) for c in ballroom}
    others = [make_music(p.stem, load_song(p).samples) for p in other_paths]
    pool = list(full.values()) + others
    span = int(SONG_SECONDS * SAMPLE_RATE)
    unseen = [c.name for c in ballroom if c.split == "val"] + [m.name for m in others]
    by_name = {**full, **{m.name: m for m in others}}
    musics = {n: make_music(n, by_name[n].samples[:span]) for n in unseen}

    dances: dict[str, list[tuple[str, int, np.ndarray]]] = {}
    for style in styles:
        dances[style] = [
            (
                name,
                seed,
                generate(
                    model, as_song(name, musics[name].samples), seed=seed, style=style
                ).keypoints,
            )
            for name in unseen
            for seed in args.seeds
        ]
        log.info("%s: %d dances made", style, len(dances[style]))
    rows = [score_style(s, dances[s], musics, pool, real[s], classifier, fps) for s in styles]
    auto_md, auto_json = auto_rule_table(
        [(c.name, c.genre, full[c.name]) for c in ballroom], others, styles
    )

    args.out.mkdir(parents=True, exist_ok=True)
    sheet_songs = [m.name for m in others][:SHEET_SONGS]
    sheets = contact_sheets(dances, sheet_songs, args.out, fps, seed=args.seeds[0])
    table = markdown(rows, styles)
    (args.out / "table.md").write_text(table + "\n" + auto_md)
    meta = {
        "command": "python -m evaluation.styles " + " ".join(args.argv),
        "checkpoint": str(args.checkpoint),
        "trained_steps": model.meta.get("trained_steps"),
        "seeds": list(args.seeds),
        "unseen_songs": unseen,
        "seconds": round(time.perf_counter() - t0, 1),
        "sheets": [str(p) for p in sheets],
    }
    payload = {
        "meta": meta,
        "rows": [
            {
                **{k: v for k, v in vars(r).items() if k not in ("generated", "real")},
                "generated": vars(r.generated),
                "real": vars(r.real),
                "checks": r.checks(),
            }
            for r in rows
        ],
        "auto": auto_json,
    }
    (args.out / "table.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(table + "\n" + auto_md)  # noqa: T201 (a CLI)
    log.info("wrote %s in %.0f s", args.out, meta["seconds"])
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.styles",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="data folder (ballroom, G1 Moves, BVH)"
    )
    parser.add_argument("--songs", type=Path, required=True, help="folder of other unseen songs")
    parser.add_argument("--checkpoint", type=Path, default=None, help="generator with styles")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--out", type=Path, default=Path("runs/styles_eval"))
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(parse_args(argv), run)


if __name__ == "__main__":
    raise SystemExit(main())
