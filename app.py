"""The browser demo: give a song, pick a seed and a span, watch a stick figure dance to it.

Gradio UI only: every step (decode, generate, draw, encode, export) is the `dance` library's,
as in the CLI; the About text, model loading and the files on disk are app_support.py's.
`python app.py` serves http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT change it).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr

import dance
from app_support import (
    ABOUT,
    CREDITS,
    GRADIO_CACHE_S,
    OUTPUT_ROOT,
    describe,
    examples_cache,
    load_generator,
    new_request_dir,
    prune_gradio_cache,
    warm_up,
)
from dance.audio import MIN_SECONDS
from dance.model import default_checkpoint
from dance.motion import VIDEO_FPS
from dance.runtime import configure_torch
from dance.video import HLS_PLAYLIST, hls_segment_count

log = logging.getLogger("app")

MAX_SECONDS = 60  # longest dance; a 2-vCPU Space makes it in roughly 10-20 s
DEFAULT_SECONDS = 20
SEED_MAX = 2**31 - 1  # the dice stay well inside JavaScript's exact integers (2**53)
MAX_UPLOAD = "50mb"  # a 5-minute WAV at CD quality; MP3/OGG songs are far smaller
QUEUE_SIZE = 16  # visitors waiting at most; one dance is made at a time (2 CPU cores)
NO_MODEL = "No trained model is installed, so this demo cannot dance yet."
LIVE_POLL_S = 0.02  # how often the handler looks for the first finished HLS segment
EXAMPLES = Path(__file__).resolve().parent / "examples"
# The look a visitor sees first: chosen by looking at the three side by side on the same
# frames (README, "What you get"): the mannequin reads most plainly as a person, its near arm
# in front of the body and its head turning; the skeleton is for models, the stage for show.
DEFAULT_LOOK = "mannequin"
LOOK_HINTS = {
    "mannequin": "a wooden artist's mannequin",
    "stage": "a silhouette under lights that pulse on the beat",
    "skeleton": "the OpenPose stick figure that pose-to-video models take",
}
LOOK_ORDER = sorted(dance.look_names(), key=lambda name: name != DEFAULT_LOOK)
EXAMPLE_SONGS = [  # (file, label); credits in examples/CREDITS.md
    ("electro-crushed-ice-cocktail.ogg", "Electro, 123 BPM"),
    ("rock-escape-from-chaosland.ogg", "Rock, 136 BPM"),
    ("waltz-offshore.ogg", "Waltz time (3/4)"),
]

CSS = """
#title { text-align: center; }
#generate { min-height: 3.2rem; }
#live video { width: 100%; max-height: 512px; background: #000; border-radius: 8px; }
#no-model { border: 1px solid #f59e0b; border-radius: 8px; padding: 0.5rem 1rem; }
/* The videos' captions sit above the picture, not over the dancer's head. */
#video [data-testid="block-label"], #previous [data-testid="block-label"] {
    position: static; margin-bottom: 6px;
}
"""


# When the finished MP4 arrives, the video player takes over from the live one at the same moment
# of the dance, and the live one stops: the dance plays on without a restart or a double sound.
HANDOVER_JS = """
() => {
  const live = document.querySelector('#live video:not([hidden])');
  const done = document.querySelector('#video video');
  if (!live) return;
  const at = live.currentTime, playing = !live.paused && !live.ended;
  live.pause();
  live.hidden = true;  // not removed: Gradio re-renders this component for the next dance
  if (!done) return;
  const go = () => { done.currentTime = at; if (playing) done.play().catch(() => {}); };
  if (done.readyState >= 1) go(); else done.addEventListener('loadedmetadata', go, {once: true});
}
"""


# Run once on page load: feeds each live player its growing HLS stream through Media Source
# Extensions (see the file for why not the browser's own HLS player).
LIVE_PLAYER_JS = (Path(__file__).resolve().parent / "live_player.js").read_text()


def live_player(folder: Path, segments: int) -> str:
    """HTML for a player of the HLS copy that is still being written (dance.video), which
    live_player.js feeds: the folder's URL and how many segments will be there."""
    return (
        f'<video data-live="/gradio_api/file={folder}/" data-segments="{segments}" '
        'autoplay controls playsinline preload="auto"></video>'
    )


