"""The evaluation table and CLI: aggregation with error bars, Markdown/JSON, NPZ scoring."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from dance.analysis import MusicAnalysis
from dance.audio import SAMPLE_RATE
from dance.metrics.crossmodal import CrossModal, CrossModalConfig, save_crossmodal
from dance.metrics.fid import reference_stats
from dance.metrics.geometric import geometric_features
from dance.metrics.kinetic import kinetic_features
from dance.metrics.suite import Music, decoy_songs, score_dance
from evaluation.evaluate import main, read_keypoints
from evaluation.report import build_row, markdown, to_json
from tests.metrics_synth import beat_grid, beat_locked_dance

SECONDS = 20.0


def synthetic_music(name: str, period_s: float, first_beat_s: float) -> Music:
    """A Music with known beats and no audio content (the metrics only need the beats)."""
    n = int(SECONDS * 100)
    analysis = MusicAnalysis(
        tempo_bpm=60.0 / period_s,
        beat_times=beat_grid(period_s, first_beat_s, SECONDS),
        onset_envelope=np.zeros(n, np.float32),
        mel_db=np.zeros((32, n), np.float32),
        chroma=np.zeros((12, n), np.float32),
    )
    return Music(name, np.zeros(int(SECONDS * SAMPLE_RATE), np.float32), analysis)


def test_rows_aggregate_with_error_bars_and_serialise():
    rng = np.random.default_rng(0)
    firsts = rng.uniform(0, 0.5, 6)
    musics = [synthetic_music(f"song{i}", 0.5, f) for i, f in enumerate(firsts)]
    dances = [beat_locked_dance(0.5, f, SECONDS, 10) for f in firsts]
    reference = {
        "kinetic": reference_stats(np.concatenate([kinetic_features(d, 10) for d in dances])),
        "geometric": reference_stats(np.concatenate([geometric_features(d, 10) for d in dances])),
    }
    locked, noisy = [], []
    for i, (dance, music) in enumerate(zip(dances, musics, strict=True)):
        decoys = decoy_songs(music, musics)
        locked.append(score_dance(dance, 10, music, name=f"d{i}", decoys=decoys))
        for seed in (0, 1):
            jitter = np.random.default_rng(seed).normal(0, 0.01, dance.shape)
            noisy.append(
                score_dance(dance + jitter, 10, music, name=f"d{i}", seed=seed, decoys=decoys)
            )
    real = build_row("real", "real", locked, reference)
    gen = build_row("gen", "noisy", noisy, reference)
    assert real.n_dances == gen.n_dances == 6
    assert gen.seeds == [0, 1] and gen.set_error == "sd over seeds"
    assert real.set_error.startswith("jackknife")
    assert real.cells["bas"].mean > 0.9 and np.isfinite(real.cells["bas"].err)
    assert real.sync.p_value == pytest.approx(1 / 64) and real.sync.mean_difference > 0.3
    assert gen.cells["fid_k"].mean > real.cells["fid_k"].mean
    assert gen.cells["jitter"].mean > real.cells["jitter"].mean
    text = markdown([real, gen])
    assert text.count("| real |") == 2 and text.count("| noisy |") == 2
    assert json.dumps(to_json([real, gen], {"note": "test"}), allow_nan=False)


def test_decoys_leave_out_the_song_a_dance_was_made_from():
    musics = [synthetic_music(f"song{i}", 0.5, 0.1 * i) for i in range(5)]
    chosen = decoy_songs(musics[0], musics, exclude=["song1"])
    assert {m.name for m in chosen} == {"song2", "song3", "song4"}
    far = synthetic_music("far", 0.37, 0.0)  # 162 BPM: no octave of 120
    assert len(decoy_songs(far, musics)) == 3  # falls back to the nearest tempi


def write_click_track(path, bpm: float, seconds: float) -> None:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    since = t % (60 / bpm)
    clicks = 0.8 * np.exp(-since / 0.02) * np.sin(2 * np.pi * 880 * since)
    sf.write(path, (clicks + 0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), SAMPLE_RATE)


def test_read_keypoints_prefers_the_model_rate(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(
        path,
        keypoints=np.zeros((30, 18, 2)),
        fps=30,
        model_keypoints=np.ones((10, 18, 2)),
        model_fps=10,
        start_s=2.0,
    )
    keypoints, fps, start = read_keypoints(path)
    assert keypoints.shape == (10, 18, 2) and fps == 10 and start == 2.0


@pytest.mark.slow
def test_cli_scores_npz_dances_against_their_songs(tmp_path):
    songs, dances = [], []
    for i, bpm in enumerate((120, 122)):
        song = tmp_path / f"song{i}.wav"
        write_click_track(song, bpm, 12.0)
        dance = tmp_path / f"dance{i}.npz"
        np.savez(dance, keypoints=beat_locked_dance(60 / bpm, 0.0, 12.0, 30), fps=30)
        songs.append(song)
        dances.append(dance)
    weights = save_crossmodal(
        CrossModal(CrossModalConfig(hidden=8, layers=1, embed=8)).eval(),
        tmp_path / "cm.safetensors",
        {"trained_steps": 0},
    )
    out = tmp_path / "scores.json"
    argv = [str(d) for d in dances] + [a for s in songs for a in ("--song", str(s))]
    argv += ["--crossmodal", str(weights), "--json", str(out)]
    assert main(argv) == 0
    results = json.loads(out.read_text())
    assert [r["dance"] for r in results] == ["dance0.npz", "dance1.npz"]
    for r in results:
        assert 0.0 <= r["bas"] <= 1.0 and 0.0 <= r["bas_reverse"] <= 1.0
        assert r["music_beats"] > 15 and r["motion_beats"] > 15
        assert r["sync_p"] is not None and 0 < r["sync_p"] <= 1
        assert -1.0 <= r["match_cos"] <= 1.0 and 0.0 <= r["match_auc"] <= 1.0


def test_cli_reports_a_bad_file_with_an_exit_code(tmp_path, caplog):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    song = tmp_path / "song.wav"
    song.write_bytes(b"")
    assert main([str(bad), "--song", str(song)]) == 2
    assert "not a keypoint NPZ" in caplog.text


def test_plot_dance_writes_a_png(tmp_path):
    from evaluation.plots import PlotEntry, plot_dance

    music = synthetic_music("song", 0.5, 0.25)
    music.analysis.onset_envelope[::50] = 1.0  # an onset on every beat
    dance = beat_locked_dance(0.5, 0.25, SECONDS, 10)
    score = score_dance(dance, 10, music, name="d")
    path = plot_dance(tmp_path / "d.png", "d", music, [PlotEntry("real", dance, 10, score)])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
