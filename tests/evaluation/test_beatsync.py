"""`python -m evaluation.beatsync` on tiny data: a row per checkpoint and song set, MD + JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation import beatsync
from tests.conftest import write_song
from tests.train.synthetic import write_ballroom


@pytest.fixture(scope="module")
def two_val_ballroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two validation dances: the real row's jackknife leaves one out."""
    names = {"DANCE_C_1": "train", "DANCE_W_1": "train", "DANCE_W_2": "val", "DANCE_R_2": "val"}
    return write_ballroom(tmp_path_factory.mktemp("ballroom2"), names, seconds=16.0)


def test_beatsync_table_on_tiny_data(
    two_val_ballroom: Path, tiny_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    songs = tmp_path / "songs"
    songs.mkdir()
    write_song(songs / "a.wav", 6.0)
    write_song(songs / "b.ogg", 5.0)
    (songs / "notes.txt").write_text("not a song")  # ignored: not an audio suffix
    out = tmp_path / "table"
    code = beatsync.main(
        [
            "--data", str(two_val_ballroom), "--songs", str(songs), "--out", str(out),
            "--checkpoint", f"tiny={tiny_checkpoint}", "--seeds", "0", "1",
        ]
    )  # fmt: skip
    assert code == 0
    table = (out / "table.md").read_text()
    labels = [
        "real validation dances, own music",
        "tiny: ballroom validation songs",
        "tiny: other genres",
        "tiny: all unseen songs",
    ]
    assert all(f"| {label} |" in table for label in labels)
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert [r["songs"] for r in rows] == [2, 2, 2, 4]
    # One dance per song and seed; the per-dance sync test counts every one of them.
    assert [r["per_seed_sync"]["n"] for r in rows[1:]] == [4, 4, 8]
    assert all(0.0 <= r["cells"]["bas"]["mean"] <= 1.0 for r in rows)
    assert "tiny: all unseen songs" in capsys.readouterr().out


def test_beatsync_refuses_a_bad_checkpoint_spec(ballroom_dir: Path, tmp_path: Path) -> None:
    songs = tmp_path / "songs"
    songs.mkdir()
    write_song(songs / "a.wav", 3.0)
    args = ["--data", str(ballroom_dir), "--songs", str(songs), "--checkpoint", "no-label"]
    assert beatsync.main([*args, "--out", str(tmp_path / "t")]) == 2
