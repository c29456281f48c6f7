"""The paper's two discriminators, both HCN-style (Li et al. 2018), returning logits.

* FrameDiscriminator ("local temporal"): scores overlapping 5-frame windows of a dance.
* SequenceDiscriminator ("global content"): an HCN pose encoder over the whole window and its
  own music encoder with self-attention pooling, fused into one score.

Two defects of the released code are fixed (paper.md section 9): the music sequence is pooled
per clip (the original scrambled frames across the batch), and "interaction" fusion lets the
score depend on whether pose and music match (the original's fusion was additive). The
additive fusion stays available for a faithful ablation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dance.model import GeneratorConfig, MusicEncoder
from dance.skeleton import N_JOINTS

LOCAL_WINDOW = 5  # frames per local window
LOCAL_STRIDE = 3  # frames between local windows (16 windows over 50 frames)


def _init_hcn(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases, as the paper's model/utils.py does for HCN."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _motion(x: torch.Tensor) -> torch.Tensor:
    """Frame differences of (N, 2, T, V), resized back to T steps (HCN's motion stream)."""
    diff = x[:, :, 1:] - x[:, :, :-1]
    return F.interpolate(diff, size=x.shape[2:], mode="bilinear", align_corners=False)


def _w(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


class HCNBranch(nn.Module):
    """Point-level then co-occurrence convolutions over (N, 2, T, 18); returns each stage."""

    def __init__(self, width: float, pool: bool, dropout: float) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(2, _w(64, width), 1), nn.ReLU())
        self.conv2 = nn.Conv2d(_w(64, width), _w(32, width), (3, 1))
        # Joints become channels here: co-occurrence features across the whole skeleton.
        self.conv3 = nn.Conv2d(N_JOINTS, _w(32, width), 3, padding=1)
        self.conv4 = nn.Conv2d(_w(32, width), _w(64, width), 3, padding=1)
        self.pool = nn.MaxPool2d(2, ceil_mode=True) if pool else nn.Identity()
        self.drop = nn.Dropout2d(dropout)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        c1 = self.conv1(x)
        c2 = self.conv2(c1)
        c3 = self.pool(self.conv3(c2.permute(0, 3, 2, 1)))
        c4 = self.pool(self.drop(self.conv4(c3)))
        return [c1, c2, c3, c4]


class HCN(nn.Module):
    """Position and motion branches, fused by two convolutions; returns features per stage."""

    def __init__(self, width: float, pool: bool, dropout: float) -> None:
        super().__init__()
        self.position = HCNBranch(width, pool, dropout)
        self.motion = HCNBranch(width, pool, dropout)
        self.conv5 = nn.Sequential(
            nn.Conv2d(2 * _w(64, width), _w(128, width), 3, padding=1),
            nn.ReLU(),
            nn.Dropout2d(dropout),
            nn.MaxPool2d(2, ceil_mode=True) if pool else nn.Identity(),
        )
        self.conv6 = nn.Sequential(
            nn.Conv2d(_w(128, width), _w(256, width), 3, padding=1),
            nn.ReLU(),
            nn.Dropout2d(dropout),
            # ceil_mode keeps short, narrow inputs (tiny test models) from pooling to nothing;
            # for the paper's sizes every pooled length is even, so it changes nothing.
            nn.MaxPool2d(2, ceil_mode=pool),
        )
        self.out_channels = _w(256, width)

    def forward(self, poses: torch.Tensor) -> list[torch.Tensor]:
        """(N, T, 18, 2) -> [position conv1..conv4, conv5, conv6] feature maps."""
        x = poses.permute(0, 3, 1, 2)  # (N, 2, T, 18)
        pos = self.position(x)
        mot = self.motion(_motion(x))
        c5 = self.conv5(torch.cat([pos[-1], mot[-1]], dim=1))
        c6 = self.conv6(c5)
        return pos + [c5, c6]


class FrameDiscriminator(nn.Module):
    """Realism logits for overlapping short windows: (B, T, 18, 2) -> (B, n_windows)."""

    def __init__(self, width: float = 1.0, dropout: float = 0.5) -> None:
        super().__init__()
        self.hcn = HCN(width, pool=False, dropout=dropout)
        # After conv6's pooling a 5-frame window is (C, 1, 16): 256 * 16 = 4096 in the paper.
        flat = self.hcn.out_channels * 1 * (_w(32, width) // 2)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, _w(256, width)),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(_w(256, width), 1),
        )
        _init_hcn(self)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        b, t = poses.shape[:2]
        windows = poses.unfold(1, LOCAL_WINDOW, LOCAL_STRIDE)  # (B, n, 18, 2, 5)
        n = windows.shape[1]
        windows = windows.permute(0, 1, 4, 2, 3).reshape(b * n, LOCAL_WINDOW, N_JOINTS, 2)
        return self.head(self.hcn(windows)[-1]).view(b, n)


class SelfAttentionPool(nn.Module):
    """One-hop structured self-attention (Lin et al. 2017): (B, T, D) -> (B, D)."""

    def __init__(self, dim: int, hidden: int = 20, dropout: float = 0.5) -> None:
        super().__init__()
        self.score = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(dim, hidden, bias=False),
            nn.Tanh(),
            nn.Linear(hidden, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.score(x), dim=1)  # over time, per clip
        return (weights * x).sum(dim=1)


class SequenceDiscriminator(nn.Module):
    """Music-conditioned realism logit of a whole window: (poses, audio) -> (B,)."""

    def __init__(
        self,
        music_config: GeneratorConfig,
        width: float = 1.0,
        fusion: str = "additive",
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if fusion not in ("additive", "interaction"):
            raise ValueError(f"fusion must be 'additive' or 'interaction', got {fusion!r}")
        self.fusion = fusion
        code = music_config.audio_code_size
        self.hcn = HCN(width, pool=True, dropout=dropout)
        # Adaptive pooling to the paper's (3, 2) map keeps any window length working.
        self.pose_pool = nn.AdaptiveAvgPool2d((3, 2))
        self.pose_head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(self.hcn.out_channels * 6, 2 * code),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(2 * code, code),
        )
        _init_hcn(self.hcn)
        _init_hcn(self.pose_head)
        self.music = MusicEncoder(music_config)
        self.attention = SelfAttentionPool(code, dropout=dropout)
        if fusion == "additive":
            # The paper's head: stack as 2 channels, Conv1d(2->1, k=2), Linear(code-1 -> 1).
            self.head: nn.Module = nn.Sequential(
                nn.Conv1d(2, 1, 2), nn.Flatten(), nn.Linear(code - 1, 1)
            )
        else:
            self.head = nn.Sequential(
                nn.Linear(3 * code, code), nn.LeakyReLU(0.2), nn.Linear(code, 1)
            )

    def pose_features(self, poses: torch.Tensor) -> list[torch.Tensor]:
        """The HCN feature maps that feature matching compares."""
        return self.hcn(poses)

    def forward(self, poses: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        pose_vec = self.pose_head(self.pose_pool(self.hcn(poses)[-1]))
        music_vec = self.attention(self.music(audio))
        if self.fusion == "additive":
            return self.head(torch.stack([music_vec, pose_vec], dim=1)).squeeze(1)
        joint = torch.cat([music_vec, pose_vec, music_vec * pose_vec], dim=1)
        return self.head(joint).squeeze(1)
