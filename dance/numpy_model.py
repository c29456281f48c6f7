"""The shipped generator's forward pass in numpy: the same file, the same poses, no torch.

`import torch` takes 2.7 s in a fresh process here, about what the whole 20-second dance
should take, while the network is small (2.2 M parameters; a 3-minute song is 0.2 s of
inference). So the command line runs it with numpy's matrix products, reading the weights with
safetensors' numpy reader. The noise is torch's own: `torch_randn` reproduces
`torch.randn(n, generator=torch.Generator().manual_seed(seed))` from the same Mersenne
Twister, so a seed gives the same dance on either path (tests/test_numpy_model.py compares them).
Only the "features" front end is here; a "raw" (waveform CNN) checkpoint loads in torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import checkpoint
from .config import CHECKPOINT_FORMAT, GeneratorConfig, check_trained, locate
from .errors import ModelError
from .skeleton import N_JOINTS

NORM_EPS = 1e-5  # torch's default eps of LayerNorm and BatchNorm1d
RANDN_BLOCK = 16  # torch fills normal samples 16 at a time: Box-Muller on pairs (i, i + 8)


def torch_randn(n: int, seed: int) -> np.ndarray:
    """`torch.randn(n, generator=torch.Generator().manual_seed(seed))` in numpy, float32.

    torch's CPU generator is MT19937 seeded with the seed's low 32 bits (init_genrand); for
    n >= 16 it draws n uniforms from 24-bit integers, turns each block of 16 into normals with
    Box-Muller, and redraws the last 16 when n is not a multiple of 16. torch computes log,
    sin and cos with its own SIMD routines, so a value may differ from it in the last bit.

    Raises:
        ValueError: n < 16 (torch takes another path for those).
    """
    if n < RANDN_BLOCK:
        raise ValueError(f"torch_randn reproduces torch for n >= {RANDN_BLOCK}, not {n}")
    bits = np.random.MT19937(0)
    bits._legacy_seeding(seed & 0xFFFFFFFF)
    tail = n % RANDN_BLOCK
    raw = bits.random_raw(n + (RANDN_BLOCK if tail else 0)).astype(np.uint32)
    uniform = (raw & np.uint32((1 << 24) - 1)).astype(np.float64) * 2.0**-24
    out = np.empty(n, dtype=np.float32)
    whole = n - tail
    out[:whole] = _box_muller(uniform[:whole].reshape(-1, RANDN_BLOCK)).ravel()
    if tail:  # torch recomputes the last 16 values from 16 fresh uniforms
        out[n - RANDN_BLOCK :] = _box_muller(uniform[n:].reshape(1, RANDN_BLOCK)).ravel()
    return out


def _box_muller(u: np.ndarray) -> np.ndarray:
    """(blocks, 16) uniforms -> normals: u1 = 1 - u[:, :8], u2 = u[:, 8:] -> r cos, r sin.

    In float32, as torch computes it: 86 % of values come out bit-identical, the rest 1 ulp off
    (float64 arithmetic, rounded once, would be further from torch, not closer).
    """
    u = u.astype(np.float32)
    radius = np.sqrt(np.float32(-2.0) * np.log(np.float32(1.0) - u[:, :8]))
    theta = np.float32(2.0 * np.pi) * u[:, 8:]
    return np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class NumpyGenerator:
    """The "features" Generator of model.py, eval mode, as numpy: same weights, same poses.

    Attributes:
        config: the GeneratorConfig from the file.
        meta: the training record from the file.
    """

    def __init__(self, config: GeneratorConfig, weights: dict[str, np.ndarray]) -> None:
        if config.frontend != "features":
            raise ValueError("NumpyGenerator runs the 'features' front end only")
        self.config = config
        self.meta: dict[str, Any] = {}
        self.w = weights

    def sample_noise(self, frames: int, seed: int) -> np.ndarray:
        """The noise that model.py draws: `sample_noise(1, frames, manual_seed(seed))[0]`."""
        noise = torch_randn(frames * self.config.noise_size, seed)
        return noise.reshape(frames, self.config.noise_size) * np.float32(self.config.noise_std)

    def parameter_count(self) -> int:
        """Trainable parameters, as model.parameter_count counts them (BatchNorm statistics
        are buffers, not parameters)."""
        return sum(v.size for k, v in self.w.items() if ".running_" not in k)

    def _linear(self, name: str, x: np.ndarray) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _batch_norm(self, name: str, x: np.ndarray) -> np.ndarray:
        scale = self.w[f"{name}.weight"] / np.sqrt(self.w[f"{name}.running_var"] + NORM_EPS)
        return (x - self.w[f"{name}.running_mean"]) * scale + self.w[f"{name}.bias"]

    def _gru(self, name: str, x: np.ndarray, suffix: str, reverse: bool) -> np.ndarray:
        """One direction of one GRU layer over (B, T, in) -> (B, T, hidden); gates r, z, n."""
        w_hh = self.w[f"{name}.weight_hh_{suffix}"].T
        b_hh = self.w[f"{name}.bias_hh_{suffix}"]
        gates_x = x @ self.w[f"{name}.weight_ih_{suffix}"].T + self.w[f"{name}.bias_ih_{suffix}"]
        batch, frames, _ = x.shape
        hidden = w_hh.shape[0]
        h = np.zeros((batch, hidden), dtype=np.float32)
        out = np.empty((batch, frames, hidden), dtype=np.float32)
        for t in range(frames - 1, -1, -1) if reverse else range(frames):
            gx = gates_x[:, t]
            gh = h @ w_hh + b_hh
            r = _sigmoid(gx[:, :hidden] + gh[:, :hidden])
            z = _sigmoid(gx[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden])
            n = np.tanh(gx[:, 2 * hidden :] + r * gh[:, 2 * hidden :])
            h = (1.0 - z) * n + z * h
            out[:, t] = h
        return out

    def _music(self, audio: np.ndarray) -> np.ndarray:
        x = self._linear("music.audio_encoder.net.0", audio)
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        x = (x - mean) / np.sqrt(var + NORM_EPS)
        x = (
            x * self.w["music.audio_encoder.net.1.weight"]
            + self.w["music.audio_encoder.net.1.bias"]
        )
        x = np.tanh(self._linear("music.audio_encoder.net.3", np.maximum(x, 0.0)))
        for layer in range(self.config.rnn_layers):
            name, suffix = "music.rnn", f"l{layer}"
            x = np.concatenate(
                [
                    self._gru(name, x, suffix, reverse=False),
                    self._gru(name, x, f"{suffix}_reverse", reverse=True),
                ],
                axis=-1,
            )
        return self._linear("music.proj", x)

    def __call__(self, audio: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Poses for (B, T, n_features) audio and (B, T, noise_size) noise: (B, T, 18, 2)."""
        audio = np.asarray(audio, dtype=np.float32)
        batch, frames = audio.shape[:2]
        music = self._music(audio)
        noise_features = self._gru("noise_rnn", np.asarray(noise, np.float32), "l0", False)
        h = np.concatenate([music, np.tanh(noise_features)], axis=-1).reshape(batch * frames, -1)
        h = self._linear("decoder_in", h)
        for block in range(self.config.decoder_blocks):
            f = f"blocks.{block}.f"
            y = np.maximum(self._batch_norm(f"{f}.1", self._linear(f"{f}.0", h)), 0.0)
            y = np.maximum(self._batch_norm(f"{f}.4", self._linear(f"{f}.3", y)), 0.0)
            h = h + y
        return np.tanh(self._linear("head", h)).reshape(batch, frames, N_JOINTS, 2)


