"""Loss terms of the paper's GAN, each a small function so that ablations can drop any of them.

Adversarial terms use BCE on logits (the paper's sigmoid + BCE, computed stably).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .stgcn import STGCN


def bce_real(logits: torch.Tensor) -> torch.Tensor:
    """BCE against the label "real" (1)."""
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def bce_fake(logits: torch.Tensor) -> torch.Tensor:
    """BCE against the label "fake" (0)."""
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))


def pose_l1(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean absolute error between pose sequences (B, T, 18, 2)."""
    return (fake - real).abs().mean()


def motion_statistics(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 between per-window motion statistics: each joint coordinate's mean speed,
    acceleration and spread.

    L1 on poses asks for the average of every dance the music allows, which barely moves;
    statistics of a window do not depend on when each move happens, so matching them asks for
    real dances' amount of motion without asking for their exact timing. The acceleration
    term holds shaking to real dances' level (not in the paper).
    """

    def stats(x: torch.Tensor) -> torch.Tensor:
        velocity = x[:, 1:] - x[:, :-1]
        speed = velocity.abs().mean(dim=1)  # (B, 18, 2)
        accel = (velocity[:, 1:] - velocity[:, :-1]).abs().mean(dim=1)  # (B, 18, 2)
        spread = x.std(dim=1)  # (B, 18, 2)
        return torch.cat([speed.flatten(1), accel.flatten(1), spread.flatten(1)], dim=1)

    return (stats(fake) - stats(real)).abs().mean()


def seed_diversity(first: torch.Tensor, second: torch.Tensor, target: float) -> torch.Tensor:
    """Hinge on how different two dances to the same music with different noise are.

    A mode-seeking term (after Mao et al., CVPR 2019): L1 and the perceptual loss pull every
    noise sample towards the one real dance, so the generator learns to ignore its noise and
    every seed gives the same dance. This asks the mean absolute pose difference between two
    samples to reach `target` (normalised units) and stops pushing once it does.
    """
    return torch.relu(target - (first - second).abs().mean())


def beat_alignment(
    poses: torch.Tensor, phase: torch.Tensor, sharpness: float = 4.0
) -> torch.Tensor:
    """How fast the dance moves on the music's beats, relative to its mean speed (not in the paper).

    Motion beats are the minima of joint speed (dance.metrics), so a dance on the beat slows
    down as each beat lands. The real dances here are not phase-locked to their music, so no
    imitation term can teach this; this term asks for it directly. Each frame's weight peaks
    at a beat, exp(sharpness * (cos(phase) - 1)), and the weighted mean speed is divided by
    the window's mean speed, so it cannot be lowered by moving less overall (the
    motion-statistics term holds the amount of motion).

    Args:
        poses: (B, T, 18, 2) generated poses.
        phase: (B, T) beat phase in radians at each frame (0 on a beat).
    """
    speed = (poses[:, 2:] - poses[:, :-2]).norm(dim=-1).mean(dim=-1) / 2  # (B, T-2), central
    weight = torch.exp(sharpness * (torch.cos(phase[:, 1:-1]) - 1))
    on_beat = (weight * speed).sum(dim=1) / weight.sum(dim=1).clamp_min(1e-6)
    return (on_beat / (speed.mean(dim=1) + 1e-4)).mean()


def feature_matching(
    fake_feats: list[torch.Tensor], real_feats: list[torch.Tensor]
) -> torch.Tensor:
    """Sum over taps of the L1 between discriminator features; real features are constants."""
    return sum((f - r.detach()).abs().mean() for f, r in zip(fake_feats, real_feats, strict=True))  # type: ignore[return-value]


def perceptual(
    stgcn: STGCN, fake: torch.Tensor, real: torch.Tensor, weights: tuple[float, ...]
) -> torch.Tensor:
    """The pose perceptual loss: weighted L1 between frozen ST-GCN block features.

    Raises:
        ValueError: the number of weights differs from the ST-GCN's number of blocks.
    """
    fake_feats = stgcn.features(fake)
    with torch.no_grad():
        real_feats = stgcn.features(real)
    if len(weights) != len(fake_feats):
        raise ValueError(
            f"{len(weights)} perceptual block weights for an ST-GCN with {len(fake_feats)} blocks"
        )
    return sum(
        w * (f - r).abs().mean() for w, f, r in zip(weights, fake_feats, real_feats, strict=True)
    )  # type: ignore[return-value]


def gradient_penalty(
    score: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, audio: torch.Tensor
) -> torch.Tensor:
    """WGAN-GP penalty (||grad_x D(x_hat, audio)|| - 1)^2 at random real/fake interpolations.

    As in the paper's code, it is applied to the sequence discriminator only, and the gradient
    is taken with respect to the poses (the audio is the same for real and fake).
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = score(mixed, audio)
    (grad,) = torch.autograd.grad(out.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
