"""The evaluation table: per-row aggregates with error bars, as Markdown and as JSON.

Error bars:
* per-dance metrics (BAS, matching, jitter, ...) are averaged over seeds within each dance,
  then given as mean +- standard error over the dances (clips);
* set metrics (FID, diversity) are computed per seed and given as mean +- standard deviation
  over seeds; a row without seeds (real, retrieval) gets the leave-one-dance-out jackknife
  standard error instead (a bootstrap would repeat dances, which shrinks the covariance and
  inflates FID);
* beat sync is a paired test over dances (stats.paired_test): mean difference own - decoys,
  its bootstrap 95 % interval and a one-sided sign-flip p-value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from dance.metrics.crossmodal import retrieval
from dance.metrics.fid import ReferenceStats
from dance.metrics.suite import DanceScore, score_set

from .stats import PairedTest, paired_test, summarise

NAN = float("nan")

PER_DANCE: dict[str, tuple[str, Callable[[DanceScore], float]]] = {
    "bas": ("BAS", lambda s: s.alignment.bas),
    "bas_reverse": ("BAS rev", lambda s: s.alignment.bas_reverse),
    "motion_beats_per_s": (
        "motion beats/s",
        lambda s: s.alignment.n_motion_beats / s.duration_s,
    ),
    "match_auc": ("match AUC", lambda s: s.matching.auc if s.matching else NAN),
    "match_cos": ("match cos", lambda s: s.matching.cosine if s.matching else NAN),
    "jitter": ("jitter", lambda s: s.quality.jitter),
    "bone_jumps": ("bone jumps", lambda s: s.quality.bone_change_share),
    "speed_px_s": ("speed px/s", lambda s: s.quality.mean_speed_px_s),
    "collapsed": ("collapsed frames", lambda s: s.quality.collapsed_share),
    "sync_p": ("sync p (per dance)", lambda s: s.sync.p_value if s.sync else NAN),
}
SET_METRICS = ("fid_k", "fid_g", "div_k", "div_g")


@dataclass(frozen=True)
class Cell:
    """A table entry: value and its error bar (see the module docstring for which kind)."""

    mean: float
    err: float


@dataclass(frozen=True)
class RowResult:
    """One row of the table.

    Attributes:
        key, label: the row's id and description.
        n_dances: validation dances in it.
        seeds: the seeds (empty for a deterministic row).
        set_error: how the FID/diversity error bar was made.
        cells: metric name -> Cell.
        sync: paired test of BAS own music minus decoys, over dances.
        retrieval: music-to-dance top-1/top-5 among the row's windows (mean over seeds), and n.
        per_dance: per dance and seed, every per-dance metric.
    """

    key: str
    label: str
    n_dances: int
    seeds: list[int]
    set_error: str
    cells: dict[str, Cell]
    sync: PairedTest
    retrieval: dict[str, float]
    per_dance: list[dict]


def _nanmean(values: Sequence[float]) -> float:
    """Mean of the finite values; NaN (without a warning) when there are none."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else NAN


def _by_seed(scores: Sequence[DanceScore]) -> dict[int | None, list[DanceScore]]:
    groups: dict[int | None, list[DanceScore]] = {}
    for s in scores:
        groups.setdefault(s.seed, []).append(s)
    return groups


def _row_retrieval(scores: Sequence[DanceScore]) -> dict[str, float]:
    results = []
    for group in _by_seed(scores).values():
        usable = [s for s in group if s.dance_emb is not None and s.music_emb is not None]
        if not usable:
            continue
        music = np.concatenate([s.music_emb for s in usable])
        dance = np.concatenate([s.dance_emb for s in usable])
        labels = np.concatenate([[i] * s.dance_emb.shape[0] for i, s in enumerate(usable)])
        results.append(retrieval(music, dance, labels))
    if not results:
        return {"top1": NAN, "top5": NAN, "n": 0}
    return {
        "top1": float(np.mean([r.top1 for r in results])),
        "top5": float(np.mean([r.top5 for r in results])),
        "n": int(results[0].n),
    }


