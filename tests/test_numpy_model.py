"""numpy_model.py: the numpy generator and torch's noise, against model.py's torch generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dance import errors
from dance.config import DEFAULT_CHECKPOINT
from dance.generate import generate
from dance.model import Generator, GeneratorConfig, load_model, save_checkpoint
from dance.numpy_model import NumpyGenerator, load_numpy_model, torch_randn

from .conftest import TINY

ULP = 4.8e-7  # float32 spacing at 4, about the largest normal sample


@pytest.mark.parametrize("seed", [0, 1, 7, 2**31 - 1, 2**32 + 5, 2**63 - 1])
@pytest.mark.parametrize("n", [16, 17, 30, 160, 4097])
def test_torch_randn(seed: int, n: int) -> None:
    want = torch.randn(n, generator=torch.Generator().manual_seed(seed)).numpy()
    got = torch_randn(n, seed)
    assert got.dtype == np.float32 and got.shape == (n,)
    np.testing.assert_allclose(got, want, rtol=0, atol=ULP)
    assert np.mean(got == want) > 0.5  # most values are bit-identical


def test_torch_randn_refuses_short() -> None:
    with pytest.raises(ValueError, match="n >= 16"):
        torch_randn(15, 0)


@pytest.fixture(scope="module")
def features_pair(checkpoints: dict[str, Path]) -> tuple[Generator, NumpyGenerator]:
    path = checkpoints["features"]
    runtime = load_numpy_model(path)
    assert isinstance(runtime, NumpyGenerator)
    return load_model(path), runtime


def test_forward_matches_torch(features_pair) -> None:
    model, runtime = features_pair
    rng = np.random.default_rng(0)
    audio = rng.normal(size=(3, 17, model.config.audio_input_size)).astype(np.float32)
    noise = runtime.sample_noise(51, 4).reshape(3, 17, -1)
    with torch.no_grad():
        want = model(torch.from_numpy(audio), torch.from_numpy(noise)).numpy()
    np.testing.assert_allclose(runtime(audio, noise), want, atol=2e-6)
    assert runtime.meta == model.meta and runtime.config == model.config


def test_same_dance_either_way(features_pair, song_4s: Path) -> None:
    model, runtime = features_pair
    want = generate(model, song_4s, seed=11)
    got = generate(runtime, song_4s, seed=11)
    np.testing.assert_allclose(got.keypoints, want.keypoints, atol=1e-5)
    np.testing.assert_array_equal(got.beat_times, want.beat_times)
    other = generate(runtime, song_4s, seed=12)
    assert np.abs(other.keypoints - got.keypoints).max() > 1e-3


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no shipped generator")
def test_shipped_generator_matches_torch(song_4s: Path) -> None:
    runtime = load_numpy_model(DEFAULT_CHECKPOINT)
    assert isinstance(runtime, NumpyGenerator)
    want = generate(load_model(DEFAULT_CHECKPOINT), song_4s, seed=3)
    np.testing.assert_allclose(
        generate(runtime, song_4s, seed=3).keypoints, want.keypoints, atol=1e-5
    )


def test_raw_front_end_loads_in_torch(checkpoints: dict[str, Path]) -> None:
    assert isinstance(load_numpy_model(checkpoints["raw"]), Generator)


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(errors.ModelError, match="no such checkpoint"):
        load_numpy_model(tmp_path / "missing.safetensors")
    config = GeneratorConfig(frontend="features", features=("mel",), **TINY)
    untrained = save_checkpoint(Generator(config), tmp_path / "untrained.safetensors", {})
    with pytest.raises(errors.NoTrainedModelError, match="never trained"):
        load_numpy_model(untrained)
    assert isinstance(load_numpy_model(untrained, require_trained=False), NumpyGenerator)
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x00" * 64)
    with pytest.raises(errors.ModelError, match="not a readable"):
        load_numpy_model(corrupt)


def test_cli_does_not_import_torch_or_scipy(tmp_path: Path, song_4s: Path) -> None:
    """The command line's generate path on the shipped (features) checkpoint: numpy only."""
    if not DEFAULT_CHECKPOINT.is_file():
        pytest.skip("no shipped generator")
    code = (
        "import sys; from dance.cli import main; "
        f"rc = main(['generate', {str(song_4s)!r}, '-o', {str(tmp_path / 'd.mp4')!r}, '-q']); "
        "heavy = sorted({'torch', 'scipy', 'librosa', 'numba'} & set(sys.modules)); "
        "print(rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 []"


def test_import_dance_is_light() -> None:
    """`import dance` loads nothing numerical; `dance.generate` stays the function."""
    code = (
        "import sys, dance; light = not {'numpy', 'torch'} & set(sys.modules); "
        "import dance.generate; "
        "print(light, callable(dance.generate), callable(dance.render_video))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]
