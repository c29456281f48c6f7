"""The paper's generator (Ren et al. 2020) and the one file format its weights travel in.

Audio encoder -> bidirectional GRU -> projection, concatenated with a noise GRU, then a residual
MLP pose decoder ending in tanh. The network maps (audio, noise) to poses and never sees a pose.
It accepts any batch size and any sequence length. `train` imports it from here and exports
weights with `save_checkpoint`, so this module alone owns the checkpoint format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import checkpoint
from .analysis import FEATURE_SIZES
from .audio import MODEL_FPS, SAMPLE_RATE, SAMPLES_PER_FRAME
from .errors import NO_TRAINED_MODEL, ModelError, NoTrainedModelError
from .skeleton import N_JOINTS

CHECKPOINT_FORMAT = "dance-generator/1"  # bumped whenever the file layout changes
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "generator.safetensors"
CHECKPOINT_ENV = "DANCE_CHECKPOINT"  # overrides DEFAULT_CHECKPOINT


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything needed to rebuild a Generator; saved inside every checkpoint.

    Attributes:
        frontend: "raw" (the paper's 1D-conv encoder over 1600 samples per frame) or
            "features" (an MLP over librosa features per frame, see analysis.FEATURE_SIZES).
        features: the feature blocks used by the "features" front end, in order.
        audio_code_size: size of the per-frame audio code and of the music projection.
        rnn_hidden: hidden size per direction of the bidirectional music GRU.
        rnn_layers: layers of the music GRU.
        noise_size: size of the noise vector and of the noise GRU.
        noise_std: standard deviation of the Gaussian noise fed to the noise GRU.
        decoder_width: width of the residual MLP pose decoder.
        decoder_blocks: number of residual blocks.
        dropout: dropout before the output layer.
        window_frames: the sequence length the model was trained on; inference uses windows
            of this length.
        styles: the dance styles it was trained on (dance.styles), in the order of the
            one-hot style vector appended to every input frame; empty for no style input.
        fps: pose frames per second.
        sample_rate: audio samples per second of the input.
    """

    frontend: str = "raw"
    features: tuple[str, ...] = ()
    audio_code_size: int = 256
    rnn_hidden: int = 256
    rnn_layers: int = 2
    noise_size: int = 10
    noise_std: float = 0.33
    decoder_width: int = 1024
    decoder_blocks: int = 3
    dropout: float = 0.5
    window_frames: int = 50
    styles: tuple[str, ...] = ()
    fps: int = MODEL_FPS
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        if self.frontend not in ("raw", "features"):
            raise ValueError(f"frontend must be 'raw' or 'features', got {self.frontend!r}")
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "styles", tuple(self.styles))
        if len(set(self.styles)) != len(self.styles):
            raise ValueError(f"styles repeat: {list(self.styles)}")
        if self.styles and self.frontend != "features":
            raise ValueError("styles need the 'features' front end")
        if self.frontend == "features" and not self.features:
            raise ValueError("the 'features' front end needs at least one feature block")
        unknown = [f for f in self.features if f not in FEATURE_SIZES]
        if unknown:
            raise ValueError(f"unknown feature blocks {unknown}")

    @property
    def audio_input_size(self) -> int:
        """Numbers per pose frame the audio encoder takes."""
        if self.frontend == "raw":
            return SAMPLES_PER_FRAME
        return sum(FEATURE_SIZES[f] for f in self.features) + len(self.styles)


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


def default_checkpoint() -> Path:
    """The generator `load_model()` uses: $DANCE_CHECKPOINT, else DEFAULT_CHECKPOINT."""
    return Path(os.environ.get(CHECKPOINT_ENV) or DEFAULT_CHECKPOINT)


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
    is_default = path is None
    path = default_checkpoint() if path is None else Path(path)
    if not path.is_file():
        if is_default:
            reason = (
                f"{path} does not exist. Train one with `python -m train` (see README.md) or "
                "pass a checkpoint path."
            )
            raise NoTrainedModelError(f"{NO_TRAINED_MODEL}: {reason}", reason=reason)
        raise ModelError(f"{path}: no such checkpoint file")
    stored = checkpoint.read(
        path, format=CHECKPOINT_FORMAT, what="generator", record_key="generator"
    )
    model = checkpoint.build(stored, GeneratorConfig, Generator, "generator")
    meta = stored.meta
    if require_trained and not int(meta.get("trained_steps", 0)) > 0:
        raise NoTrainedModelError(
            f"{path}: this generator was never trained (no training steps recorded), so it "
            "would not dance. Train one with `python -m train` (see README.md)."
        )
    return model.to(device).eval()
