"""Hostile input and faults on every route: the library, the CLI and the app's API.

Odd file names (spaces, unicode, `../`), seeds and spans out of range, non-numeric or NaN, crafted
file URLs, an encoder that dies midway. Each ends in a clear message and leaves no partial
file; the app keeps serving afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import httpx
import numpy as np
import pytest

import dance
import dance.video
from dance import errors
from dance.cli import main
from dance.generate import generate

from .app_server import running_app
from .conftest import write_song

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

import app  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ODD_NAMES = ["my song.wav", "ünïcødé 曲 🎵.ogg", "a'b\"c;$(x) `y`.mp3", "-starts-with-dash.flac"]
NAN, INF = float("nan"), float("inf")


def hidden(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*")]


# The library.


@pytest.mark.parametrize("name", ODD_NAMES)
def test_library_takes_odd_file_names(tiny_model, tmp_path, name):
    write_song(tmp_path / name, 2.0)
    weird_dir = tmp_path / "sub dir" / ".." / "ü"  # a `..` inside the path, and unicode
    weird_dir.mkdir(parents=True)
    result = generate(tiny_model, tmp_path / "sub dir" / ".." / name, seed=1)
    assert result.song.name == name
    out = weird_dir / f"{Path(name).stem}.mp4"
    assert dance.render_video(result, out).path == out and dance.probe(out).has_audio


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"seed": -1}, "seed must be between"),
        ({"seed": 2**63}, "seed must be between"),
        ({"seed": NAN}, "seed must be a whole number"),
        ({"seed": "abc"}, "seed must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"seconds": NAN}, "seconds must be a finite number"),
        ({"seconds": INF}, "seconds must be a finite number"),
        ({"seconds": "ten"}, "seconds must be a number"),
        ({"seconds": -3}, "seconds must be > 0"),
        ({"start": NAN}, "start must be a finite number"),
        ({"start": -0.5}, "start must be >= 0"),
        ({"start": 1e12}, "past the end of the song"),
        ({"start": "x"}, "start must be a number"),
    ],
)
def test_library_refuses_bad_numbers(tiny_model, song_4s, kwargs, fragment):
    with pytest.raises(errors.InputError, match=fragment):
        generate(tiny_model, song_4s, **kwargs)


# The CLI.


def run_cli(capsys, *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", ODD_NAMES)
def test_cli_takes_odd_file_names(capsys, tmp_path, tiny_checkpoint, name):
    song = write_song(tmp_path / name, 2.0)
    out = tmp_path / "ü out" / f"{Path(name).stem}.mp4"
    out.parent.mkdir()
    relative = os.path.relpath(song, Path.cwd())  # through `..`s from the repository
    code, err = run_cli(capsys, "generate", relative, "-o", out, "--checkpoint", tiny_checkpoint)
    assert code == 0, err
    assert dance.probe(out).has_audio


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (["--seconds", "nan"], errors.InputError.exit_code, "finite number"),
        (["--seconds", "inf"], errors.InputError.exit_code, "finite number"),
        (["--start", "nan"], errors.InputError.exit_code, "finite number"),
        (["--start=-1"], errors.InputError.exit_code, "start must be >= 0"),
        (["--seed", str(2**63)], errors.InputError.exit_code, "seed must be between"),
        (["--max-seconds", "1"], errors.SongTooLongError.exit_code, "maximum of 1 s"),
    ],
)
def test_cli_refuses_bad_numbers(capsys, tmp_path, song_4s, tiny_checkpoint, args, exit_code,
                                 fragment):  # fmt: skip
    out = tmp_path / "d.mp4"
    code, err = run_cli(capsys, "generate", song_4s, "-o", out, "--checkpoint", tiny_checkpoint,
                        *args)  # fmt: skip
    assert code == exit_code, err
    assert fragment in err and "Traceback" not in err
    assert not out.exists() and hidden(tmp_path) == []


@pytest.mark.parametrize("args", [["--seed", "abc"], ["--seed", "1.5"], ["--seconds", "ten"],
                                  ["--start", ""], ["--seed", "nan"]])  # fmt: skip
def test_cli_non_numbers_are_usage_errors(capsys, song_4s, args):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(song_4s), *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid" in err and "Traceback" not in err


# Faults: an encoder that dies midway.


@pytest.fixture
def dying_encoder(tmp_path, monkeypatch):
    """Replace ffmpeg in video.py by a program that reads some frames, then crashes."""
    script = tmp_path / "bin" / "ffmpeg"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "sys.stdin.buffer.read(200_000)  # a few frames\n"
        "sys.stderr.write('simulated encoder crash after some frames\\n')\n"
        "sys.exit(1)\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(dance.video, "ffmpeg_exe", lambda: str(script))


def test_library_encoder_dying_midway_leaves_nothing(tiny_dance, tmp_path, dying_encoder):
    out = tmp_path / "out" / "d.mp4"
    out.parent.mkdir()
    with pytest.raises(errors.VideoError, match="simulated encoder crash"):
        dance.render_video(tiny_dance, out)
    assert list(out.parent.iterdir()) == []


def test_library_drawing_dying_midway_leaves_nothing(tiny_dance, tmp_path, monkeypatch):
    real = dance.video.render_frames

    def broken(*args, **kwargs):
        for i, frame in enumerate(real(*args, **kwargs)):
            if i == 25:
                raise MemoryError("simulated out of memory while drawing")
            yield frame

    monkeypatch.setattr(dance.video, "render_frames", broken)
    out = tmp_path / "d.mp4"
    out.write_bytes(b"the previous video")
    with pytest.raises(MemoryError):
        dance.render_video(tiny_dance, out)
    assert out.read_bytes() == b"the previous video" and hidden(tmp_path) == []


def test_cli_encoder_dying_midway(capsys, tmp_path, song_4s, tiny_checkpoint, dying_encoder):
    out = tmp_path / "out"
    out.mkdir()
    code, err = run_cli(capsys, "generate", song_4s, "-o", out / "d.mp4", "--keypoints",
                        out / "k.zip", "--checkpoint", tiny_checkpoint)  # fmt: skip
    assert code == errors.VideoError.exit_code
    assert "simulated encoder crash" in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_app_encoder_dying_midway(tiny_model, song_4s, tmp_path, dying_encoder):
    with pytest.raises(gr.Error, match="simulated encoder crash"):
        app.make_dance(tiny_model, str(song_4s), 0, 3, 0, out_root=tmp_path / "out")
    assert list((tmp_path / "out").rglob("*.*")) == []


# The app's API.


@pytest.fixture(scope="module")
def served(tiny_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_app")
    with running_app(tiny_model, folder) as url:
        yield url, Client(url, verbose=False), folder


def call(client: Client, song: Path | None, seed=0, seconds=2, start=0):
    return client.predict(
        handle_file(str(song)) if song else None, seed, seconds, start, api_name="/generate"
    )


def test_api_takes_odd_file_names(served, tmp_path):
    _, client, _ = served
    for name in ODD_NAMES:
        video = call(client, write_song(tmp_path / name, 2.0))[0]
        assert dance.probe(video).has_audio, name


@pytest.mark.parametrize(
    ("seed", "seconds", "start", "fragment"),
    [
        (-1, 2, 0, "less than minimum value 0"),
        (2**31, 2, 0, f"greater than maximum value {app.SEED_MAX}"),
        (None, 2, 0, "seed must be a whole number"),
        (NAN, 2, 0, None),  # refused by Gradio's type check, with its generic error
        ("abc", 2, 0, None),
        (0, 0, 0, "less than minimum value"),
        (0, NAN, 0, "seconds must be a finite number"),
        (0, app.MAX_SECONDS + 1, 0, f"greater than maximum value {app.MAX_SECONDS}"),
        (0, "ten", 0, None),
        (0, 2, -1, "less than minimum value 0"),
        (0, 2, NAN, "start must be a finite number"),
        (0, 2, 1e9, "past the end of the song"),
        (0, 2, "x", None),
    ],
)
def test_api_refuses_bad_numbers(served, song_4s, seed, seconds, start, fragment):
    url, client, _ = served
    if any(isinstance(v, float) and v != v for v in (seed, seconds, start)):
        text = raw_call(url, song_4s, [seed, seconds, start])  # gradio_client will not send NaN
    else:
        with pytest.raises(AppError) as err:
            call(client, song_4s, seed, seconds, start)
        text = str(err.value)
    assert "Traceback" not in text
    if fragment is not None:
        assert fragment in text
    else:  # Gradio refuses the type before our handler runs: no detail, but no crash either
        assert "error" in text.lower()


def raw_call(url: str, song: Path, numbers: list) -> str:
    """POST /generate as any HTTP client may (NaN is a literal JSON token); the event stream."""
    path = httpx.post(url + "gradio_api/upload", files={"files": song.open("rb")}, timeout=30)
    song_data = {"path": path.json()[0], "meta": {"_type": "gradio.FileData"}}
    # Raw HTTP sends every input: song, seed, seconds, start, style, look, pose frames.
    payload = {"data": [song_data, *numbers, "auto", app.DEFAULT_LOOK, False]}
    body = json.dumps(payload, allow_nan=True)
    assert "NaN" in body
    reply = httpx.post(url + "gradio_api/call/generate", content=body,
                       headers={"content-type": "application/json"}, timeout=30)  # fmt: skip
    assert reply.status_code == 200, reply.text
    stream = httpx.get(f"{url}gradio_api/call/generate/{reply.json()['event_id']}", timeout=300)
    assert "event: error" in stream.text, stream.text
    return stream.text


def test_api_keeps_serving_after_a_failed_request(served, song_4s, tmp_path):
    _, client, _ = served
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(AppError, match="junk.mp3: not an audio file"):
        call(client, junk)
    assert dance.probe(call(client, song_4s)[0]).has_audio


def test_api_keeps_serving_after_the_encoder_dies(served, song_4s, tmp_path, monkeypatch):
    _, client, _ = served
    script = tmp_path / "ffmpeg"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdin.buffer.read(100_000)\n"
                      "sys.stderr.write('simulated crash\\n')\nsys.exit(1)\n")  # fmt: skip
    script.chmod(0o755)
    with monkeypatch.context() as mp:
        mp.setattr(dance.video, "ffmpeg_exe", lambda: str(script))
        with pytest.raises(AppError, match="simulated crash"):
            call(client, song_4s)
    assert dance.probe(call(client, song_4s)[0]).has_audio


def test_upload_names_cannot_climb_out(served, tmp_path):
    """An upload called ../../x is stored inside Gradio's cache, under a harmless name."""
    url, _, _ = served
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    cache = cache.resolve()
    data = write_song(tmp_path / "s.wav", 2.0).read_bytes()
    for name in ["../../escape.wav", "/etc/escape.wav", "..\\..\\escape.wav", "ü ../x y.wav"]:
        reply = httpx.post(url + "gradio_api/upload", files={"files": (name, data)}, timeout=30)
        assert reply.status_code == 200, reply.text
        stored = Path(reply.json()[0])
        assert ".." not in stored.parts and stored.name.endswith(".wav")
        assert stored.resolve().is_relative_to(cache) and stored.read_bytes() == data
    assert not (tmp_path.parent / "escape.wav").exists() and not Path("/etc/escape.wav").exists()