def _visitor_message(err: dance.DanceError, song: Path) -> str:
    """The library's message, with the server's upload path cut down to the file name."""
    return str(err).replace(str(song), song.name)


def make_dance(
    model: dance.Generator,
    song: str | None,
    seed: float,
    seconds: float,
    start: float,
    style: str = "auto",
    *,
    progress: Callable[..., object] | None = None,
    out_root: Path | None = None,
    look: str = DEFAULT_LOOK,
    pose_frames: bool = False,
) -> tuple[str, float, int, float, list[str], str]:
    """Generate, draw and export one dance into a fresh request folder.

    Args:
        look: a name from dance.LOOKS.
        pose_frames: also write the ControlNet OpenPose pose images (a zip of PNGs).

    Returns:
        (MP4 path, tempo in BPM, beat count, seconds taken, [MP4, OpenPose zip, NPZ and the
        pose-frame zip when asked for], the style danced).

    Raises:
        gr.Error: no song, an unknown look, or any `dance.DanceError` (not audio, silent, too
            long, ...).
    """
    steps = _dance_steps(
        model, song, seed, seconds, start, style, progress, out_root, look, pose_frames, False
    )
    return deque(steps, maxlen=1)[0]  # the only step without a live player: the outputs


def stream_dance(
    model: dance.Generator,
    song: str | None,
    seed: float,
    seconds: float,
    start: float,
    style: str = "auto",
    *,
    progress: Callable[..., object] | None = None,
    out_root: Path | None = None,
    look: str = DEFAULT_LOOK,
    pose_frames: bool = False,
) -> Iterator[tuple[object, ...]]:
    """`make_dance`, showing the dance while it is drawn: first a live player of its first
    seconds (HTML), then make_dance's outputs. Yields (video, tempo, beats, seconds, files,
    style danced, live player HTML), with gr.skip() for what has not changed.

    Raises:
        gr.Error: as make_dance.
    """
    steps = _dance_steps(
        model, song, seed, seconds, start, style, progress, out_root, look, pose_frames, True
    )
    for step in steps:
        if isinstance(step, str):  # the live player
            yield (gr.skip(),) * 6 + (step,)
        else:
            yield (*step, gr.skip())


def _dance_steps(
    model: dance.Generator,
    song: str | None,
    seed: float,
    seconds: float,
    start: float,
    style: str,
    progress: Callable[..., object] | None,
    out_root: Path | None,
    look: str,
    pose_frames: bool,
    live: bool,
) -> Iterator[str | tuple[str, float, int, float, list[str], str]]:
    """The work behind make_dance and stream_dance: with `live`, first the HTML of a live
    player once the video's first segment exists; then make_dance's outputs."""
    if not song:
        raise gr.Error("Please upload a song or record one first.", title="No song")
    try:
        look = dance.looks.get_look(look).name  # before the work, not after it
    except dance.DanceError as err:
        raise gr.Error(str(err), title="No such look") from err
    song_path = Path(song)
    prune_gradio_cache(Path(gr.utils.get_upload_folder()))
    step = progress or (lambda *args, **kwargs: None)
    t0 = time.perf_counter()
    try:
        step(0.0, desc="Listening to the song")
        result = dance.generate(
            model,
            song_path,
            seed=seed,
            style=style or "auto",
            start=start,
            seconds=seconds,
            max_seconds=MAX_SECONDS,
            progress=not live,
        )
        out = new_request_dir(out_root or OUTPUT_ROOT)
        name = f"{song_path.stem}-{result.style + '-' if result.style else ''}seed{result.seed}"
        step(0.3, desc="Drawing the dance")
        if live:
            video = yield from _render_live(result, out / f"{name}.mp4", look, t0)
        else:
            video = dance.render_video(result, out / f"{name}.mp4", look=look, progress=True).path
        step(0.9, desc="Writing keypoints")
        keypoints = dance.export_openpose_zip(result, out / f"{name}-openpose.zip", look=look)
        npz = dance.export_npz(result, out / f"{name}.npz")
        extra = []
        if pose_frames:
            step(0.93, desc="Drawing pose frames")
            extra.append(
                dance.export_pose_frames(result, out / f"{name}-pose-frames.zip", look=look)
            )
    except dance.DanceError as err:
        raise gr.Error(_visitor_message(err, song_path), title="Cannot make this dance") from err
    elapsed_s = time.perf_counter() - t0
    files = [str(video), str(keypoints), str(npz), *map(str, extra)]
    yield (
        str(video),
        round(float(result.tempo_bpm), 1),
        int(result.beat_times.size),
        round(elapsed_s, 1),
        files,
        result.style or "the generator's own",
    )


