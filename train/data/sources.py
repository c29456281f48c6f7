"""Which loader reads a data folder: the sources `python -m train --data` takes.

Paired music + dance (ballroom, the paper's JSON) and motion-only capture (G1 Moves, a folder
of BVH files), or a folder holding several of them (e.g. ../shared/data). Motion-only clips
train only a generator with styles (features.py). A new source is a module beside this one
returning `Clip`s, plus an entry in SOURCES.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .ballroom import load_ballroom
from .cmu_modern import load_cmu_modern
from .common import Clip
from .g1moves import load_g1moves
from .paper_json import load_paper_json


def _paper_json_files(data: Path) -> list[Path]:
    files = [data] if data.suffix == ".json" else sorted(data.glob("*_revised_pose_pairs.json"))
    return files if files and all(f.is_file() for f in files) else []


def _load_paper_json(data: Path) -> list[Clip]:
    return [clip for f in _paper_json_files(data) for clip in load_paper_json(f)]


# name -> (does this path hold the source?, its loader), tried in order.
SOURCES: dict[str, tuple[Callable[[Path], bool], Callable[[Path], list[Clip]]]] = {
    "ballroom": (lambda data: (data / "dances.csv").is_file(), load_ballroom),
    "paper_json": (lambda data: bool(_paper_json_files(data)), _load_paper_json),
    "g1moves": (lambda data: any(data.glob("*/motion.npz")), load_g1moves),
    "bvh": (lambda data: any(data.glob("*.bvh")) or any(data.glob("*.bvh.gz")), load_cmu_modern),
}


def _source_of(data: Path) -> str | None:
    return next((name for name, (holds, _) in SOURCES.items() if holds(data)), None)


def load_clips(data: str | Path) -> list[Clip]:
    """Clips from a folder (or file) of one source in SOURCES, or from every subfolder of
    `data` that holds one.

    Raises:
        FileNotFoundError: data holds none of them.
    """
    data = Path(data)
    source = _source_of(data)
    if source is not None:
        return SOURCES[source][1](data)
    if data.is_dir():
        subfolders = [p for p in sorted(data.iterdir()) if p.is_dir() and _source_of(p)]
        if subfolders:
            return [clip for sub in subfolders for clip in SOURCES[_source_of(sub)][1](sub)]
    raise FileNotFoundError(
        f"{data}: none of a ballroom folder (with dances.csv), the paper's "
        "*_revised_pose_pairs.json files, a G1 Moves folder (*/motion.npz), BVH files, "
        "or a folder holding some of these"
    )
