"""The browser demo: give a song, pick a seed and a span, watch a stick figure dance to it.

Gradio UI only: every step (decode, generate, draw, encode, export) is the `dance` library's,
as in the CLI. `python app.py` serves http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT change it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import numpy as np

import dance
from dance.audio import MIN_SECONDS, SAMPLE_RATE
from dance.model import default_checkpoint
from dance.runtime import configure_torch

log = logging.getLogger("app")

MAX_SECONDS = 60  # longest dance; a 2-vCPU Space makes it in roughly 10-20 s
DEFAULT_SECONDS = 20
SEED_MAX = 2**31 - 1  # the dice stay well inside JavaScript's exact integers (2**53)
MAX_UPLOAD = "50mb"  # a 5-minute WAV at CD quality; MP3/OGG songs are far smaller
QUEUE_SIZE = 16  # visitors waiting at most; one dance is made at a time (2 CPU cores)
KEEP_REQUESTS = 16  # newest request folders kept in OUTPUT_ROOT; older ones are deleted
OUTPUT_ROOT = Path(tempfile.gettempdir()) / "dance-app"  # one sub-folder per request
GRADIO_CACHE_S = (3600, 6 * 3600)  # Gradio's own copies (uploads, served files): hourly sweep
# ... and, on every request, all but the newest entries go (about 4 per dance: the upload, the
# video and two downloads), so the cache holds the last ~64 dances, ~300 MB, however busy.
GRADIO_CACHE_KEEP = 256
NO_MODEL = "No trained model is installed, so this demo cannot dance yet."
EXAMPLES = Path(__file__).resolve().parent / "examples"
EXAMPLE_SONGS = [  # (file, label); credits in examples/CREDITS.md
    ("electro-crushed-ice-cocktail.ogg", "Electro, 123 BPM"),
    ("rock-escape-from-chaosland.ogg", "Rock, 136 BPM"),
    ("waltz-offshore.ogg", "Waltz time (3/4)"),
]

ABOUT = """
### About