def _render_live(result: dance.Dance, mp4: Path, look: str, t0: float) -> Iterator[str]:
    """Draw the video in a worker thread, writing an HLS copy beside it; yield a live
    player's HTML once its first segment exists; return the MP4's path."""
    live = mp4.parent / "live"
    live.mkdir()
    rendered: dict[str, object] = {}

    def render() -> None:
        try:
            rendered["path"] = dance.render_video(result, mp4, look=look, hls_dir=live).path
        except BaseException as err:  # handed to the handler's thread below
            rendered["error"] = err

    worker = threading.Thread(target=render, name="render", daemon=True)
    worker.start()
    playlist = live / HLS_PLAYLIST
    while worker.is_alive() and not _has_segment(playlist):
        time.sleep(LIVE_POLL_S)
    if "error" not in rendered and _has_segment(playlist):
        log.info(
            "live after %.2f s (dance %.2f s, first segment %.2f s)",
            time.perf_counter() - t0,
            sum(result.timings.values()),
            time.perf_counter() - t0 - sum(result.timings.values()),
        )
        yield live_player(live, hls_segment_count(result.video_frames(VIDEO_FPS)))
    worker.join()
    if "error" in rendered:
        raise rendered["error"]  # type: ignore[misc]
    return Path(str(rendered["path"]))


def style_choices(model: dance.Generator | None) -> list[tuple[str, str]]:
    """The style menu: (label with a few words, value), `auto` first."""
    from dance.styles import AUTO, describe

    styles = model.config.styles if model is not None else ()
    return [("auto (chosen from the music)", AUTO)] + [
        (f"{name}: {describe(name)}", name) for name in styles
    ]


def _has_segment(playlist: Path) -> bool:
    """Whether ffmpeg has finished a segment (it rewrites the playlist as each one closes)."""
    try:
        return ".m4s" in playlist.read_text()  # a segment is listed once it is complete
    except OSError:
        return False


