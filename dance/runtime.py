"""How the library runs torch on a CPU: the process-wide settings the CLI, the app and the
benchmark apply at start-up (the library itself never changes them on import)."""

from __future__ import annotations

# The generator is a GRU: many small ops in sequence. With torch's default of one OpenMP thread
# per core, every op waits for a second thread, and on a busy 2-core machine that made a 3-minute
# song take 12.7 s in the model instead of 1.1 s with one thread (README, "Benchmark").
TORCH_THREADS = 1


def configure_torch(threads: int = TORCH_THREADS) -> None:
    """Set torch's intra-op CPU threads for this process (TORCH_THREADS unless told)."""
    import torch

    torch.set_num_threads(threads)
