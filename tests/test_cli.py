"""The command line: success, an exit code and one plain line for each user error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dance import errors
from dance.cli import main
from dance.model import Generator, GeneratorConfig, save_checkpoint
from dance.video import probe

from .conftest import TINY

REPO = Path(__file__).resolve().parent.parent


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code: int, err: str, exit_code: int, *fragments: str) -> None:
    assert code == exit_code, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("dance: error:")]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], err


def test_generate_everything(capsys, tmp_path, make_song, tiny_checkpoint):
    song = make_song("my song.mp3", 4.0)  # a space in the name: argument lists, no shell
    out = tmp_path / "out dir"
    out.mkdir()
    code, stdout, err = run_cli(
        capsys, "generate", song, "-o", out / "d.mp4", "--seed", "7", "--start", "0.5",
        "--seconds", "3", "--keypoints", out / "k.zip", "--npz", out / "k.npz",
        "--paper-json", out / "k.json", "--size", "320x240", "--background", "white",
        "--checkpoint", tiny_checkpoint, "-q",
    )  # fmt: skip
    assert code == 0, err
    assert stdout == ""  # -q: errors only
    info = probe(out / "d.mp4")
    assert (info.width, info.height) == (320, 240)
    assert abs(info.duration_s - 3.0) <= 0.1 and info.has_audio
    for name in ("k.zip", "k.npz", "k.json"):
        assert (out / name).stat().st_size > 0
    assert sorted(p.name for p in out.iterdir()) == ["d.mp4", "k.json", "k.npz", "k.zip"]


def test_summary(capsys, tmp_path, song_4s, tiny_checkpoint):
    code, stdout, err = run_cli(
        capsys, "generate", song_4s, "-o", tmp_path / "d.mp4", "--checkpoint", tiny_checkpoint,
        "--no-beats",
    )  # fmt: skip
    assert code == 0, err
    tempo = re.search(r"tempo ([\d.]+) BPM, (\d+) beats", stdout)
    assert tempo is not None, stdout
    assert float(tempo.group(1)) == pytest.approx(120, rel=0.05) and int(tempo.group(2)) >= 6
    assert "beats" in stdout and str(tmp_path / "d.mp4") in stdout
    assert "decode" in stdout and "encode" in stdout and "total" in stdout


def _silence(path: Path) -> Path:
    sf.write(path, np.zeros((3 * 8000, 1), dtype=np.float32), 8000)
    return path


@pytest.mark.parametrize(
    ("case", "exit_code", "fragment"),
    [
        ("not audio", errors.AudioError.exit_code, "not an audio file"),
        ("empty", errors.AudioError.exit_code, "empty"),
        ("missing", errors.AudioError.exit_code, "no such file"),
        ("truncated", errors.AudioError.exit_code, "truncated"),
        ("short", errors.AudioError.exit_code, "at least 1 s"),
        ("silent", errors.AudioError.exit_code, "silent"),
        ("start past end", errors.InputError.exit_code, "past the end"),
        ("zero seconds", errors.InputError.exit_code, "seconds must be > 0"),
        ("negative seconds", errors.InputError.exit_code, "seconds must be > 0"),
        ("too long", errors.SongTooLongError.exit_code, "maximum"),
        ("negative seed", errors.InputError.exit_code, "seed"),
    ],
)
def test_bad_input(capsys, tmp_path, make_song, tiny_checkpoint, case, exit_code, fragment):
    song = make_song("song.wav", 4.0)
    extra: list[str] = []
    if case == "not audio":
        song = tmp_path / "song.txt"
        song.write_text("hello\n" * 100)
    elif case == "empty":
        song.write_bytes(b"")
    elif case == "missing":
        song = tmp_path / "absent.mp3"
    elif case == "truncated":
        data = song.read_bytes()
        song.write_bytes(data[: len(data) // 10])
    elif case == "short":
        song = make_song("short.wav", 0.4)
    elif case == "silent":
        song = _silence(tmp_path / "silent.wav")
    elif case == "start past end":
        extra = ["--start", "60"]
    elif case == "zero seconds":
        extra = ["--seconds", "0"]
    elif case == "negative seconds":
        extra = ["--seconds=-2"]
    elif case == "too long":
        extra = ["--max-seconds", "2"]
    elif case == "negative seed":
        extra = ["--seed=-3"]
    out = tmp_path / "out.mp4"
    code, _, err = run_cli(
        capsys, "generate", song, "-o", out, "--keypoints", tmp_path / "k.zip",
        "--checkpoint", tiny_checkpoint, *extra,
    )  # fmt: skip
    assert_user_error(code, err, exit_code, fragment)
    assert not out.exists() and not (tmp_path / "k.zip").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("which", ["-o", "--keypoints", "--npz", "--paper-json"])
def test_unwritable_output_is_refused_first(capsys, tmp_path, song_4s, which):
    """Checked before anything else: even before the (here missing) model is looked for."""
    outputs = {"-o": tmp_path / "d.mp4"}
    outputs[which] = tmp_path / "no_such_folder" / "file"
    argv = ["generate", song_4s, "--checkpoint", tmp_path / "absent.safetensors"]
    for flag, path in outputs.items():
        argv += [flag, path]
    code, _, err = run_cli(capsys, *argv)
    assert_user_error(code, err, errors.OutputError.exit_code, "no_such_folder")
    assert list(tmp_path.iterdir()) == []


def test_same_output_twice(capsys, tmp_path, song_4s, tiny_checkpoint):
    out = tmp_path / "d.mp4"
    code, _, err = run_cli(
        capsys, "generate", song_4s, "-o", out, "--npz", out, "--checkpoint", tiny_checkpoint
    )
    assert_user_error(code, err, errors.InputError.exit_code, "twice")


def test_no_model_at_default_path(capsys, tmp_path, song_4s, monkeypatch):
    import dance.config

    monkeypatch.delenv("DANCE_CHECKPOINT", raising=False)
    monkeypatch.setattr(dance.config, "DEFAULT_CHECKPOINT", tmp_path / "generator.safetensors")
    out = tmp_path / "d.mp4"
    code, stdout, err = run_cli(capsys, "generate", song_4s, "-o", out)
    assert_user_error(
        code, err, errors.NoTrainedModelError.exit_code, "no trained model is installed"
    )
    assert not out.exists() and stdout == ""


def test_no_model_at_env_path(capsys, tmp_path, song_4s, monkeypatch):
    monkeypatch.setenv("DANCE_CHECKPOINT", str(tmp_path / "nowhere.safetensors"))
    code, _, err = run_cli(capsys, "generate", song_4s, "-o", tmp_path / "d.mp4")
    assert_user_error(code, err, 5, "no trained model is installed", "nowhere.safetensors")


def test_untrained_model_is_never_presented(capsys, tmp_path, song_4s):
    untrained = save_checkpoint(
        Generator(GeneratorConfig(**TINY)), tmp_path / "untrained.safetensors", {}
    )
    out = tmp_path / "d.mp4"
    code, _, err = run_cli(capsys, "generate", song_4s, "-o", out, "--checkpoint", untrained)
    assert_user_error(code, err, 5, "no trained model is installed", "never trained")
    assert not out.exists()


def test_corrupt_checkpoint(capsys, tmp_path, song_4s):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage" * 10)
    code, _, err = run_cli(
        capsys, "generate", song_4s, "-o", tmp_path / "d.mp4", "--checkpoint", bad
    )
    assert_user_error(code, err, errors.ModelError.exit_code, "bad.safetensors")


@pytest.mark.parametrize("flag", [["--size", "7"], ["--size", "abc"], ["--background", "plaid"]])
def test_bad_options_are_usage_errors(capsys, song_4s, flag):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(song_4s), *flag])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_info(capsys, tiny_checkpoint):
    code, stdout, _ = run_cli(capsys, "info", "--checkpoint", tiny_checkpoint)
    assert code == 0
    assert "trained: yes, 3 steps" in stdout and "window_frames: 20" in stdout


def test_info_without_model(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DANCE_CHECKPOINT", str(tmp_path / "absent.safetensors"))
    code, _, err = run_cli(capsys, "info")
    assert_user_error(code, err, 5, "no trained model is installed")


def _python_m_dance(
    *argv: object, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dance", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.mark.slow
def test_python_m_dance(tmp_path, song_4s, tiny_checkpoint):
    """The real entry point, in its own process: success, then a user error without traceback."""
    out = tmp_path / "d.mp4"
    done = _python_m_dance("generate", song_4s, "-o", out, "--checkpoint", tiny_checkpoint)
    assert done.returncode == 0, done.stderr
    assert probe(out).has_audio

    done = _python_m_dance(
        "generate", song_4s, "-o", tmp_path / "e.mp4", "--start", "99",
        env={"DANCE_CHECKPOINT": str(tiny_checkpoint)},
    )  # fmt: skip
    assert done.returncode == errors.InputError.exit_code
    assert "Traceback" not in done.stderr and "past the end" in done.stderr
    assert not (tmp_path / "e.mp4").exists()


def test_several_songs_one_failing(capsys, tmp_path, make_song, tiny_checkpoint):
    """Start-up paid once; a bad song is reported and the others are still made."""
    good = [make_song("a.wav", 3.0), make_song("b.flac", 2.0)]
    bad = tmp_path / "bad.mp3"
    bad.write_text("not a song\n" * 50)
    out = tmp_path / "videos"
    code, stdout, err = run_cli(
        capsys, "generate", good[0], bad, good[1], "-o", f"{out}/", "--npz", out,
        "--checkpoint", tiny_checkpoint,
    )  # fmt: skip
    assert code == errors.AudioError.exit_code, err
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "a.npz", "b.mp4", "b.npz"]
    assert abs(probe(out / "b.mp4").duration_s - 2.0) <= 0.1
    assert "dance: error:" in err and "bad.mp3" in err and "1 of 3 songs failed" in err
    assert "Traceback" not in err and "a.wav" in stdout and "b.flac" in stdout


def test_folder_of_songs(capsys, tmp_path, make_song, tiny_checkpoint):
    songs = tmp_path / "songs"
    songs.mkdir()
    for name in ("x.wav", "y.ogg"):
        make_song(name, 2.0).rename(songs / name)
    (songs / "notes.txt").write_text("not a song")
    out = tmp_path / "out"
    code, _, err = run_cli(
        capsys, "generate", songs, "-o", f"{out}/", "--checkpoint", tiny_checkpoint, "-q"
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["x.mp4", "y.mp4"]


def test_several_songs_need_a_folder(capsys, tmp_path, make_song, tiny_checkpoint):
    a, b = make_song("a.wav", 2.0), make_song("b.wav", 2.0)
    code, _, err = run_cli(capsys, "generate", a, b, "--checkpoint", tiny_checkpoint)
    assert_user_error(code, err, errors.InputError.exit_code, "-o DIR/")
    same = tmp_path / "other"
    same.mkdir()
    twin = make_song("a.ogg", 2.0)
    code, _, err = run_cli(
        capsys, "generate", a, twin, "-o", same, "--checkpoint", tiny_checkpoint
    )  # a.wav and a.ogg would both be a.mp4
    assert_user_error(code, err, errors.InputError.exit_code, "twice")
    assert list(same.iterdir()) == []