def build_demo(model: dance.Generator | None, no_model_reason: str = "") -> gr.Blocks:
    """The page. With model None it explains why and refuses to generate."""
    # The queue runs each event one at a time, but Generate and an example's first (caching)
    # click are two events; the lock keeps them from sharing the two cores.
    one_at_a_time = threading.Lock()

    def generate(
        song: str | None,
        seed: float,
        seconds: float,
        start: float,
        style: str = "auto",
        look: str = DEFAULT_LOOK,
        pose_frames: bool = False,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 (Gradio's idiom)
    ) -> tuple[str, float, int, float, list[str], str]:
        if model is None:
            raise gr.Error(f"{NO_MODEL} ({no_model_reason})", title="No model")
        with one_at_a_time:
            return make_dance(
                model,
                song,
                seed,
                seconds,
                start,
                style,
                progress=progress,
                look=look,
                pose_frames=pose_frames,
            )

    def generate_live(
        song: str | None,
        seed: float,
        seconds: float,
        start: float,
        style: str = "auto",
        look: str = DEFAULT_LOOK,
        pose_frames: bool = False,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 (Gradio's idiom)
    ) -> Iterator[tuple[object, ...]]:
        if model is None:
            raise gr.Error(f"{NO_MODEL} ({no_model_reason})", title="No model")
        with one_at_a_time:
            yield from stream_dance(
                model,
                song,
                seed,
                seconds,
                start,
                style,
                progress=progress,
                look=look,
                pose_frames=pose_frames,
            )

    def remember(
        shown: dict | None, video: str | None, seed: float, start: float, style: str | None
    ):
        """A new dance is on show: the one before moves to the side, labelled with its settings."""
        if shown and shown["video"] == video:
            # The same dance again: a streamed run's last output arrives twice (the last yield,
            # then the run's end), and the dance on show must not become its own previous one.
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        caption = f"{style + ', ' if style else ''}seed {seed}, from {start:g} s"
        previous = (
            gr.Video(value=shown["video"], label=f"Previous: {shown['caption']}")
            if shown
            else gr.Video()
        )
        return (
            gr.Video(label=f"This dance: {caption}"),
            previous,
            {"video": video, "caption": caption},
            gr.Column(visible=True),
        )

    with gr.Blocks(
        title="Stick Figure Dance", analytics_enabled=False, delete_cache=GRADIO_CACHE_S
    ) as demo:
        gr.Markdown(
            "# Stick Figure Dance\nGive it a song and watch a stick figure dance to it.",
            elem_id="title",
        )
        if model is None:
            gr.Markdown(f"**{NO_MODEL}** {no_model_reason}", elem_id="no-model")
        with gr.Row():
            with gr.Column(scale=2) as inputs:
                song = gr.Audio(
                    label="Song (MP3, WAV, OGG, FLAC or M4A)",
                    type="filepath",
                    sources=["upload", "microphone"],
                    elem_id="song",
                )
                with gr.Row(equal_height=True):
                    seed = gr.Number(
                        label="Seed",
                        info="the same seed gives the same dance",
                        value=0,
                        precision=0,
                        minimum=0,
                        maximum=SEED_MAX,
                        scale=2,
                        elem_id="seed",
                    )
                    dice = gr.Button("Random seed", scale=1, elem_id="random-seed")
                style = gr.Dropdown(
                    style_choices(model),
                    value="auto",
                    label="Style",
                    info="auto lets the music choose",
                    elem_id="style",
                )
                seconds = gr.Slider(
                    MIN_SECONDS,
                    MAX_SECONDS,
                    value=DEFAULT_SECONDS,
                    step=1,
                    label="Length (s)",
                    elem_id="seconds",
                )
                start = gr.Number(
                    label="Start at (s) in the song", value=0, minimum=0, elem_id="start"
                )
                look = gr.Radio(
                    [(name.capitalize(), name) for name in LOOK_ORDER],
                    value=DEFAULT_LOOK,
                    label="Look",
                    info="; ".join(
                        f"{n.capitalize()}: {LOOK_HINTS.get(n, dance.LOOKS[n].summary)}"
                        for n in LOOK_ORDER
                    ),
                    elem_id="look",
                )
                pose_frames = gr.Checkbox(
                    label="Also pose frames for pose-to-video models (zip of ControlNet "
                    "OpenPose PNGs; a few seconds more)",
                    value=False,
                    elem_id="pose-frames",
                )
                button = gr.Button(
                    "Generate", variant="primary", elem_id="generate", interactive=model is not None
                )
            with gr.Column(scale=3):
                # The dance as it is drawn (HLS, while the MP4 is not finished yet); the video
                # player below takes over when it is (HANDOVER_JS).
                live = gr.HTML("", elem_id="live", padding=False)
                with gr.Row():
                    video = gr.Video(
                        label="This dance", elem_id="video", interactive=False, autoplay=True
                    )
                    previous = gr.Video(
                        label="Previous dance (to compare seeds)",
                        elem_id="previous",
                        interactive=False,
                    )
                with gr.Column(visible=False) as details:  # shown with the first dance
                    with gr.Row():
                        tempo = gr.Number(
                            label="Tempo (BPM)", precision=1, elem_id="tempo", interactive=False
                        )
                        beats = gr.Number(label="Beats", elem_id="beats", interactive=False)
                        took = gr.Number(
                            label="Made in (s)", precision=1, elem_id="time", interactive=False
                        )
                        danced = gr.Textbox(
                            label="Style danced", elem_id="danced", interactive=False
                        )
                    files = gr.File(
                        label="Downloads: MP4, OpenPose JSON (zip), keypoints (NPZ), "
                        "pose frames (zip, if asked for)",
                        file_count="multiple",
                        elem_id="downloads",
                        interactive=False,
                    )
        # Without a model the examples only fill in the inputs; with one, each example's dance
        # is made on its first click and cached (under GRADIO_EXAMPLES_CACHE) for later visitors.
        outputs = [video, tempo, beats, took, files, danced]
        cached = dict(fn=generate, outputs=outputs, cache_examples=True, cache_mode="lazy")
        with inputs:  # back into the left column, under the Generate button
            gr.Examples(
                [
                    [str(EXAMPLES / name), 0, DEFAULT_SECONDS, 0, "auto"]
                    for name, _ in EXAMPLE_SONGS
                ],
                [song, seed, seconds, start, style],
                example_labels=[label for _, label in EXAMPLE_SONGS],
                elem_id="examples",
                **(cached if model is not None else {}),
            )
        about = ABOUT + (f"\n{describe(model)}\n" if model is not None else "") + CREDITS
        gr.Markdown(about, elem_id="about")

        shown = gr.State(None)  # {"video": path, "caption": str} of the dance on show
        dice.click(
            lambda: random.randint(0, SEED_MAX), outputs=seed, api_visibility="private", queue=False
        )
        button.click(
            generate_live,
            [song, seed, seconds, start, style, look, pose_frames],
            [*outputs, live],
            api_visibility="private",
            show_progress_on=video,
        ).then(None, js=HANDOVER_JS, api_visibility="private", queue=False)
        # The API gives the finished files only, as it always has: a hidden button's event.
        api_button = gr.Button(visible=False)
        api_button.click(
            generate,
            [song, seed, seconds, start, style, look, pose_frames],
            outputs,
            api_name="generate",
        )
        # On the video's change, not the click's success, so an example's dance is remembered too.
        video.change(
            remember,
            [shown, video, seed, start, danced],
            [video, previous, shown, details],
            api_visibility="private",
            queue=False,
        )
    return demo


def serve(demo: gr.Blocks, **launch_kwargs: object) -> None:
    """Queue and launch; host and port come from GRADIO_SERVER_NAME/PORT unless given."""
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE)
    theme = gr.themes.Soft(primary_hue="indigo")
    # The live players read the HLS copies in the request folders.
    allowed = [str(OUTPUT_ROOT), *launch_kwargs.pop("allowed_paths", [])]  # type: ignore[misc]
    demo.launch(
        max_file_size=MAX_UPLOAD,
        theme=theme,
        css=CSS,
        js=LIVE_PLAYER_JS,
        allowed_paths=allowed,
        **launch_kwargs,
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Gradio self-check
    configure_torch()
    model, reason = load_generator()
    if model is not None:
        t0 = time.perf_counter()
        warm_up(model)
        log.info("model loaded and warmed up in %.1f s", time.perf_counter() - t0)
        os.environ["GRADIO_EXAMPLES_CACHE"] = str(examples_cache(default_checkpoint()))
    serve(build_demo(model, reason))


if __name__ == "__main__":
    main()