# The app serves its own outputs and examples, and no other file.


def served_urls(url: str, song: Path) -> list[str]:
    """The file URLs of one dance, from the raw HTTP API (gradio_client would download them)."""
    path = httpx.post(url + "gradio_api/upload", files={"files": song.open("rb")}, timeout=30)
    song_data = {"path": path.json()[0], "meta": {"_type": "gradio.FileData"}}
    payload = {"data": [song_data, 0, 2, 0, "auto", app.DEFAULT_LOOK, False]}
    event = httpx.post(url + "gradio_api/call/generate", json=payload, timeout=30).json()
    stream = httpx.get(f"{url}gradio_api/call/generate/{event['event_id']}", timeout=300).text
    assert "event: complete" in stream, stream
    return sorted(set(_urls(stream)))


def _urls(text: str) -> list[str]:
    import re

    return re.findall(r'"url":\s*"([^"]+)"', text)


def test_own_outputs_are_served(served, song_4s):
    url, _, _ = served
    urls = served_urls(url, song_4s)
    assert {Path(urllib.parse.unquote(u)).suffix for u in urls} == {".mp4", ".zip", ".npz"}
    for file_url in urls:
        reply = httpx.get(file_url, timeout=30)
        assert reply.status_code == 200 and len(reply.content) > 100, file_url


