"""Cross-modal matching (the paper's metric): music and dance encoders in one embedding space.

Two small recurrent encoders map 5 s of music features and 5 s of poses to unit vectors; a
dance that suits its music lands near it. They are trained on the real training dances by
evaluation/crossmodal_train.py with a symmetric contrastive (InfoNCE) loss; docs/metrics.md
says why that replaces the paper's MMD-NCA. This module owns the networks, their file format, the
inputs they eat, and the scores built on them:

* retrieval: for each music window, rank N dance windows by cosine similarity; top-k accuracy
  is the share whose own dance window is among the first k (chance k / N);
* matching: a dance's windows against its own music windows: the mean cosine, and the AUC
  (share of other songs' music windows less similar to the dance than its own; 0.5 = chance).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import checkpoint
from ..analysis import FEATURE_SIZES, MusicAnalysis, frame_features
from ..audio import MODEL_FPS
from ..errors import ModelError
from ..model import CHECKPOINT_DIR
from ..skeleton import JOINT, N_JOINTS, norm_to_px
from .common import WINDOW_S, to_rate

CROSSMODAL_FORMAT = "dance-crossmodal/1"  # bumped whenever the file layout changes
DEFAULT_CROSSMODAL = CHECKPOINT_DIR / "crossmodal.safetensors"
DANCE_INPUT_SIZE = 4 * N_JOINTS  # body-relative x, y and their velocities per joint
ATTENTION_SIZE = 32  # hidden size of the attention-pooling scorer


@dataclass(frozen=True)
class CrossModalConfig:
    """Everything needed to rebuild the encoders; saved inside the weights file.

    Attributes:
        music_features: dance.analysis feature blocks the music encoder reads, in order.
        hidden: GRU hidden size per direction.
        layers: GRU layers.
        embed: size of the shared embedding.
        dropout: between GRU layers and in the head.
        window_frames: frames per window (WINDOW_S at fps).
        fps: frame rate of both inputs (MODEL_FPS).
    """

    music_features: tuple[str, ...] = ("mel", "onset", "beat", "pulse")
    hidden: int = 32
    layers: int = 2
    embed: int = 64
    dropout: float = 0.3
    window_frames: int = int(WINDOW_S * MODEL_FPS)
    fps: int = MODEL_FPS

    def __post_init__(self) -> None:
        object.__setattr__(self, "music_features", tuple(self.music_features))
        unknown = [f for f in self.music_features if f not in FEATURE_SIZES]
        if unknown:
            raise ValueError(f"unknown music feature blocks {unknown}")

    @property
    def music_input_size(self) -> int:
        return sum(FEATURE_SIZES[f] for f in self.music_features)


class SequenceEncoder(nn.Module):
    """(B, T, inputs) -> (B, embed) unit vectors: projection, BiGRU, attention + max pool, MLP."""

    def __init__(self, n_inputs: int, config: CrossModalConfig) -> None:
        super().__init__()
        h = config.hidden
        self.inp = nn.Sequential(nn.Linear(n_inputs, h), nn.LayerNorm(h), nn.ReLU())
        self.rnn = nn.GRU(
            h,
            h,
            num_layers=config.layers,
            batch_first=True,
            bidirectional=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        # Structured self-attention pooling, one hop (as in the paper's dance encoder), plus
        # max pooling: a periodic input averages out over time, its peaks do not. The paper
        # ends in BatchNorm; here that stopped learning on the real data (loss at chance).
        self.score = nn.Sequential(
            nn.Linear(2 * h, ATTENTION_SIZE), nn.Tanh(), nn.Linear(ATTENTION_SIZE, 1)
        )
        self.head = nn.Sequential(
            nn.Linear(4 * h, 2 * h),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(2 * h, config.embed),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.inp(x))
        weights = torch.softmax(self.score(h), dim=1)  # (B, T, 1)
        pooled = torch.cat([(weights * h).sum(dim=1), h.amax(dim=1)], dim=-1)
        return nn.functional.normalize(self.head(pooled), dim=-1)


class CrossModal(nn.Module):
    """The music encoder, the dance encoder and the contrastive temperature (as a log scale)."""

    def __init__(self, config: CrossModalConfig) -> None:
        super().__init__()
        self.config = config
        self.music = SequenceEncoder(config.music_input_size, config)
        self.dance = SequenceEncoder(DANCE_INPUT_SIZE, config)
        self.logit_scale = nn.Parameter(torch.tensor(float(np.log(1 / 0.07))))  # CLIP's init
        self.meta: dict[str, Any] = {}


def dance_input(poses_norm: np.ndarray, fps: float = MODEL_FPS) -> np.ndarray:
    """What the dance encoder eats: (..., T, 18, 2) normalised poses -> (..., T, 72) float32.

    Per window (the leading axes are windows): x relative to the mid-hip of each frame (travel
    removed), y relative to the window's median mid-hip height, both in units of the window's
    median torso length, plus their velocities in torso lengths per second.
    """
    px = norm_to_px(poses_norm).astype(np.float64)
    mid_hip = 0.5 * (px[..., JOINT["right_hip"], :] + px[..., JOINT["left_hip"], :])
    torso = np.linalg.norm(px[..., JOINT["neck"], :] - mid_hip, axis=-1)
    unit = np.maximum(np.median(torso, axis=-1), 1e-6)[..., None, None, None]
    rel = px.copy()
    rel[..., 0] -= mid_hip[..., None, 0]
    rel[..., 1] -= np.median(mid_hip[..., 1], axis=-1)[..., None, None]
    rel /= unit
    vel = np.diff(rel, axis=-3, prepend=rel[..., :1, :, :]) * fps
    out = np.concatenate([rel, vel], axis=-1)
    return out.reshape(out.shape[:-2] + (DANCE_INPUT_SIZE,)).astype(np.float32)


def music_input(
    samples: np.ndarray, config: CrossModalConfig, n_frames: int, analysis: MusicAnalysis
) -> np.ndarray:
    """What the music encoder eats for a song: (n_frames, music_input_size) float32."""
    return frame_features(samples, config.music_features, n_frames, analysis)


def windows(x: np.ndarray, window: int) -> np.ndarray:
    """Cut (T, ...) into non-overlapping (n, window, ...); a shorter sequence is one window."""
    if x.shape[0] < window:
        return x[None]
    n = x.shape[0] // window
    return x[: n * window].reshape((n, window) + x.shape[1:])


@torch.no_grad()
def embed(encoder: SequenceEncoder, inputs: np.ndarray, batch: int = 256) -> np.ndarray:
    """Embed windows (n, T, inputs) -> (n, embed) float32 unit vectors."""
    encoder.eval()
    out = [
        encoder(torch.from_numpy(np.ascontiguousarray(inputs[i : i + batch], dtype=np.float32)))
        for i in range(0, inputs.shape[0], batch)
    ]
    return torch.cat(out).numpy()


def embed_dance(model: CrossModal, keypoints: np.ndarray, fps: float) -> np.ndarray:
    """Embeddings of a dance's windows: keypoints (frames, 18, 2) at any fps -> (n, embed)."""
    poses = to_rate(keypoints, fps, model.config.fps)
    return embed(model.dance, dance_input(windows(poses, model.config.window_frames)))


