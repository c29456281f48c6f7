"""Serve app.py in-process on a free port for the app tests (stack.md §7), with a given model.

Outputs and cached examples go under a test folder, never into the repository's .gradio/.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(model, folder: Path, no_model_reason: str = "") -> Iterator[str]:
    """Launch app.build_demo(model) as `python app.py` would; yields its URL."""
    import app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_EXAMPLES_CACHE", str(folder / "examples"))
        mp.setattr(app, "OUTPUT_ROOT", folder / "outputs")
        if model is not None:
            app.warm_up(model)  # as main() does, so timings match `python app.py`
        demo = app.build_demo(model, no_model_reason)
        port = free_port()
        app.serve(
            demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
        )
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            demo.close()
