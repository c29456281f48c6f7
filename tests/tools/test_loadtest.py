"""tools.loadtest: the load script runs end to end, and a full queue turns clients away cleanly.

Tiny settings only (a 3 s song, 2 s dances, a handful of clients); the real figures come from
running `python -m tools.loadtest` by hand (docs/limits.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app_server import running_app
from tests.conftest import write_song
from tools import loadtest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def song(song_dir) -> Path:
    return write_song(song_dir / "load song.ogg", 3.0)


def test_a_full_queue_turns_clients_away_and_loses_nothing(tiny_model, tmp_path, song, monkeypatch):
    """Six clients at once against a queue of one: each completes or hears "queue full"."""
    import app

    monkeypatch.setattr(app, "QUEUE_SIZE", 1)
    with running_app(tiny_model, tmp_path) as url:
        result = loadtest.run_round(url, os.getpid(), 6, song, seconds=2.0)
        after = loadtest.one_request(url, song, seed=99, seconds=2.0)  # still serving
    statuses = [o.status for o in result.outcomes]
    assert statuses.count("failed") == 0, [o.detail for o in result.outcomes]
    assert statuses.count("completed") >= 1 and statuses.count("rejected") >= 1, statuses
    rejected = [o for o in result.outcomes if o.status == "rejected"]
    assert all("Queue is full" in o.detail for o in rejected)
    assert after.status == "completed", after.detail
    assert result.peak_rss_mb > 100  # this process holds torch and gradio
    assert result.latency_s(95) >= result.latency_s(50) > 0
    table = loadtest.format_table([result])
    assert re.search(r"^\s*6 \|", table.splitlines()[2]), table


def test_a_wrong_length_video_counts_as_failed(tiny_model, tmp_path, song, monkeypatch):
    """The script checks what comes back: an MP4 of another length is not "completed"."""
    monkeypatch.setattr(loadtest, "DURATION_TOLERANCE_S", -1.0)  # nothing can match now
    with running_app(tiny_model, tmp_path) as url:
        outcome = loadtest.one_request(url, song, seed=0, seconds=2.0)
    assert outcome.status == "failed" and "asked for 2 s" in outcome.detail


def test_rss_reads_this_process():
    assert loadtest.rss_mb(os.getpid()) > 10
    assert loadtest.rss_mb(os.getpid(), children=True) >= loadtest.rss_mb(os.getpid())
    assert loadtest.rss_mb(2**22 + 12345) == 0.0  # no such process


@pytest.mark.slow
def test_python_m_dance_loadtest(tiny_checkpoint, song, tmp_path):
    """The script as a user runs it: launches app.py, prints the table and the sequential run."""
    cmd = [sys.executable, "-m", "tools.loadtest", "--checkpoint", str(tiny_checkpoint),
           "--song", str(song), "--seconds", "2", "--clients", "1,2", "--sequential", "3",
           "--warmup", "1", "--workdir", str(tmp_path)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {int(m[0]): m for m in re.findall(r"^\s*(\d+) \|\s*(\d+) \|\s*(\d+) \|\s*(\d+) \|",
                                             proc.stdout, re.M)}  # fmt: skip
    assert rows[1] == ("1", "1", "0", "0") and rows[2] == ("2", "2", "0", "0"), proc.stdout
    assert "sequential: 3/3 completed after 1 warm-up requests" in proc.stdout
    growth = re.search(r"growth ([+-][\d.]+) MB \(ok", proc.stdout)
    assert growth is not None and float(growth.group(1)) < loadtest.RSS_GROWTH_LIMIT_MB
    folders = int(re.search(r"at most (\d+) request folders", proc.stdout).group(1))
    assert 1 <= folders <= 16  # app.KEEP_REQUESTS
    assert (tmp_path / "app.log").exists()
