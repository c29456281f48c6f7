"""The benchmark runs end to end on a short song and reports every stage and the floor."""

from __future__ import annotations

import pytest
import soundfile as sf

from dance.analysis import analyse
from dance.audio import load_song
from dance.model import GeneratorConfig
from tools import bench


def test_synthetic_song_has_the_benchmark_beat(tmp_path):
    path = bench.synth_song(tmp_path / "s.wav", 6.0)
    info = sf.info(path)
    assert info.channels == 2 and info.samplerate == bench.BENCH_RATE
    assert abs(info.duration - 6.0) < 0.01
    tempo = analyse(load_song(path).samples).tempo_bpm
    assert abs(tempo - bench.BENCH_BPM) / bench.BENCH_BPM < 0.05


@pytest.mark.slow
def test_bench_reports_stages_floor_and_memory(tmp_path, tiny_checkpoint, capsys):
    assert (
        bench.main(["--lengths", "2", "--repeats", "1", "--checkpoint", str(tiny_checkpoint)]) == 0
    )
    report = capsys.readouterr().out
    assert "trained generator (3 steps)" in report
    words = ("decode", "analysis", "model", "render", "encode", "total", "floor", "ratio", "fresh")
    for word in words:
        assert word in report
    results, label, cold_s = bench.bench([2.0], repeats=1, checkpoint=tiny_checkpoint)
    (result,) = results
    assert result.frames == 60 and len(result.runs) == len(result.floor) == len(result.fresh) == 1
    assert result.floor_s > 0 and result.ratio > 0 and cold_s > 0
    assert result.fresh_s > result.median("total") * 0.5 and result.fresh_ratio > 0
    assert 100 < result.peak_mb < 3000 and 50 < result.fresh_peak_mb < 3000


def test_bench_without_a_trained_model_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCE_CHECKPOINT", str(tmp_path / "absent.safetensors"))
    model, label = bench.bench_model(None)
    assert "UNTRAINED" in label and "timing only" in label
    assert model.config == GeneratorConfig()