def build_row(
    key: str,
    label: str,
    scores: Sequence[DanceScore],
    reference: dict[str, ReferenceStats],
    seed: int = 0,
) -> RowResult:
    """Aggregate a row's scored dances (any number of seeds per dance)."""
    names = sorted({s.name for s in scores})
    per_name = {n: [s for s in scores if s.name == n] for n in names}
    cells: dict[str, Cell] = {}
    for metric, (_, get) in PER_DANCE.items():
        values = [_nanmean([get(s) for s in per_name[n]]) for n in names]
        summary = summarise(values)
        cells[metric] = Cell(summary.mean, summary.sem)

    by_seed = _by_seed(scores)
    seeds = sorted(k for k in by_seed if k is not None)
    if len(seeds) >= 2:
        sets = [asdict(score_set(by_seed[k], reference)) for k in seeds]
        set_error = "sd over seeds"
        for m in SET_METRICS:
            values = np.array([s[m] for s in sets])
            cells[m] = Cell(float(values.mean()), float(values.std(ddof=1)))
    else:
        point = asdict(score_set(scores, reference))
        n = len(names)
        jack = [
            asdict(score_set([s for m in names if m != left for s in per_name[m]], reference))
            for left in names
        ]
        set_error = "jackknife se over dances"
        for m in SET_METRICS:
            values = np.array([j[m] for j in jack])
            se = float(np.sqrt((n - 1) / n * np.sum((values - values.mean()) ** 2)))
            cells[m] = Cell(point[m], se)

    diffs = [np.nanmean([s.sync.difference for s in per_name[n] if s.sync] or [NAN]) for n in names]
    per_dance = [
        {"name": s.name, "music": s.music, "seed": s.seed, "duration_s": round(s.duration_s, 2)}
        | {m: get(s) for m, (_, get) in PER_DANCE.items()}
        | {"sync_difference": s.sync.difference if s.sync else NAN}
        for s in scores
    ]
    return RowResult(
        key=key,
        label=label,
        n_dances=len(names),
        seeds=seeds,
        set_error=set_error,
        cells=cells,
        sync=paired_test(diffs, seed=seed),
        retrieval=_row_retrieval(scores),
        per_dance=per_dance,
    )


def _num(x: float, digits: int) -> str:
    """Fixed point, or 3 significant digits once a number is too big for that to read well."""
    return f"{x:.3g}" if abs(x) >= 10_000 else f"{x:.{digits}f}"


def _fmt(cell: Cell, digits: int) -> str:
    if not np.isfinite(cell.mean):
        return "—"
    err = f" ± {_num(cell.err, digits)}" if np.isfinite(cell.err) else ""
    return f"{_num(cell.mean, digits)}{err}"


def _fmt_sync(test: PairedTest) -> str:
    if test.n == 0:
        return "—"
    return (
        f"{test.mean_difference:+.3f} [{test.ci_low:+.3f}, {test.ci_high:+.3f}], "
        f"p = {test.p_value:.2g}"
    )


def markdown(rows: Sequence[RowResult]) -> str:
    """Two Markdown tables: motion (realism, diversity, quality) and music-dance agreement."""
    seeds = {len(r.seeds) for r in rows if r.seeds}
    lines = [
        "**Motion.** FID (lower is better) and diversity of 5 s windows against the real "
        "training dances; jitter = share of velocity power at 3-5 Hz; bone jumps = share of "
        "frames where a bone's 2D length jumps by over half its length within 0.1 s; "
        "collapsed = share of frames with the skeleton on the frame's edge.",
        "",
        "| row | FID_k | FID_g | Div_k | Div_g | jitter | bone jumps | collapsed | speed px/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = r.cells
        lines.append(
            f"| {r.label} | {_fmt(c['fid_k'], 1)} | {_fmt(c['fid_g'], 1)} | "
            f"{_fmt(c['div_k'], 2)} | {_fmt(c['div_g'], 2)} | {_fmt(c['jitter'], 3)} | "
            f"{_fmt(c['bone_jumps'], 3)} | {_fmt(c['collapsed'], 4)} | {_fmt(c['speed_px_s'], 1)} |"
        )
    lines += [
        "",
        "**Music-dance agreement.** BAS (sigma 50 ms) over music beats, and reversed over "
        "motion beats; sync = BAS with own music minus BAS with other songs of similar tempo, "
        "mean over dances [95 % CI], one-sided p; match = cross-modal encoders: AUC against "
        "other songs (0.5 = chance) and music-to-dance retrieval among the row's N windows.",
        "",
        "| row | BAS | BAS rev | motion beats/s | sync: own - other songs | match AUC "
        "| R@1 | R@5 | N |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = r.cells
        ret = r.retrieval
        top1 = f"{ret['top1']:.3f}" if np.isfinite(ret["top1"]) else "—"
        top5 = f"{ret['top5']:.3f}" if np.isfinite(ret["top5"]) else "—"
        lines.append(
            f"| {r.label} | {_fmt(c['bas'], 3)} | {_fmt(c['bas_reverse'], 3)} | "
            f"{_fmt(c['motion_beats_per_s'], 2)} | {_fmt_sync(r.sync)} | "
            f"{_fmt(c['match_auc'], 3)} | {top1} | {top5} | {ret['n']} |"
        )
    lines += [
        "",
        "Error bars: ± standard error over dances for per-dance metrics (seeds averaged "
        "first); FID/Div ± sd over "
        + (f"{'/'.join(str(s) for s in sorted(seeds))} seeds" if seeds else "seeds")
        + " for random rows, ± jackknife se over dances for the others.",
    ]
    return "\n".join(lines) + "\n"


def to_json(rows: Sequence[RowResult], meta: dict) -> dict:
    """Everything in the table, per dance included, as JSON-ready data (NaN -> None)."""

    def clean(x: object) -> object:
        if isinstance(x, float):
            return x if np.isfinite(x) else None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        if isinstance(x, np.generic):
            return clean(x.item())
        return x

    return clean({"meta": meta, "rows": [asdict(r) for r in rows]})  # type: ignore[return-value]