def crafted_paths(folder: Path, checkpoint: Path) -> list[str]:
    outputs = sorted((folder / "outputs").rglob("*.mp4"))
    assert outputs, "no request folder yet: run a dance first"
    return [
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        str(REPO / "app.py"),
        str(REPO / "pyproject.toml"),
        str(REPO / "checkpoints" / "README.md"),
        str(REPO / "examples" / ".." / "app.py"),
        str(checkpoint),
        str(Path(app.__file__).resolve()),
        str(Path.home() / ".bashrc"),
        str(folder),  # a folder: no listings either
        str(outputs[0].parent / ".." / ".." / "examples"),
    ]


@pytest.mark.parametrize("prefix", ["gradio_api/file=", "file=", "gradio_api/file/"])
def test_crafted_file_urls_are_refused(served, song_4s, tiny_checkpoint, prefix):
    url, client, folder = served
    call(client, song_4s)  # so there is an output folder to climb out of
    for path in crafted_paths(folder, tiny_checkpoint):
        reply = httpx.get(url + prefix + path, timeout=30)
        assert reply.status_code in (403, 404), (path, reply.status_code, reply.text[:200])
        assert "root:" not in reply.text and "import gradio" not in reply.text


def test_no_shell_anywhere():
    """No input ever reaches a shell: no shell=True, os.system or os.popen in our code."""
    files = [REPO / "app.py", *(REPO / "dance").rglob("*.py"), *(REPO / "train").rglob("*.py")]
    for path in files:
        text = path.read_text()
        for needle in ("shell=True", "os.system(", "os.popen(", "commands.getoutput"):
            assert needle not in text, f"{path}: {needle}"
    grep = subprocess.run(["git", "grep", "-n", "shell=True", "--", "*.py", ":!tests"],
                          cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert grep.stdout == ""
