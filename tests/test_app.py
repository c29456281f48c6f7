"""app.py: the handler called directly, then the launched app driven by gradio_client.

The app gets a tiny trained generator from conftest; the browser test is test_app_browser.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

import dance

from .app_server import free_port, running_app
from .conftest import write_song

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

import app  # noqa: E402
import app_support  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


# (a) The handler, called directly.


def test_make_dance_writes_video_and_keypoints(tiny_model, tmp_path):
    song = write_song(tmp_path / "song.mp3", 5.0)
    video, tempo, beats, took_s, files, danced = app.make_dance(
        tiny_model, str(song), 3, 4, 0.5, out_root=tmp_path / "out"
    )
    info = dance.probe(video)
    assert info.video_codec == "h264" and info.has_audio
    assert info.duration_s == pytest.approx(4.0, abs=0.1)
    assert tempo == pytest.approx(120, abs=3)  # the synthetic song is at 120 BPM
    assert 6 <= beats <= 9  # two beats a second for 4 s
    assert took_s > 0
    assert [Path(f).suffix for f in files] == [".mp4", ".zip", ".npz"]
    assert files[0] == video and Path(files[0]).parent.parent == tmp_path / "out"
    result = dance.read_npz(files[2])
    assert result.seed == 3 and result.start_s == 0.5
    assert np.isfinite(result.keypoints).all()


def test_make_dance_in_a_style(styled_model, tmp_path):
    song = write_song(tmp_path / "song.wav", 3.0)
    *_, files, danced = app.make_dance(styled_model, str(song), 0, 2, 0, "rumba", out_root=tmp_path)
    assert danced == "rumba" and "-rumba-seed0" in Path(files[0]).name
    *_, danced = app.make_dance(styled_model, str(song), 0, 2, 0, "auto", out_root=tmp_path)
    assert danced in ("waltz", "rumba", "street")


def test_unknown_style_is_a_clear_gradio_error(styled_model, tiny_model, tmp_path):
    song = write_song(tmp_path / "song.wav", 3.0)
    with pytest.raises(gr.Error, match="unknown style 'polka'; choose from: auto, waltz"):
        app.make_dance(styled_model, str(song), 0, 2, 0, "polka", out_root=tmp_path / "out")
    with pytest.raises(gr.Error, match="trained without styles"):
        app.make_dance(tiny_model, str(song), 0, 2, 0, "waltz", out_root=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.mp4"))


def test_style_menu_lists_the_models_styles(styled_model, tiny_model):
    assert [value for _, value in app.style_choices(styled_model)] == [
        "auto",
        "waltz",
        "rumba",
        "street",
    ]
    assert app.style_choices(styled_model)[2][0].startswith("rumba: ")
    assert [value for _, value in app.style_choices(tiny_model)] == ["auto"]


def test_make_dance_in_each_look_with_pose_frames(tiny_model, tmp_path):
    song = write_song(tmp_path / "song.wav", 3.0)
    for look in dance.LOOKS:
        video, *_, files, _ = app.make_dance(
            tiny_model, str(song), 0, 2, 0, out_root=tmp_path / "out", look=look, pose_frames=True
        )
        assert dance.probe(video).duration_s == pytest.approx(2.0, abs=0.1)
        assert Path(files[-1]).name.endswith("-pose-frames.zip")
        frames, info = dance.read_pose_frames(files[-1])
        assert len(frames) == info["frames"] == 60


def test_make_dance_unknown_look(tiny_model, tmp_path):
    song = write_song(tmp_path / "song.wav", 3.0)
    with pytest.raises(gr.Error, match="unknown look 'cartoon'"):
        app.make_dance(tiny_model, str(song), 0, 2, 0, out_root=tmp_path / "out", look="cartoon")
    assert not (tmp_path / "out").exists()  # refused before any work


def test_app_default_look_is_a_body():
    assert app.DEFAULT_LOOK in dance.LOOKS and dance.LOOKS[app.DEFAULT_LOOK].reach > 0
    assert app.LOOK_ORDER[0] == app.DEFAULT_LOOK


def test_make_dance_without_a_song(tiny_model):
    with pytest.raises(gr.Error, match="upload a song"):
        app.make_dance(tiny_model, None, 0, 20, 0)


def test_errors_name_the_file_not_the_server_path(tiny_model, tmp_path):
    song = write_song(tmp_path / "quiet.wav", 3.0, signal=np.zeros((3 * 22_050, 1), np.float32))
    with pytest.raises(gr.Error) as err:
        app.make_dance(tiny_model, str(song), 0, 2, 0, out_root=tmp_path / "out")
    assert err.value.message.startswith("quiet.wav: ") and "silent" in err.value.message
    assert str(tmp_path) not in err.value.message


def test_gradio_cache_is_bounded_by_count(tiny_model, tmp_path, monkeypatch):
    cache = tmp_path / "gradio"
    for i in range(12):
        entry = cache / f"hash{i:02d}"
        entry.mkdir(parents=True)
        (entry / "song.mp3").write_bytes(b"x")
        os.utime(entry, (1_000_000 + i, 1_000_000 + i))
    assert app_support.prune_gradio_cache(cache, keep=5) == 7
    assert sorted(p.name for p in cache.iterdir()) == [f"hash{i:02d}" for i in range(7, 12)]
    # Every request prunes Gradio's real cache folder.
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    monkeypatch.setattr(app_support, "GRADIO_CACHE_KEEP", 2)
    song = write_song(tmp_path / "song.wav", 3.0)
    app.make_dance(tiny_model, str(song), 0, 2, 0, out_root=tmp_path / "out")
    assert sorted(p.name for p in cache.iterdir()) == ["hash10", "hash11"]


# (b) and (d): the launched app through gradio_client.


@pytest.fixture(scope="module")
def client(tiny_model, tmp_path_factory):
    with running_app(tiny_model, tmp_path_factory.mktemp("app")) as url:
        yield Client(url, verbose=False)


@pytest.fixture(scope="module")
def mp3(song_dir):
    return write_song(song_dir / "client_song.mp3", 6.0)


def generate(client: Client, song: Path | None, seed=0, seconds=4, start=0):
    return client.predict(
        handle_file(str(song)) if song else None, seed, seconds, start, api_name="/generate"
    )


@pytest.mark.slow
def test_client_mp3_in_playable_mp4_out(client, mp3):
    video, tempo, beats, took_s, files, danced = generate(client, mp3, seed=5, seconds=5)
    info = dance.probe(video)
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert info.video_streams == 1 and info.audio_streams == 1
    assert info.duration_s == pytest.approx(5.0, abs=0.1)
    assert tempo == pytest.approx(120, abs=3) and beats >= 8 and took_s > 0
    assert [Path(f).suffix for f in files] == [".mp4", ".zip", ".npz"]
    keypoints, width, height = dance.read_openpose_zip(files[1])
    assert keypoints.shape == (150, 18, 2) and (width, height) == (info.width, info.height)


@pytest.mark.slow
def test_client_takes_every_format(client, song_dir):
    for suffix in (".wav", ".ogg", ".flac", ".m4a"):
        song = write_song(song_dir / f"format{suffix}", 3.0)
        assert dance.probe(generate(client, song, seconds=2)[0]).has_audio, suffix


@pytest.mark.slow
def test_client_same_seed_same_dance(client, mp3):
    def keypoints(seed: int) -> np.ndarray:
        return dance.read_npz(generate(client, mp3, seed=seed)[4][2]).keypoints

    first = keypoints(11)
    np.testing.assert_array_equal(keypoints(11), first)
    assert np.abs(keypoints(12) - first).mean() > 1e-3


def test_client_api_is_documented(client):
    api = client.view_api(print_info=False, return_format="dict")
    params = api["named_endpoints"]["/generate"]["parameters"]
    names = [p["parameter_name"] for p in params]
    assert names == ["song", "seed", "seconds", "start", "style", "look", "pose_frames"]
    # Style, look and pose frames are optional, so scripts written before them keep working.
    assert all(p["parameter_has_default"] for p in params[4:])
    assert params[4]["parameter_default"] == "auto"


@pytest.fixture(scope="module")
def bad_songs(song_dir) -> dict[str, Path]:
    text = song_dir / "notes.txt"
    text.write_text("not a song\n" * 100)
    corrupt = song_dir / "broken.mp3"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 40_000, np.uint8).tobytes())
    silence = np.zeros((4 * 22_050, 2), np.float32)
    return {
        "text": text,
        "corrupt": corrupt,
        "silent": write_song(song_dir / "silence.wav", signal=silence),
        "song": write_song(song_dir / "short.ogg", 4.0),
    }


@pytest.mark.parametrize(
    ("case", "kwargs", "message"),
    [
        ("none", {}, "Please upload a song or record one first."),
        ("text", {}, "notes.txt: not an audio file"),
        ("corrupt", {}, "broken.mp3: not an audio file"),
        ("silent", {}, "silence.wav: the audio from 0 s to 4 s is silent"),
        ("song", {"seconds": app.MAX_SECONDS + 1}, f"greater than maximum value {app.MAX_SECONDS}"),
        ("song", {"start": 9}, "short.ogg: start 9 s is past the end of the song (4.00 s)"),
    ],
)
def test_client_bad_input_gets_its_message(client, bad_songs, case, kwargs, message):
    song = None if case == "none" else bad_songs[case]
    with pytest.raises(AppError) as err:
        generate(client, song, **kwargs)
    text = str(err.value)
    assert message in text
    assert "Traceback" not in text and "/tmp/gradio" not in text


def test_server_refuses_big_uploads(client, tmp_path):
    big = tmp_path / "big.wav"
    with big.open("wb") as f:
        f.truncate(51 * 2**20)  # over MAX_UPLOAD (50 MB)
    with big.open("rb") as f:
        reply = httpx.post(client.src + "gradio_api/upload", files={"files": f}, timeout=60)
    assert reply.status_code == 413 and "maximum allowed size" in reply.text


def test_without_a_model_the_page_says_so_and_generate_refuses(tmp_path):
    reason = "no trained model is installed: checkpoints/generator.safetensors does not exist."
    with running_app(None, tmp_path, reason) as url:
        config = httpx.get(url + "config", timeout=30).json()
        texts = [c.get("props", {}).get("value") for c in config["components"]]
        assert any(isinstance(t, str) and "No trained model is installed" in t for t in texts)
        button = next(c for c in config["components"] if c["props"].get("elem_id") == "generate")
        assert button["props"]["interactive"] is False
        with pytest.raises(AppError, match="No trained model is installed"):
            generate(Client(url, verbose=False), None)


@pytest.mark.slow
def test_python_app_py_serves_on_the_env_port(tiny_checkpoint, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DANCE_CHECKPOINT": str(tiny_checkpoint),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_EXAMPLES_CACHE": str(tmp_path / "examples"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "OMP_NUM_THREADS": "1",
        "TMPDIR": str(tmp_path),  # request folders and uploads stay in the test folder
    }
    log = tmp_path / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail(f"app.py did not answer on port {port}:\n{log.read_text()}")
        song = write_song(tmp_path / "song.flac", 3.0)
        video = generate(Client(f"http://127.0.0.1:{port}/", verbose=False), song, seconds=2)[0]
        assert dance.probe(video).has_audio
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert f"http://127.0.0.1:{port}" in log.read_text()