def load_numpy_model(path: str | Path | None = None, *, require_trained: bool = True) -> Any:
    """The generator for inference, as cheaply as the file allows.

    A "features" safetensors checkpoint (the shipped one) loads as a `NumpyGenerator`, without
    importing torch; anything else (a training .pt file, the "raw" front end) as model.py's
    torch `Generator` through `load_model`. `generate` takes either.

    Raises:
        NoTrainedModelError, ModelError: as `load_model`.
    """
    path = locate(path)
    if path.suffix in checkpoint.TORCH_SUFFIXES:
        return _load_torch(path, require_trained)
    stored = checkpoint.read(path, format=CHECKPOINT_FORMAT, what="generator", framework="np")
    try:
        config = checkpoint.config_from_dict(GeneratorConfig, stored.config)
    except (ValueError, TypeError) as err:
        raise ModelError(f"{path}: incompatible generator config: {err}") from err
    if config.frontend != "features":
        return _load_torch(path, require_trained)
    weights = {
        name: np.ascontiguousarray(value, dtype=np.float32)
        for name, value in stored.tensors.items()
        if not name.endswith("num_batches_tracked")  # a counter, not a weight
    }
    if {k: v.shape for k, v in weights.items()} != _expected_shapes(config):
        raise ModelError(f"{path}: weights do not match the config")
    if require_trained:
        check_trained(path, stored.meta)
    model = NumpyGenerator(config, weights)
    model.meta = stored.meta
    return model


def _load_torch(path: Path, require_trained: bool) -> Any:
    from .model import load_model

    return load_model(path, require_trained=require_trained)


def _expected_shapes(config: GeneratorConfig) -> dict[str, tuple[int, ...]]:
    """Parameter shapes model.py's Generator has for config (what load_state_dict checks)."""
    code, hidden, width = config.audio_code_size, config.rnn_hidden, config.decoder_width
    shapes: dict[str, tuple[int, ...]] = {
        "music.audio_encoder.net.0.weight": (code, config.audio_input_size),
        "music.audio_encoder.net.0.bias": (code,),
        "music.audio_encoder.net.1.weight": (code,),
        "music.audio_encoder.net.1.bias": (code,),
        "music.audio_encoder.net.3.weight": (code, code),
        "music.audio_encoder.net.3.bias": (code,),
        "music.proj.weight": (code, 2 * hidden),
        "music.proj.bias": (code,),
        "decoder_in.weight": (width, code + config.noise_size),
        "decoder_in.bias": (width,),
        "head.weight": (2 * N_JOINTS, width),
        "head.bias": (2 * N_JOINTS,),
    }
    for layer in range(config.rnn_layers):
        n_in = code if layer == 0 else 2 * hidden
        for suffix in (f"l{layer}", f"l{layer}_reverse"):
            shapes[f"music.rnn.weight_ih_{suffix}"] = (3 * hidden, n_in)
            shapes[f"music.rnn.weight_hh_{suffix}"] = (3 * hidden, hidden)
            shapes[f"music.rnn.bias_ih_{suffix}"] = (3 * hidden,)
            shapes[f"music.rnn.bias_hh_{suffix}"] = (3 * hidden,)
    noise = config.noise_size
    shapes |= {
        "noise_rnn.weight_ih_l0": (3 * noise, noise),
        "noise_rnn.weight_hh_l0": (3 * noise, noise),
        "noise_rnn.bias_ih_l0": (3 * noise,),
        "noise_rnn.bias_hh_l0": (3 * noise,),
    }
    for block in range(config.decoder_blocks):
        for linear, norm in ((0, 1), (3, 4)):
            shapes[f"blocks.{block}.f.{linear}.weight"] = (width, width)
            shapes[f"blocks.{block}.f.{linear}.bias"] = (width,)
            for stat in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"blocks.{block}.f.{norm}.{stat}"] = (width,)
    return shapes
