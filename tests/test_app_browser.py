"""app.py in headless Chromium, as a visitor uses it: upload an MP3, set a seed, click Generate.

Checks that the video plays with sound, that the same seed gives the same dance and another
seed a different one (from the NPZ downloads the page links), that an example and a microphone
recording (Chromium's fake device) make dances, that the style menu lists every style and a
picked one is danced, and that Generate without a song says so. Saves
a screenshot to $APP_SCREENSHOT_DIR (else the test's tmp folder). The app runs the tiny test
generator unless APP_TEST_CHECKPOINT names a real one; the click-to-playable time is printed.
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
    wait_for_dance(page)
    return time.perf_counter() - t0


def wait_for_dance(page) -> None:
    """Wait for the run just started to finish with a video that can play."""
    page.wait_for_function(  # the run has started ...
        f"!document.querySelector('{TRACKER}').classList.contains('hide')", timeout=30_000
    )
    page.wait_for_function(  # ... and ended with a video that can play
        f"""document.querySelector('{TRACKER}').classList.contains('hide')
            && document.querySelector('#video video')?.readyState >= 3""",
        timeout=GENERATE_TIMEOUT_MS,
        polling=50,
    )


def npz_keypoints(page, folder: Path, name: str) -> np.ndarray:
    """Download the NPZ the page links to and read its keypoints."""
    hrefs = page.locator("#downloads a[href]").evaluate_all("as => as.map(a => a.href)")
    (url,) = [h for h in hrefs if h.endswith(".npz")]
    path = folder / name
    path.write_bytes(httpx.get(url, timeout=30).content)
    return dance.read_npz(path).keypoints


@pytest.fixture(scope="module")
def served(model, tmp_path_factory):
    """(url, folder) of the app serving `model`; outputs and cached examples go in folder."""
    folder = tmp_path_factory.mktemp("app_browser")
    with running_app(model, folder) as url:
        yield url, folder


@pytest.fixture
def open_page(chromium, served):  # noqa: F811
    """open_page(*extra_args) -> a page on the app in a fresh headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browsers = []

        def open_(*extra_args: str, **context: object):
            args = CHROMIUM_ARGS + list(extra_args)
            browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=args)
            browsers.append(browser)
            page = browser.new_context(
                viewport={"width": 1280, "height": 900}, **context
            ).new_page()
            page.goto(served[0], wait_until="load")  # not "networkidle": a heartbeat stays open
            page.wait_for_selector("#generate")
            return page

        try:
            yield open_
        finally:
            for browser in browsers:
                browser.close()


def test_upload_generate_play_compare(open_page, served, mp3_30s):
    import app

    folder = served[1]
    page = open_page()
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
    assert state["error"] is None
    assert state["now"] > state["start"] + 0.3, state
    assert state["audioBytes"] > 0, state
    assert state["duration"] == pytest.approx(SONG_SECONDS, abs=0.1)

    first = npz_keypoints(page, folder, "first.npz")
    generate(page, seed=7)
    np.testing.assert_array_equal(npz_keypoints(page, folder, "again.npz"), first)
    generate(page, seed=8)
    assert np.abs(npz_keypoints(page, folder, "other.npz") - first).mean() > 1e-3
    page.locator("#video video").evaluate("v => v.pause()")
    assert "seed 7" in page.locator("#previous [data-testid=block-label]").inner_text()
    shots = Path(os.environ.get("APP_SCREENSHOT_DIR") or folder)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "app.png"), full_page=True)
    print(f"screenshot: {shots / 'app.png'}")

    song_file, label = app.EXAMPLE_SONGS[0]
    page.locator("#examples").get_by_text(label).click()
    wait_for_dance(page)
    assert Path(song_file).stem in page.locator("#video video").get_attribute("src")
    assert list((folder / "examples").rglob("*.mp4"))  # the example's dance is cached


def test_record_from_the_microphone(open_page):
    # Chromium's fake capture device plays a beep every second: a song with a clear beat.
    fake_mic = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    page = open_page(*fake_mic, permissions=["microphone"])
    page.locator("#song button[aria-label='Record audio']").click()
    page.locator("#song button:visible", has_text="Record").first.click()
    page.wait_for_timeout(3500)
    page.locator("#song button:visible", has_text="Stop").first.click()
    page.wait_for_selector("#song audio", state="attached", timeout=30_000)
    page.locator("#seconds input[type=number]").fill("2")
    page.locator("#seconds input[type=number]").press("Enter")
    generate(page, seed=1)
    assert page.locator("#video video").evaluate("v => v.duration") == pytest.approx(2, abs=0.1)


def test_random_seed_and_generate_without_a_song(open_page):
    page = open_page()
    page.locator("#random-seed").click()
    page.wait_for_function("document.querySelector('#seed input').value !== '0'")
    page.locator("#generate").click()
    toast = page.locator(".toast-body").first
    toast.wait_for(timeout=30_000)
    assert "Please upload a song or record one first." in toast.inner_text()


@pytest.fixture(scope="module")
def styled_served(styled_model, tmp_path_factory):
    """(url, folder) of the app serving the styled test generator."""
    folder = tmp_path_factory.mktemp("app_browser_styled")
    with running_app(styled_model, folder) as url:
        yield url, folder


def test_pick_a_style_from_the_menu(chromium, styled_served, styled_model, mp3_30s):  # noqa: F811
    """The style menu lists auto and every style of the generator, with a few words each, and
    the dance made after picking one is in that style (its files are named after it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(styled_served[0], wait_until="load")
            page.wait_for_selector("#generate")
            page.locator("#style input").click()
            labels = [
                o.replace("✓", "").strip() for o in page.get_by_role("option").all_inner_texts()
            ]
            assert labels[0] == "auto (chosen from the music)"
            assert [label.split(":")[0] for label in labels[1:]] == list(styled_model.config.styles)
            assert all(len(label.split(":", 1)[1].split()) >= 3 for label in labels[1:])
            page.get_by_role("option").filter(has_text="rumba:").click()
            assert page.locator("#style input").input_value().startswith("rumba")

            page.locator("#song input[type=file]").set_input_files(str(mp3_30s))
            page.wait_for_selector("#song audio", state="attached", timeout=30_000)
            page.locator("#seconds input[type=number]").fill("3")
            page.locator("#seconds input[type=number]").press("Enter")
            generate(page, seed=2)
            assert "-rumba-seed2" in page.locator("#video video").get_attribute("src")
            hrefs = page.locator("#downloads a[href]").evaluate_all("as => as.map(a => a.href)")
            (url,) = [h for h in hrefs if h.endswith(".npz")]
            assert "-rumba-seed2" in url
        finally:
            browser.close()
