"""app.py in headless Chromium, as a visitor uses it: upload an MP3, set a seed, click Generate.

Checks that the video plays with sound, that the same seed gives the same dance and another
seed a different one (from the NPZ downloads the page links), and saves a screenshot to
$APP_SCREENSHOT_DIR (else the test's tmp folder). The app runs the tiny test generator unless
APP_TEST_CHECKPOINT names a real one, for timing: the click-to-playable time is printed.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

import dance
from dance.audio import ffmpeg_exe

from .app_server import running_app
from .test_browser_video import CHROMIUM_ARGS, PLAY_S, chromium  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
SONG_SECONDS = 30  # a whole example song
GENERATE_TIMEOUT_MS = 300_000
TRACKER = "#video [data-testid=status-tracker]"  # Gradio's progress overlay on the video


@pytest.fixture(scope="module")
def model(tiny_model):
    checkpoint = os.environ.get("APP_TEST_CHECKPOINT")
    return dance.load_model(checkpoint) if checkpoint else tiny_model


@pytest.fixture(scope="module")
def mp3_30s(song_dir) -> Path:
    """The rock example song as an MP3, as a visitor would have it."""
    mp3 = song_dir / "rock.mp3"
    ogg = REPO / "examples" / "rock-escape-from-chaosland.ogg"
    # fmt: off
    cmd = [ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error",
           "-i", str(ogg), "-b:a", "128k", str(mp3)]
    # fmt: on
    subprocess.run(cmd, check=True, capture_output=True)
    return mp3


def generate(page, seed: int) -> float:
    """Set the seed, click Generate, wait until the new video can play; returns the seconds."""
    page.locator("#seed input").fill(str(seed))
    t0 = time.perf_counter()
    page.locator("#generate").click()
    page.wait_for_function(  # the run has started ...
        f"!document.querySelector('{TRACKER}').classList.contains('hide')", timeout=30_000
    )
    page.wait_for_function(  # ... and ended with a video that can play
        f"""document.querySelector('{TRACKER}').classList.contains('hide')
            && document.querySelector('#video video')?.readyState >= 3""",
        timeout=GENERATE_TIMEOUT_MS,
        polling=50,
    )
    return time.perf_counter() - t0


def npz_keypoints(page, folder: Path, name: str) -> np.ndarray:
    """Download the NPZ the page links to and read its keypoints."""
    hrefs = page.locator("#downloads a[href]").evaluate_all("as => as.map(a => a.href)")
    (url,) = [h for h in hrefs if h.endswith(".npz")]
    path = folder / name
    path.write_bytes(httpx.get(url, timeout=30).content)
    return dance.read_npz(path).keypoints


def test_upload_generate_play_compare(chromium, model, mp3_30s, tmp_path_factory):  # noqa: F811
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("app_browser")
    shots = Path(os.environ.get("APP_SCREENSHOT_DIR") or folder)
    shots.mkdir(parents=True, exist_ok=True)
    with running_app(model, folder) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, wait_until="load")  # not "networkidle": the page keeps a heartbeat open
            page.locator("#song input[type=file]").set_input_files(str(mp3_30s))
            page.wait_for_selector("#song audio", state="attached", timeout=30_000)
            page.locator("#seconds input[type=number]").fill(str(SONG_SECONDS))
            page.locator("#seconds input[type=number]").press("Enter")

            took_s = generate(page, seed=7)
            print(f"\nclick to playable video, {SONG_SECONDS} s song: {took_s:.1f} s")
            state = page.evaluate(
                """async (playMs) => {
                    const v = document.querySelector('#video video');
                    v.muted = true;  // headless autoplay rules; the audio still decodes
                    const start = v.currentTime;
                    await v.play();
                    await new Promise(r => setTimeout(r, playMs));
                    return {start: start, now: v.currentTime, duration: v.duration,
                            error: v.error ? v.error.code : null,
                            audioBytes: v.webkitAudioDecodedByteCount};
                }""",
                PLAY_S * 1000,
            )
            first = npz_keypoints(page, folder, "first.npz")
            generate(page, seed=7)
            again = npz_keypoints(page, folder, "again.npz")
            generate(page, seed=8)
            other = npz_keypoints(page, folder, "other.npz")
            page.locator("#video video").evaluate("v => v.pause()")
            previous_label = page.locator("#previous [data-testid=block-label]").inner_text()
            shot = shots / "app.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        finally:
            browser.close()

    assert state["error"] is None
    assert state["now"] > state["start"] + 0.3, state
    assert state["audioBytes"] > 0, state
    assert state["duration"] == pytest.approx(SONG_SECONDS, abs=0.1)
    np.testing.assert_array_equal(again, first)
    assert np.abs(other - first).mean() > 1e-3
    assert "seed 7" in previous_label  # the last dance is kept beside the new one
