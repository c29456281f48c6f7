"""The drawing-library comparison runs and draws the same picture in every library."""

from __future__ import annotations

import numpy as np

from tools import drawbench


def test_drawbench_runs_and_libraries_agree(monkeypatch, capsys):
    monkeypatch.setattr(drawbench, "FRAMES", 3)
    assert drawbench.main(["--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "PIL, 2x supersampled" in out and "skia-python, BGRA" in out
    pil = next(drawbench.pil_frames(2)).astype(int)
    skia = next(drawbench.skia_frames("bgra"))[..., 2::-1].astype(int)
    # Same shapes, different antialiasing: nearly every pixel agrees.
    assert np.mean(np.abs(pil - skia).max(axis=-1) > 40) < 0.01
