"""The app shows a long dance while it is still being made (issue 13), in headless Chromium.

A 60-second dance is requested; the test waits for the live player to play, and checks that at
that moment the finished MP4 is not there yet, then that the finished video takes over at the
same moment of the dance with sound. The click-to-playing time is printed; the app runs the
tiny test generator unless APP_TEST_CHECKPOINT names a real one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import write_song
from .test_app_browser import GENERATE_TIMEOUT_MS, model, open_page, served  # noqa: F401
from .test_browser_video import chromium  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_S = 60  # the app's longest dance
START_LIMIT_S = 10.0  # generous for a shared 2-core machine; the target (1.5 s) is printed


@pytest.fixture(scope="module")
def long_song(song_dir: Path) -> Path:
    return write_song(song_dir / "long_61s.wav", LONG_S + 1.0)


def test_long_dance_plays_before_it_is_finished(open_page, long_song):  # noqa: F811
    page = open_page()
    page.locator("#song input[type=file]").set_input_files(str(long_song))
    page.wait_for_selector("#song audio", state="attached", timeout=30_000)
    page.locator("#seconds input[type=number]").fill(str(LONG_S))
    page.locator("#seconds input[type=number]").press("Enter")
    t0 = time.perf_counter()
    page.locator("#generate").click()
    page.wait_for_function(
        """(() => { const v = document.querySelector('#live video:not([hidden])');
                   return v && !v.paused && v.currentTime > 0; })()""",
        timeout=GENERATE_TIMEOUT_MS,
        polling=20,
    )
    started_s = time.perf_counter() - t0
    # Not finished yet: no downloads, and the video player holds no dance.
    assert page.locator("#downloads a[href]").count() == 0
    assert not page.locator("#video video").count()
    print(f"\nclick to playing, {LONG_S} s dance: {started_s:.2f} s (target 1.5 s)")
    assert started_s < START_LIMIT_S

    page.wait_for_function(  # finished: the video player has taken over, live one gone
        """(() => { const v = document.querySelector('#video video');
                   const live = document.querySelector('#live video:not([hidden])');
                   return v && v.readyState >= 3 && !live; })()""",
        timeout=GENERATE_TIMEOUT_MS,
        polling=50,
    )
    took_s = time.perf_counter() - t0
    resumed_at = page.locator("#video video").evaluate("v => v.currentTime")
    state = page.locator("#video video").evaluate(
        """async v => { await new Promise(r => setTimeout(r, 800));
            return [v.duration, v.paused, v.webkitAudioDecodedByteCount]; }"""
    )
    duration, paused, audio_bytes = state
    print(f"finished after {took_s:.1f} s; the video player took over at {resumed_at:.1f} s")
    assert duration == pytest.approx(LONG_S, abs=0.1) and audio_bytes > 0 and not paused
    # Taken over where the live player was, not restarted from the beginning. (How far the live
    # player got depends on the machine: on a busy one it stalls while the page waits for CPU.)
    assert resumed_at > 0.3
