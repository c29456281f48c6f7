"""Shared fixtures: synthetic songs in every format, and tiny generators trained a few steps.

Nothing binary is committed: songs are written with numpy and soundfile (M4A with the bundled
ffmpeg), and the generators are trained here, on synthetic data, for a handful of real
optimizer steps so that their `trained_steps` metadata is honest.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from dance.audio import SAMPLE_RATE, ffmpeg_exe
from dance.model import Generator, GeneratorConfig, save_checkpoint

BPM = 120  # every synthetic song has a clear beat at this tempo
BEAT_S = 60 / BPM
TRAIN_STEPS = 3  # real optimizer steps given to the test generators

# Small enough to train and run in well under a second; windows of 2 s, so a short song
# already spans several windows and seams.
TINY = {
    "audio_code_size": 16,
    "rnn_hidden": 16,
    "rnn_layers": 1,
    "noise_size": 4,
    "decoder_width": 32,
    "decoder_blocks": 1,
    "window_frames": 20,
}


def synth_song(seconds: float, rate: int, channels: int, *, bpm: float = BPM) -> np.ndarray:
    """A music-like signal: a chord, kick-like clicks on every beat, a hi-hat between them.

    Returns:
        (samples, channels) float32 in [-1, 1].
    """
    t = np.arange(int(round(seconds * rate))) / rate
    beat = 60 / bpm
    chord = sum(0.08 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    since_beat = t % beat
    kick = 0.6 * np.exp(-since_beat / 0.03) * np.sin(2 * np.pi * 90 * since_beat)
    since_half = (t + beat / 2) % beat
    rng = np.random.default_rng(0)
    hat = 0.15 * np.exp(-since_half / 0.01) * rng.uniform(-1, 1, t.size)
    mono = (chord + kick + hat).astype(np.float32)
    # Channels differ a little (a pan on the chord), as real mixes do.
    out = np.stack([mono * (1 - 0.1 * c) for c in range(channels)], axis=1)
    return np.clip(out, -1, 1).astype(np.float32)


def write_song(
    path: Path,
    seconds: float = 4.0,
    *,
    rate: int = 22_050,
    channels: int = 2,
    signal: np.ndarray | None = None,
) -> Path:
    """Write a synthetic song; the format follows the suffix (.wav .flac .ogg .mp3 .m4a)."""
    data = synth_song(seconds, rate, channels) if signal is None else signal
    if path.suffix == ".m4a":
        wav = path.with_suffix(".src.wav")
        sf.write(wav, data, rate)
        # fmt: off
        cmd = [ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error", "-i", str(wav),
               "-c:a", "aac", "-b:a", "96k", str(path)]
        # fmt: on
        subprocess.run(cmd, check=True, capture_output=True)
        wav.unlink()
    else:
        sf.write(path, data, rate)
    return path


@pytest.fixture
def make_song(tmp_path: Path) -> Callable[..., Path]:
    """A factory: make_song("x.mp3", seconds=3, rate=44100, channels=1) -> path in tmp_path."""

    def make(name: str = "song.wav", seconds: float = 4.0, **kwargs: object) -> Path:
        return write_song(tmp_path / name, seconds, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def song_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("songs")


@pytest.fixture(scope="session")
def song_4s(song_dir: Path) -> Path:
    """A 4 s stereo 22.05 kHz WAV at 120 BPM, shared by the whole session."""
    return write_song(song_dir / "song_4s.wav", 4.0)


@pytest.fixture(scope="session")
def song_long(song_dir: Path) -> Path:
    """A 60 s mono 16 kHz WAV at 120 BPM, for the window-seam test."""
    return write_song(song_dir / "song_60s.wav", 60.0, rate=SAMPLE_RATE, channels=1)


def train_tiny(config: GeneratorConfig, steps: int = TRAIN_STEPS) -> Generator:
    """A few real Adam steps pulling the generator's output towards a swaying pose sequence."""
    torch.manual_seed(0)
    model = Generator(config)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    frames = config.window_frames
    t = torch.arange(frames, dtype=torch.float32) / config.fps
    target = (0.3 * torch.sin(2 * torch.pi * t))[None, :, None, None].expand(4, frames, 18, 2)
    model.train()
    for _ in range(steps):
        audio = torch.randn(4, frames, config.audio_input_size, generator=gen) * 0.1
        noise = model.sample_noise(4, frames, gen)
        loss = torch.nn.functional.mse_loss(model(audio, noise), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny trained generators, one per front end: {"raw": path, "features": path}."""
    folder = tmp_path_factory.mktemp("checkpoints")
    configs = {
        "raw": GeneratorConfig(frontend="raw", **TINY),
        "features": GeneratorConfig(frontend="features", features=("mel", "onset", "beat"), **TINY),
    }
    paths = {}
    for name, config in configs.items():
        model = train_tiny(config)
        meta = {"trained_steps": TRAIN_STEPS, "data": "synthetic test fixture"}
        paths[name] = save_checkpoint(model, folder / f"tiny_{name}.safetensors", meta)
    return paths


STYLES = ("waltz", "rumba", "street")  # the styles of the styled test generator


@pytest.fixture(scope="session")
def styled_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny generator with a style input (random weights: enough to tell styles apart)."""
    config = GeneratorConfig(
        frontend="features", features=("beat", "beat2", "tempo"), styles=STYLES, **TINY
    )
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("styled") / "styled.safetensors"
    return save_checkpoint(Generator(config).eval(), path, {"trained_steps": 1, "data": "test"})


@pytest.fixture(scope="session")
def styled_model(styled_checkpoint: Path) -> Generator:
    from dance.model import load_model

    return load_model(styled_checkpoint)


@pytest.fixture(scope="session")
def tiny_checkpoint(checkpoints: dict[str, Path]) -> Path:
    """The raw-waveform tiny generator (the paper's front end)."""
    return checkpoints["raw"]


@pytest.fixture(scope="session")
def tiny_model(tiny_checkpoint: Path) -> Generator:
    from dance.model import load_model

    return load_model(tiny_checkpoint)


@pytest.fixture(scope="session")
def tiny_dance(tiny_model: Generator, song_4s: Path):
    """A 4 s dance from the tiny generator, shared read-only by render/video/export tests."""
    from dance.generate import generate

    return generate(tiny_model, song_4s, seed=1)
