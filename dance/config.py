"""What a generator is and where its file lives: `GeneratorConfig`, the format tag, the path.

model.py builds the torch network from these and numpy_model.py the numpy one, so that a process
that runs the generator in numpy never imports torch; checkpoint.py reads and writes the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .analysis import FEATURE_SIZES
from .audio import MODEL_FPS, SAMPLE_RATE, SAMPLES_PER_FRAME
from .errors import NO_TRAINED_MODEL, ModelError, NoTrainedModelError
from .variation import VARIATION_FEATURES, VariationRow

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
        variation: the generator also hears the manner of a real dancer of the style
            (dance.variation), in len(VARIATION_FEATURES) columns after the style.
        variations: one row per training clip, (style, motion tempo BPM, descriptor), that
            inference draws the manner from; filled by training (empty until then).
        lead: the generator also hears which side of the body leads (dance.variation.
            lead_columns): one column after the others, +1 when the right arm and leg move
            more than the left, -1 when the left do.
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
    variation: bool = False
    variations: tuple[VariationRow, ...] = ()
    lead: bool = False
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
        rows = tuple(
            (str(style), float(tempo), tuple(float(v) for v in values))
            for style, tempo, values in self.variations
        )  # a file's JSON gives lists
        object.__setattr__(self, "variations", rows)
        if self.variation and not self.styles:
            raise ValueError("the variation input needs a generator with styles")
        if self.lead and not self.styles:
            raise ValueError("the lead input needs a generator with styles")
        if rows and not self.variation:
            raise ValueError("variation rows without the variation input")
        for style, _, values in rows:
            if style not in self.styles or len(values) != len(VARIATION_FEATURES):
                raise ValueError(f"a variation row of {style!r} does not fit the config")

    @property
    def style_slice(self) -> slice:
        """Where the style one-hot lies in each input frame: after the feature blocks, before
        the variation columns (empty for a generator without styles)."""
        start = sum(FEATURE_SIZES[f] for f in self.features)
        return slice(start, start + len(self.styles))

    @property
    def audio_input_size(self) -> int:
        """Numbers per pose frame the audio encoder takes."""
        if self.frontend == "raw":
            return SAMPLES_PER_FRAME
        variation = len(VARIATION_FEATURES) if self.variation else 0
        lead = 1 if self.lead else 0
        return sum(FEATURE_SIZES[f] for f in self.features) + len(self.styles) + variation + lead


def default_checkpoint() -> Path:
    """The generator `load_model()` uses: $DANCE_CHECKPOINT, else DEFAULT_CHECKPOINT."""
    return Path(os.environ.get(CHECKPOINT_ENV) or DEFAULT_CHECKPOINT)


def locate(path: str | Path | None) -> Path:
    """The generator file to load: path, or `default_checkpoint()` for None; it must exist.

    Raises:
        NoTrainedModelError: None given and nothing at the default location.
        ModelError: the given file does not exist.
    """
    if path is None:
        path = default_checkpoint()
        if not path.is_file():
            reason = (
                f"{path} does not exist. Train one with `python -m train` (see README.md) or "
                "pass a checkpoint path."
            )
            raise NoTrainedModelError(f"{NO_TRAINED_MODEL}: {reason}", reason=reason)
        return path
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such checkpoint file")
    return path


def check_trained(path: Path, meta: dict[str, Any]) -> None:
    """Refuse a generator whose record shows no training steps: it would not dance.

    Raises:
        NoTrainedModelError: no training steps recorded.
    """
    if not int(meta.get("trained_steps", 0)) > 0:
        raise NoTrainedModelError(
            f"{path}: this generator was never trained (no training steps recorded), so it "
            "would not dance. Train one with `python -m train` (see README.md)."
        )
