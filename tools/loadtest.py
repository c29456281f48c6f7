"""Load test for the demo: `python -m tools.loadtest` launches app.py and drives it with clients.

Loopback only. N concurrent gradio_client clients each ask for one dance; the table says how many
completed (an MP4 of the asked length came back), failed, or were turned away with Gradio's
"queue full" message, with p50/p95 latency and the server's peak resident memory. `--sequential`
then measures memory growth and temporary files over many requests in a row. Linux only (memory
is read from /proc). gradio_client is imported inside the functions: the library never needs it.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dance.model import CHECKPOINT_ENV

from .memory import PeakSampler, rss_mb

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SONG = REPO / "examples" / "electro-crushed-ice-cocktail.ogg"  # a 30 s excerpt
DEFAULT_CLIENTS = (1, 4, 16)
DEFAULT_SECONDS = 30.0  # each client asks for a dance this long
STARTUP_TIMEOUT_S = 300  # first start compiles librosa's numba code: minutes on a cold cache
REQUEST_TIMEOUT_S = 1800  # one client's whole wait, queue included
RSS_SAMPLE_S = 0.1  # how often the memory sampler reads /proc
DURATION_TOLERANCE_S = 0.2  # a returned MP4 this far from the asked length counts as failed
RSS_GROWTH_LIMIT_MB = 100.0  # most the server may grow over the sequential run: a leak check
QUEUE_FULL = "Queue is full"  # what gradio_client raises (QueueError) when max_size is reached


@dataclass
class Outcome:
    """One request: "completed", "failed" or "rejected", its latency, and why it failed."""

    status: str
    latency_s: float
    detail: str = ""


@dataclass
class RoundResult:
    """One round of N concurrent clients."""

    clients: int
    outcomes: list[Outcome] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    peak_tree_rss_mb: float = 0.0
    wall_s: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def latency_s(self, q: float) -> float:
        done = [o.latency_s for o in self.outcomes if o.status == "completed"]
        return float(np.percentile(done, q)) if done else float("nan")


def one_request(url: str, song: Path, seed: int, seconds: float, client=None) -> Outcome:
    """Ask the app at url for one dance and classify what came back."""
    from gradio_client import Client, handle_file
    from gradio_client.utils import QueueError

    from dance.video import probe

    client = client or Client(url, verbose=False)
    t0 = time.perf_counter()
    try:
        video = client.predict(handle_file(str(song)), seed, seconds, 0, api_name="/generate")[0]
    except QueueError as err:
        latency = time.perf_counter() - t0
        if QUEUE_FULL in str(err):
            return Outcome("rejected", latency, str(err))
        return Outcome("failed", latency, f"QueueError: {err}")
    except Exception as err:  # anything else the client raises is a failure we report
        return Outcome("failed", time.perf_counter() - t0, f"{type(err).__name__}: {err}")
    latency = time.perf_counter() - t0
    try:
        duration = probe(video).duration_s
    except Exception as err:
        return Outcome("failed", latency, f"unreadable video {video}: {err}")
    if abs(duration - seconds) > DURATION_TOLERANCE_S:
        return Outcome("failed", latency, f"video is {duration:.2f} s, asked for {seconds:g} s")
    return Outcome("completed", latency)


def run_round(url: str, pid: int, n: int, song: Path, seconds: float) -> RoundResult:
    """N clients, connected first, then all asking at once (a barrier) for one dance each."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(n)]
    barrier = threading.Barrier(n)
    result = RoundResult(clients=n, outcomes=[Outcome("failed", 0.0, "no answer")] * n)

    def work(i: int) -> None:
        barrier.wait()
        result.outcomes[i] = one_request(url, song, seed=i, seconds=seconds, client=clients[i])

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
    t0 = time.perf_counter()
    with PeakSampler(pid, poll_s=RSS_SAMPLE_S) as sampler:
        for t in threads:
            t.start()
        for t in threads:
            t.join(REQUEST_TIMEOUT_S)
    result.wall_s = time.perf_counter() - t0
    result.peak_rss_mb, result.peak_tree_rss_mb = sampler.peak_mb, sampler.peak_tree_mb
    return result


