"""What the demo needs besides its page: the About text, model loading and warm-up, and the
files on disk (one folder per request, a bounded Gradio cache, the example-dance cache).

app.py builds the UI from these; nothing here imports gradio, so it is testable on its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

import dance
from dance.audio import SAMPLE_RATE

log = logging.getLogger("app")

KEEP_REQUESTS = 16  # newest request folders kept in OUTPUT_ROOT; older ones are deleted
OUTPUT_ROOT = Path(tempfile.gettempdir()) / "dance-app"  # one sub-folder per request
GRADIO_CACHE_S = (3600, 6 * 3600)  # Gradio's own copies (uploads, served files): hourly sweep
# ... and, on every request, all but the newest entries go (about 4 per dance: the upload, the
# video and two downloads), so the cache holds the last ~64 dances, ~300 MB, however busy.
GRADIO_CACHE_KEEP = 256

ABOUT = """
### About

A neural network listens to the music and moves an 18-joint
[OpenPose](https://github.com/CMU-Perceptual-Computing-Lab/openpose) skeleton, ten poses a
second. It reimplements **Ren et al., "Self-supervised Dance Video Synthesis Conditioned on
Music"**, ACM Multimedia 2020 ([arXiv:1912.06606](https://arxiv.org/abs/1912.06606),
[doi:10.1145/3394171.3413932](https://doi.org/10.1145/3394171.3413932)): an audio encoder and
recurrent layers follow the music over time, and a decoder turns them, plus random noise, into
poses. It was trained as a GAN on real motion capture: ballroom dancers (waltz, tango, cha-cha,
rumba) from the dataset of Tang et al. (2018), *Dance with Melody*; street, pop and freestyle
dance from G1 Moves (Experiential Technologies / Mitch Chaiet, CC BY 4.0, dancers Jasmine Coro
and Mitch Chaiet); modern dance and ballet from the CMU Graphics Lab Motion Capture Database
(mocap.cs.cmu.edu, created with funding from NSF EIA-0196217). Each **style** is one of those
vocabularies; **auto** picks one from the music (3/4 time: waltz; a slow beat: rumba; else
street). Beyond the paper, it learned each dance's rhythm from the dancers' own motion beats
and was trained to pause on the music's beats, so its moves land on the beat of songs it never
heard. The **seed** picks the noise: the same song, seed and style always give the same dance,
another seed a different one. The tempo and beats are detected from the audio, and a dot in the
corner of the video flashes on each beat.
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
    "beat2": "the phase within a pair of beats",
    "tempo": "the local tempo",
}


def describe(model: dance.Generator) -> str:
    """One paragraph on the installed generator: size, training, what it hears."""
    config = model.config
    if config.frontend == "raw":
        hears = "the raw waveform, read by a convolutional encoder in 0.1 s chunks as in the paper"
    else:
        names = ", ".join(FEATURE_NAMES.get(f, f) for f in config.features)
        hears = f"music features every 0.1 s ({names}) in place of the paper's raw-waveform encoder"
        if config.styles:
            hears += f", and dances in {len(config.styles)} styles ({', '.join(config.styles)})"
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
    request's upload is among the newest few dozen (the queue holds app.QUEUE_SIZE), so it stays.
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


def warm_up(model: dance.Generator) -> None:
    """Pay the first call's set-up before the first visitor does: a throwaway 2 s dance (torch),
    drawn in every look with its live copy (skia, ffmpeg), and matplotlib chosen with its Agg
    backend.

    On a fresh server the first Generate click waited 0.8 s before the handler ran, for Gradio
    switching matplotlib to Agg and back around every event (utils.MatplotlibBackendMananger):
    importing matplotlib and resolving its default backend, which imports pyplot. Choosing Agg
    first makes that instant and leaves pyplot unimported. The first video then took 0.5 s to
    its first segment against 0.1 to 0.3 s after (importing skia and imageio-ffmpeg).
    """
    import matplotlib

    matplotlib.use("agg")
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 2 * SAMPLE_RATE).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="dance-warm-up-") as folder:
        song = Path(folder) / "warm-up.wav"
        sf.write(song, noise, SAMPLE_RATE)
        result = dance.generate(model, song, seed=0)
        for look in dance.look_names():
            live = Path(folder) / look
            live.mkdir()
            dance.render_video(result, Path(folder) / f"{look}.mp4", look=look, hls_dir=live)


def examples_cache(checkpoint: Path) -> Path:
    """Cached example dances, one folder per generator file, so a new model never shows old ones."""
    base = Path(os.environ.get("GRADIO_EXAMPLES_CACHE", ".gradio/cached_examples"))
    with checkpoint.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()[:12]
    return base / digest
