"""The paper's generator (Ren et al. 2020) in torch: the network, saving and loading it.

Audio encoder -> bidirectional GRU -> projection, concatenated with a noise GRU, then a residual
MLP pose decoder ending in tanh. The network maps (audio, noise) to poses and never sees a pose.
It accepts any batch size and any sequence length. `train` imports it from here and exports
weights with `save_checkpoint`. Its config and file location are in config.py, which
numpy_model.py (the same network in numpy, without torch) shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import checkpoint
from .config import (  # noqa: F401 (re-exported: train and the tests import them from here)
    CHECKPOINT_DIR,
    CHECKPOINT_ENV,
    CHECKPOINT_FORMAT,
    DEFAULT_CHECKPOINT,
    GeneratorConfig,
    check_trained,
    default_checkpoint,
    locate,
)
from .skeleton import N_JOINTS


class RawAudioEncoder(nn.Module):
    """The paper's per-frame waveform encoder: 1600 samples -> one code (Vougioukas et al.)."""

    def __init__(self, code_size: int) -> None:
        super().__init__()

        def block(c_in: int, c_out: int, kernel: int, stride: int, pad: int) -> list[nn.Module]:
            return [nn.Conv1d(c_in, c_out, kernel, stride, pad), nn.BatchNorm1d(c_out), nn.ReLU()]

        # Lengths for a 1600-sample chunk: 100, 50, 25, 5, then a full-length conv to 1.
        self.net = nn.Sequential(
            *block(1, 16, 80, 16, 32),
            *block(16, 32, 4, 2, 1),
            *block(32, 64, 4, 2, 1),
            *block(64, 128, 10, 5, 3),
            nn.Conv1d(128, code_size, 5),
            nn.Tanh(),
        )

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, T, 1600) samples in [-1, 1] -> (B, T, code)."""
        batch, frames, _ = audio.shape
        code = self.net(audio.reshape(batch * frames, 1, -1))
        return code.reshape(batch, frames, -1)


class FeatureAudioEncoder(nn.Module):
    """Per-frame MLP over librosa features: the alternative front end to the waveform encoder."""

    def __init__(self, n_features: int, code_size: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, code_size),
            nn.LayerNorm(code_size),
            nn.ReLU(),
            nn.Linear(code_size, code_size),
            nn.Tanh(),
        )

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, T, n_features) -> (B, T, code)."""
        return self.net(audio)


class ResidualBlock(nn.Module):
    """h + F(h), F = Linear, BN, ReLU, Linear, BN, ReLU; BatchNorm runs over all B*T frames."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.f = nn.Sequential(
            nn.Linear(width, width),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.BatchNorm1d(width),
            nn.ReLU(),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.f(h)


class MusicEncoder(nn.Module):
    """Audio encoder, bidirectional GRU and projection: (B, T, audio) -> (B, T, code).

    The generator uses one; the sequence discriminator in train/ builds its own with separate
    weights, as in the paper.
    """

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        code = config.audio_code_size
        if config.frontend == "raw":
            self.audio_encoder: nn.Module = RawAudioEncoder(code)
        else:
            self.audio_encoder = FeatureAudioEncoder(config.audio_input_size, code)
        self.rnn = nn.GRU(
            code,
            config.rnn_hidden,
            num_layers=config.rnn_layers,
            batch_first=True,
            bidirectional=True,
        )
        self.proj = nn.Linear(2 * config.rnn_hidden, code)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        music, _ = self.rnn(self.audio_encoder(audio))
        return self.proj(music)


class Generator(nn.Module):
    """Music (and noise) to poses: (B, T, audio) x (B, T, noise) -> (B, T, 18, 2) in [-1, 1]."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        code = config.audio_code_size
        self.music = MusicEncoder(config)
        self.noise_rnn = nn.GRU(config.noise_size, config.noise_size, batch_first=True)
        self.decoder_in = nn.Linear(code + config.noise_size, config.decoder_width)
        self.blocks = nn.Sequential(
            *[ResidualBlock(config.decoder_width) for _ in range(config.decoder_blocks)]
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.decoder_width, 2 * N_JOINTS)
        self.meta: dict[str, Any] = {}

    def sample_noise(
        self, batch: int, frames: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Gaussian noise (batch, frames, noise_size) with the configured std, on the CPU."""
        return torch.randn(batch, frames, self.config.noise_size, generator=generator) * (
            self.config.noise_std
        )

    def forward(self, audio: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Poses for audio and noise.

        Args:
            audio: (B, T, 1600) waveform chunks for "raw", (B, T, n_features) for "features".
            noise: (B, T, noise_size), e.g. from sample_noise.

        Returns:
            (B, T, 18, 2) normalised poses in [-1, 1].
        """
        batch, frames = audio.shape[:2]
        if noise.shape[:2] != (batch, frames):
            raise ValueError(f"noise {tuple(noise.shape)} does not match audio {audio.shape[:2]}")
        music = self.music(audio)
        noise_features, _ = self.noise_rnn(noise)
        h = torch.cat([music, torch.tanh(noise_features)], dim=-1)
        h = self.decoder_in(h.reshape(batch * frames, -1))
        h = self.head(self.dropout(self.blocks(h)))
        return torch.tanh(h).reshape(batch, frames, N_JOINTS, 2)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(model: Generator, path: str | Path, meta: dict[str, Any]) -> Path:
    """Write the generator's weights, config and metadata as one safetensors file, atomically.

    Args:
        model: the generator (unwrap DDP first).
        path: where to write, normally a `.safetensors` file.
        meta: JSON-serialisable facts about training: steps, data, losses. `trained_steps`
            (an int) marks the model as trained; `load_model` refuses files without it.
    """
    return checkpoint.save(model, path, format=CHECKPOINT_FORMAT, meta=meta)


def load_model(
    path: str | Path | None = None,
    *,
    device: str | torch.device = "cpu",
    require_trained: bool = True,
) -> Generator:
    """Load a generator in eval mode from a `.safetensors` file or a training `.pt` checkpoint.

    Args:
        path: the checkpoint; None uses `default_checkpoint()`.
        device: where to put the weights.
        require_trained: refuse a file whose metadata does not record training steps, so that
            an untrained network is never presented as a dance.

    Raises:
        NoTrainedModelError: no file at the default location, or the file is untrained.
        ModelError: the file is missing, corrupt, or incompatible with this version.
    """
    path = locate(path)
    stored = checkpoint.read(
        path, format=CHECKPOINT_FORMAT, what="generator", record_key="generator"
    )
    model = checkpoint.build(stored, GeneratorConfig, Generator, "generator")
    if require_trained:
        check_trained(path, stored.meta)
    return model.to(device).eval()