def embed_music(model: CrossModal, features: np.ndarray) -> np.ndarray:
    """Embeddings of music windows: features (frames, F) at config.fps -> (n, embed)."""
    return embed(model.music, windows(features, model.config.window_frames))


@dataclass(frozen=True)
class Matching:
    """How well a dance matches its music in the learned space.

    Attributes:
        cosine: mean cosine similarity of paired (same-time) dance and music windows.
        auc: mean over dance windows of the share of pool music windows (other songs) that are
            less similar to the dance window than its own music window; 0.5 = chance. NaN
            without a pool.
        n_windows: windows compared.
    """

    cosine: float
    auc: float
    n_windows: int


def matching(dance_emb: np.ndarray, music_emb: np.ndarray, pool: np.ndarray | None) -> Matching:
    """Score paired windows (n, E) x (n, E); pool (m, E) holds other songs' music windows."""
    n = min(dance_emb.shape[0], music_emb.shape[0])
    dance_emb, music_emb = dance_emb[:n], music_emb[:n]
    own = np.sum(dance_emb * music_emb, axis=1)
    auc = float("nan")
    if pool is not None and pool.shape[0] > 0:
        others = dance_emb @ pool.T  # (n, m)
        auc = float(np.mean((others < own[:, None]) + 0.5 * (others == own[:, None])))
    return Matching(cosine=float(own.mean()), auc=auc, n_windows=int(n))


@dataclass(frozen=True)
class Retrieval:
    """Music-to-dance retrieval among N candidate dance windows.

    Attributes:
        top1, top5: share of music windows whose own dance window ranks first / in the top 5.
        same_dance_top1: share whose first-ranked window comes from the right dance.
        n: number of candidates (and of queries); chance is k / n.
    """

    top1: float
    top5: float
    same_dance_top1: float
    n: int


def retrieval(music_emb: np.ndarray, dance_emb: np.ndarray, groups: np.ndarray) -> Retrieval:
    """Rank all dance windows for each music window; row i of both is the same moment.

    Args:
        music_emb, dance_emb: (n, E) paired unit vectors.
        groups: (n,) which dance each window belongs to.
    """
    sim = music_emb @ dance_emb.T
    own = np.diag(sim)
    rank = (sim > own[:, None]).sum(axis=1)  # 0 = first
    best = np.argmax(sim, axis=1)
    return Retrieval(
        top1=float(np.mean(rank < 1)),
        top5=float(np.mean(rank < 5)),
        same_dance_top1=float(np.mean(groups[best] == groups)),
        n=int(sim.shape[0]),
    )


def save_crossmodal(model: CrossModal, path: str | Path, meta: dict[str, Any]) -> Path:
    """Write the encoders, their config and a training record as one safetensors file."""
    return checkpoint.save(model, path, format=CROSSMODAL_FORMAT, meta=meta)


def load_crossmodal(path: str | Path | None = None) -> CrossModal:
    """Load the encoders in eval mode (default: checkpoints/crossmodal.safetensors).

    Raises:
        ModelError: the file is missing, unreadable or of another format.
    """
    path = Path(path) if path is not None else DEFAULT_CROSSMODAL
    if not path.is_file():
        raise ModelError(
            f"{path}: no cross-modal encoder weights; train them with "
            "`python -m evaluation.crossmodal_train --data ../shared/data/ballroom`"
        )
    stored = checkpoint.read(path, format=CROSSMODAL_FORMAT, what="cross-modal encoder")
    return checkpoint.build(stored, CrossModalConfig, CrossModal, "cross-modal encoder").eval()
