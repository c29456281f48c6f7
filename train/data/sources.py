"""Which loader reads a data folder: the paired music + dance sources `python -m train` takes.

Motion-only sources (aist, g1moves) are read by their loaders directly (train.pretrain_stgcn).
A new paired source is a module beside this one returning `Clip`s, plus an entry in SOURCES.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .ballroom import load_ballroom
from .common import Clip
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
}


def load_clips(data: str | Path) -> list[Clip]:
    """Paired music + dance clips from a ballroom folder or the paper's JSON file(s).

    Raises:
        FileNotFoundError: data holds neither layout.
    """
    data = Path(data)
    for holds, load in SOURCES.values():
        if holds(data):
            return load(data)
    raise FileNotFoundError(
        f"{data}: neither a ballroom folder (with dances.csv) nor the paper's "
        "*_revised_pose_pairs.json files"
    )
