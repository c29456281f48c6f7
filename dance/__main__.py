"""`python -m dance`: the command line in cli.py."""

import os

# The generator's matrix products run in numpy: one BLAS thread, as torch gets one
# (cli.TORCH_THREADS), since with a thread per core every small product waits for the other
# core, which is busy drawing or encoding. Set before numpy loads; a user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .cli import main  # noqa: E402 (after the thread setting)

raise SystemExit(main())