def folder_usage(folder: Path) -> tuple[int, float]:
    """(files, MB) under folder."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files) / 2**20


@dataclass
class SequentialResult:
    """Memory and temporary files over `requests` dances in a row after `warmup` ones."""

    warmup: int
    requests: int
    completed: int
    rss_after_warmup_mb: float
    rss_end_mb: float
    rss_max_mb: float
    request_folders_max: int
    temp_files_max: int
    temp_mb_max: float
    temp_mb_end: float
    failures: list[str]

    @property
    def growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_after_warmup_mb


def run_sequential(
    url: str, pid: int, song: Path, seconds: float, requests: int, warmup: int, tmp: Path
) -> SequentialResult:
    """Warm up, then `requests` dances one after another, reading memory and tmp after each."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    failures = []
    for i in range(warmup):
        outcome = one_request(url, song, seed=10_000 + i, seconds=seconds, client=client)
        if outcome.status != "completed":
            failures.append(f"warm-up {i}: {outcome.status} {outcome.detail}")
    rss0 = rss_mb(pid)
    rss, folders, files, mbs, completed = [], [], [], [], 0
    for i in range(requests):
        outcome = one_request(url, song, seed=i, seconds=seconds, client=client)
        completed += outcome.status == "completed"
        if outcome.status != "completed":
            failures.append(f"request {i}: {outcome.status} {outcome.detail}")
        rss.append(rss_mb(pid))
        requests_root = tmp / "dance-app"
        folders.append(len(list(requests_root.iterdir())) if requests_root.exists() else 0)
        n_files, mb = folder_usage(tmp)
        files.append(n_files)
        mbs.append(mb)
        log.info("request %d: %s, rss %.0f MB, tmp %d files %.1f MB", i, outcome.status,
                 rss[-1], n_files, mb)  # fmt: skip
    return SequentialResult(
        warmup=warmup,
        requests=requests,
        completed=completed,
        rss_after_warmup_mb=rss0,
        rss_end_mb=rss[-1] if rss else rss0,
        rss_max_mb=max(rss, default=rss0),
        request_folders_max=max(folders, default=0),
        temp_files_max=max(files, default=0),
        temp_mb_max=max(mbs, default=0.0),
        temp_mb_end=mbs[-1] if mbs else 0.0,
        failures=failures,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def launched_app(
    checkpoint: Path | None, workdir: Path, log_path: Path
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python app.py` on a free loopback port with TMPDIR in workdir; yields (url, process)."""
    import httpx

    port = _free_port()
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_EXAMPLES_CACHE": str(workdir / "examples"),
        "TMPDIR": str(workdir / "tmp"),  # request folders and Gradio's copies land here
        "OMP_NUM_THREADS": "1",
    }
    if checkpoint is not None:
        env[CHECKPOINT_ENV] = str(checkpoint)
    url = f"http://127.0.0.1:{port}/"
    with log_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not start:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def format_table(rounds: Sequence[RoundResult]) -> str:
    head = ("N", "completed", "failed", "rejected", "p50 s", "p95 s", "peak RSS MB",
            "+ffmpeg MB", "wall s")  # fmt: skip
    rows = [
        (r.clients, r.count("completed"), r.count("failed"), r.count("rejected"),
         f"{r.latency_s(50):.1f}", f"{r.latency_s(95):.1f}", f"{r.peak_rss_mb:.0f}",
         f"{r.peak_tree_rss_mb:.0f}", f"{r.wall_s:.1f}")
        for r in rounds
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = [" | ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True))
             for row in (head, *rows)]  # fmt: skip
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def format_sequential(s: SequentialResult) -> str:
    verdict = "ok" if s.growth_mb < RSS_GROWTH_LIMIT_MB else "OVER the limit"
    return "\n".join([
        f"sequential: {s.completed}/{s.requests} completed after {s.warmup} warm-up requests",
        f"server RSS: {s.rss_after_warmup_mb:.0f} MB after warm-up, {s.rss_end_mb:.0f} MB at the "
        f"end (max {s.rss_max_mb:.0f} MB): growth {s.growth_mb:+.1f} MB "
        f"({verdict}; limit {RSS_GROWTH_LIMIT_MB:.0f} MB)",
        f"temporary files: at most {s.request_folders_max} request folders, "
        f"{s.temp_files_max} files, {s.temp_mb_max:.1f} MB (end {s.temp_mb_end:.1f} MB)",
    ])  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Launch app.py on loopback and drive it with concurrent gradio_client clients.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--song", type=Path, default=DEFAULT_SONG, help="the song every client sends"
    )
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="dance length asked")
    parser.add_argument(
        "--clients", type=lambda s: [int(x) for x in s.split(",")], default=list(DEFAULT_CLIENTS),
        metavar="N,N,...", help="concurrent clients in each round",
    )  # fmt: skip
    parser.add_argument(
        "--sequential", type=int, default=0, metavar="K",
        help="after the rounds, K requests one after another (memory growth, temporary files)",
    )  # fmt: skip
    parser.add_argument("--warmup", type=int, default=5, help="requests before --sequential counts")
    parser.add_argument(
        "--checkpoint", type=Path, default=None,
        help=f"generator weights; None: ${CHECKPOINT_ENV}, else the app's default",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None, help="keep TMPDIR and the log here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rounds (and the sequential run); exit 1 if any request failed or memory grew."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)  # one line per sequential request, on stderr
    with tempfile.TemporaryDirectory(prefix="dance-loadtest-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with launched_app(args.checkpoint, workdir, workdir / "app.log") as (url, proc):
            print(f"app: {url} (pid {proc.pid}), song {args.song.name}, {args.seconds:g} s dances")
            print(f"server RSS after start and warm-up: {rss_mb(proc.pid):.0f} MB", flush=True)
            rounds = []
            for n in args.clients:
                rounds.append(run_round(url, proc.pid, n, args.song, args.seconds))
                for o in rounds[-1].outcomes:
                    if o.status == "failed":
                        print(f"  N={n} failed: {o.detail[:300]}")
                print(f"round N={n} done in {rounds[-1].wall_s:.1f} s", flush=True)
            if rounds:
                print(format_table(rounds))
            bad = sum(r.count("failed") for r in rounds)
            if args.sequential:
                seq = run_sequential(url, proc.pid, args.song, args.seconds, args.sequential,
                                     args.warmup, workdir / "tmp")  # fmt: skip
                print(format_sequential(seq))
                for failure in seq.failures[:10]:
                    print(f"  {failure[:300]}")
                bad += len(seq.failures) + (seq.growth_mb >= RSS_GROWTH_LIMIT_MB)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