A neural network listens to the music and moves an 18-joint
[OpenPose](https://github.com/CMU-Perceptual-Computing-Lab/openpose) skeleton, ten poses a
second. It reimplements **Ren et al., "Self-supervised Dance Video Synthesis Conditioned on
Music"**, ACM Multimedia 2020 ([arXiv:1912.06606](https://arxiv.org/abs/1912.06606),
[doi:10.1145/3394171.3413932](https://doi.org/10.1145/3394171.3413932)): an audio encoder and
recurrent layers follow the music over time, and a decoder turns them, plus random noise, into
poses. It was trained as a GAN on videos of ballroom dancers (cha-cha, rumba, tango and waltz)
from the dataset of Tang et al. (2018), *Dance with Melody*. Those dancers do not time their
steps to the beat, so, beyond the paper, it was also trained to pause on the music's beats,
and its moves land on the beat of songs it never heard. The **seed** picks the noise: the
same song and seed always give the same dance, another seed a different one. The tempo and beats
are detected from the audio, and a dot in the corner of the video flashes on each beat.
"""
CREDITS = """
Example songs: *Crushed Ice Cocktail* and *Offshore* by Martin Strohmeier (K-Pone), CC BY 3.0;
*Escape from chaosland* by Sectoid, MIT. 30-second excerpts; see `examples/CREDITS.md`.
"""
FEATURE_NAMES = {  # dance.analysis feature blocks, as the About text names them
    "mel": "a mel spectrogram",
    "onset": "onset strength",
    "chroma": "chroma",
    "beat": "the beat phase",
    "pulse": "the local pulse",
}

CSS = """
#title { text-align: center; }
#generate { min-height: 3.2rem; }
#no-model { border: 1px solid #f59e0b; border-radius: 8px; padding: 0.5rem 1rem; }
/* The videos' captions sit above the picture, not over the dancer's head. */
#video [data-testid="block-label"], #previous [data-testid="block-label"] {
    position: static; margin-bottom: 6px;
}
"""


def describe(model: dance.Generator) -> str:
    """One paragraph on the installed generator: size, training, what it hears."""
    config = model.config
    if config.frontend == "raw":
        hears = "the raw waveform, read by a convolutional encoder in 0.1 s chunks as in the paper"
    else:
        names = ", ".join(FEATURE_NAMES.get(f, f) for f in config.features)
        hears = f"music features every 0.1 s ({names}) in place of the paper's raw-waveform encoder"
    params_m = sum(p.numel() for p in model.parameters()) / 1e6
    steps = int(model.meta.get("trained_steps", 0))
    return (
        f"The generator installed here has {params_m:.1f} M parameters, was trained for "
        f"{steps:,} steps, and hears {hears}."
    )


def load_generator() -> tuple[dance.Generator | None, str]:
    """The installed generator, or None and the reason shown on the page instead."""
    try:
        return dance.load_model(), ""
    except dance.NoTrainedModelError as err:
        log.error("%s", err)
        return None, err.reason  # the page states the headline itself
    except dance.ModelError as err:
        log.error("%s", err)
        return None, str(err)


def new_request_dir(root: Path, keep: int = KEEP_REQUESTS) -> Path:
    """Make a fresh folder for one request's outputs, deleting all but the newest `keep` - 1."""
    root.mkdir(parents=True, exist_ok=True)
    # Only folders beyond the newest `keep` go, so one still being written is never among them;
    # Gradio serves copies in its own cache, so deleting a finished folder breaks no page.
    old = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for folder in old[: max(0, len(old) - keep + 1)]:
        shutil.rmtree(folder, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{time.time_ns()}-", dir=root))


def prune_gradio_cache(folder: Path, keep: int | None = None) -> int:
    """Delete all but the newest `keep` entries of Gradio's file cache; returns how many went.

    Each upload and each served file sits in its own hash-named sub-folder there. A queued
    request's upload is among the newest few dozen (the queue holds QUEUE_SIZE), so it stays.
    """
    keep = GRADIO_CACHE_KEEP if keep is None else keep
    if not folder.is_dir():
        return 0
    entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    gone = entries[: max(0, len(entries) - keep)]
    for entry in gone:
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return len(gone)


def _visitor_message(err: dance.DanceError, song: Path) -> str:
    """The library's message, with the server's upload path cut down to the file name."""
    return str(err).replace(str(song), song.name)


def make_dance(
    model: dance.Generator,
    song: str | None,
    seed: float,
    seconds: float,
    start: float,
    progress: Callable[..., object] | None = None,
    out_root: Path | None = None,
) -> tuple[str, float, int, float, list[str]]:
    """Generate, draw and export one dance into a fresh request folder.

    Returns:
        (MP4 path, tempo in BPM, beat count, seconds taken, [MP4, OpenPose zip, NPZ]).

    Raises:
        gr.Error: no song, or any `dance.DanceError` (not audio, silent, too long, ...).
    """
    if not song:
        raise gr.Error("Please upload a song or record one first.", title="No song")
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
            start=start,
            seconds=seconds,
            max_seconds=MAX_SECONDS,
            progress=True,
        )
        out = new_request_dir(out_root or OUTPUT_ROOT)
        name = f"{song_path.stem}-seed{result.seed}"
        step(0.3, desc="Drawing the dance")
        video = dance.render_video(result, out / f"{name}.mp4", progress=True).path
        step(0.95, desc="Writing keypoints")
        keypoints = dance.export_openpose_zip(result, out / f"{name}-openpose.zip")
        npz = dance.export_npz(result, out / f"{name}.npz")
    except dance.DanceError as err:
        raise gr.Error(_visitor_message(err, song_path), title="Cannot make this dance") from err
    elapsed_s = time.perf_counter() - t0
    files = [str(video), str(keypoints), str(npz)]
    return (
        str(video),
        round(float(result.tempo_bpm), 1),
        int(result.beat_times.size),
        round(elapsed_s, 1),
        files,
    )


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
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 (Gradio's idiom)
    ) -> tuple[str, float, int, float, list[str]]:
        if model is None:
            raise gr.Error(f"{NO_MODEL} ({no_model_reason})", title="No model")
        with one_at_a_time:
            return make_dance(model, song, seed, seconds, start, progress)

    def remember(shown: dict | None, video: str | None, seed: float, start: float):
        """A new dance is on show: the one before moves to the side, labelled with its settings."""
        caption = f"seed {seed}, from {start:g} s"
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
                button = gr.Button(
                    "Generate", variant="primary", elem_id="generate", interactive=model is not None
                )
            with gr.Column(scale=3):
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
                    files = gr.File(
                        label="Downloads: MP4, OpenPose JSON (zip), keypoints (NPZ)",
                        file_count="multiple",
                        elem_id="downloads",
                        interactive=False,
                    )
        # Without a model the examples only fill in the inputs; with one, each example's dance
        # is made on its first click and cached (under GRADIO_EXAMPLES_CACHE) for later visitors.
        outputs = [video, tempo, beats, took, files]
        cached = dict(fn=generate, outputs=outputs, cache_examples=True, cache_mode="lazy")
        with inputs:  # back into the left column, under the Generate button
            gr.Examples(
                [[str(EXAMPLES / name), 0, DEFAULT_SECONDS, 0] for name, _ in EXAMPLE_SONGS],
                [song, seed, seconds, start],
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
            generate,
            [song, seed, seconds, start],
            outputs,
            api_name="generate",
            show_progress_on=video,
        )
        # On the video's change, not the click's success, so an example's dance is remembered too.
        video.change(
            remember,
            [shown, video, seed, start],
            [video, previous, shown, details],
            api_visibility="private",
            queue=False,
        )
    return demo


def warm_up(model: dance.Generator) -> None:
    """Make a throwaway 2 s dance, so librosa's JIT compilation is not the first visitor's wait."""
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 2 * SAMPLE_RATE).astype(np.float32)
    song = dance.Song(Path("warm-up"), noise, 0.0, 2.0, 2.0)
    dance.generate(model, song, seed=0)


def examples_cache(checkpoint: Path) -> Path:
    """Cached example dances, one folder per generator file, so a new model never shows old ones."""
    base = Path(os.environ.get("GRADIO_EXAMPLES_CACHE", ".gradio/cached_examples"))
    with checkpoint.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()[:12]
    return base / digest


def serve(demo: gr.Blocks, **launch_kwargs: object) -> None:
    """Queue and launch; host and port come from GRADIO_SERVER_NAME/PORT unless given."""
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE)
    theme = gr.themes.Soft(primary_hue="indigo")
    demo.launch(max_file_size=MAX_UPLOAD, theme=theme, css=CSS, **launch_kwargs)


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
