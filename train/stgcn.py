"""ST-GCN (Yan et al. 2018) on the OpenPose-18 graph: the pose perceptual loss's network.

The spatial-partition graph convolution and 9-frame temporal convolutions follow the original
design; `features()` returns every block's output, which the perceptual loss compares. Weights
are pretrained in-project by train.pretrain_stgcn (the paper's GCN.pth was never released).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from dance import checkpoint
from dance.errors import ModelError
from dance.skeleton import N_JOINTS, STGCN_CENTER, STGCN_EDGES

STGCN_FORMAT = "dance-stgcn/1"


@dataclass(frozen=True)
class STGCNConfig:
    """Architecture of an ST-GCN; saved with its weights.

    Attributes:
        channels: output channels of each block (the original: 64 x4, 128 x3, 256 x3).
        strides: temporal stride of each block.
        n_classes: classes of the pretraining head.
        temporal_kernel: frames seen by each temporal convolution.
        dropout: dropout inside the temporal convolutions.
    """

    channels: tuple[int, ...] = (64, 64, 64, 64, 128, 128, 128, 256, 256, 256)
    strides: tuple[int, ...] = (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)
    n_classes: int = 16
    temporal_kernel: int = 9
    dropout: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "strides", tuple(self.strides))
        assert len(self.channels) == len(self.strides)


def spatial_adjacency() -> np.ndarray:
    """(3, 18, 18) adjacency of the spatial partition: self, centripetal, centrifugal."""
    n = N_JOINTS
    adj = np.eye(n)
    for a, b in STGCN_EDGES:
        adj[a, b] = adj[b, a] = 1
    # Hop distance from every joint to every joint (the graph is small: Floyd-Warshall).
    hop = np.where(adj > 0, 1.0, np.inf)
    np.fill_diagonal(hop, 0)
    for k in range(n):
        hop = np.minimum(hop, hop[:, k : k + 1] + hop[k : k + 1, :])
    norm = adj / adj.sum(axis=0, keepdims=True)  # column-normalised, as in the original
    parts = np.zeros((3, n, n))
    for i in range(n):
        for j in range(n):
            if adj[j, i] == 0:
                continue
            if hop[j, STGCN_CENTER] == hop[i, STGCN_CENTER]:
                parts[0, j, i] = norm[j, i]
            elif hop[j, STGCN_CENTER] > hop[i, STGCN_CENTER]:
                parts[1, j, i] = norm[j, i]
            else:
                parts[2, j, i] = norm[j, i]
    return parts.astype(np.float32)


class STGCNBlock(nn.Module):
    """Graph convolution over joints, then a temporal convolution, with a residual path."""

    def __init__(
        self, c_in: int, c_out: int, stride: int, kernel: int, dropout: float, parts: int
    ) -> None:
        super().__init__()
        self.parts = parts
        self.gcn = nn.Conv2d(c_in, c_out * parts, kernel_size=1)
        self.tcn = nn.Sequential(
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, (kernel, 1), (stride, 1), ((kernel - 1) // 2, 0)),
            nn.BatchNorm2d(c_out),
            nn.Dropout(dropout),
        )
        if c_in == c_out and stride == 1:
            self.residual: nn.Module = nn.Identity()
        else:
            self.residual = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, (stride, 1)), nn.BatchNorm2d(c_out)
            )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        y = self.gcn(x).view(n, self.parts, -1, t, v)
        y = torch.einsum("nkctv,kvw->nctw", y, adj)
        return self.relu(self.tcn(y) + self.residual(x))


class STGCN(nn.Module):
    """(B, T, 18, 2) poses -> class logits; `features` gives each block's output."""

    def __init__(self, config: STGCNConfig) -> None:
        super().__init__()
        self.config = config
        parts = spatial_adjacency()
        self.register_buffer("adjacency", torch.from_numpy(parts))
        self.data_bn = nn.BatchNorm1d(2 * N_JOINTS)
        c_in = 2
        blocks = []
        for c_out, stride in zip(config.channels, config.strides, strict=True):
            blocks.append(
                STGCNBlock(c_in, c_out, stride, config.temporal_kernel, config.dropout, len(parts))
            )
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        # Learnable edge importance, one mask per block, as in the original.
        self.edge_importance = nn.ParameterList(
            [nn.Parameter(torch.ones(parts.shape)) for _ in blocks]
        )
        self.head = nn.Conv2d(c_in, config.n_classes, kernel_size=1)
        self.meta: dict[str, Any] = {}

    def _input(self, poses: torch.Tensor) -> torch.Tensor:
        b, t, v, c = poses.shape
        x = self.data_bn(poses.reshape(b, t, v * c).transpose(1, 2))  # normalise per joint/axis
        return x.reshape(b, v, c, t).permute(0, 2, 3, 1)  # (B, C, T, V)

    def features(self, poses: torch.Tensor) -> list[torch.Tensor]:
        """Every block's output for (B, T, 18, 2) poses: a list of (B, C_i, T_i, 18)."""
        x = self._input(poses)
        out = []
        for block, importance in zip(self.blocks, self.edge_importance, strict=True):
            x = block(x, self.adjacency * importance)
            out.append(x)
        return out

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        x = self.features(poses)[-1]
        return self.head(x.mean(dim=(2, 3), keepdim=True)).flatten(1)


def save_stgcn(model: STGCN, path: str | Path, meta: dict[str, Any]) -> Path:
    """Write weights, config and metadata (classes, accuracy) as safetensors, atomically."""
    return checkpoint.save(model, path, format=STGCN_FORMAT, meta=meta)


def load_stgcn(path: str | Path) -> STGCN:
    """A frozen ST-GCN in eval mode, for the perceptual loss.

    Raises:
        ModelError: no file at path (run train.pretrain_stgcn first), or not an ST-GCN file.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(
            f"{path}: no pretrained ST-GCN; run `python -m train.pretrain_stgcn` first, or set "
            "the perceptual weight to 0"
        )
    stored = checkpoint.read(path, format=STGCN_FORMAT, what="ST-GCN")
    model = checkpoint.build(stored, STGCNConfig, STGCN, "ST-GCN").eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model
