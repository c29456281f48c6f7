"""Loss terms of the paper's GAN: small functions, and the table of the generator's terms.

GENERATOR_TERMS names each term of the generator's loss; its weight is the LossWeights field
of the same name (0 switches it off), and the trainer sums weight x term in table order.
Adding a term is a function here, an entry in the table and a weight in config.LossWeights.
Adversarial terms use BCE on logits (the paper's sigmoid + BCE, computed stably).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from dance.analysis import FEATURE_SIZES
from dance.audio import MODEL_FPS
from dance.metrics.quality import JITTER_BAND_HZ
from dance.model import GeneratorConfig
from dance.skeleton import JOINT, PAPER_HEIGHT, PAPER_WIDTH

from .data.variation import LEAD_LIMBS
from .stgcn import STGCN
from .style_critic import style_targets


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


def motion_distribution(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 between sorted per-frame motion within each window: each joint's speeds,
    accelerations and offsets from its mean position, generated vs real (not in the paper).

    motion_statistics compares window means, and a generator can meet a mean with one wild
    frame: the shipped generator of 2026-12-02 jumped at the last frame of every training
    window (a speed of 1.0 against 0.02) and moved at 0.44 of the real speed everywhere else,
    where the cross-fade of the inference windows hides the jump. Sorting each window's
    per-frame values over time and comparing them rank by rank matches the whole distribution
    (a 1-D Wasserstein distance): one outlier frame only pays for its own rank, and the other
    frames must move as fast as the real ones. Like the statistics, it ignores when each move
    happens.
    """

    def profile(x: torch.Tensor) -> torch.Tensor:
        velocity = x[:, 1:] - x[:, :-1]
        speed = velocity.norm(dim=-1)  # (B, T-1, 18)
        accel = (velocity[:, 1:] - velocity[:, :-1]).norm(dim=-1)  # (B, T-2, 18)
        offset = (x - x.mean(dim=1, keepdim=True)).flatten(2)  # (B, T, 36)
        return torch.cat(
            [
                speed.sort(dim=1).values.flatten(1),
                accel.sort(dim=1).values.flatten(1),
                offset.sort(dim=1).values.flatten(1),
            ],
            dim=1,
        )

    return (profile(fake) - profile(real)).abs().mean()


def velocity_band_share(poses: torch.Tensor, fps: float) -> torch.Tensor:
    """Share of each window's joint-velocity power in JITTER_BAND_HZ, as the jitter metric
    (dance.metrics.quality.jitter) measures it: (B,) for (B, T, 18, 2) normalised poses."""
    scale = poses.new_tensor([PAPER_WIDTH / 2, PAPER_HEIGHT / 2])  # pixels: one scale for x, y
    velocity = (poses[:, 1:] - poses[:, :-1]) * scale
    velocity = velocity - velocity.mean(dim=1, keepdim=True)
    power = torch.fft.rfft(velocity, dim=1).abs().square().sum(dim=(2, 3))  # (B, freqs)
    freqs = torch.fft.rfftfreq(velocity.shape[1], d=1.0 / fps).to(poses.device)
    low, high = JITTER_BAND_HZ
    total = power[:, (freqs > 0) & (freqs <= high)].sum(dim=1)
    return power[:, (freqs >= low) & (freqs <= high)].sum(dim=1) / (total + 1e-8)


def jitter(fake: torch.Tensor, real: torch.Tensor, fps: float) -> torch.Tensor:
    """Hinge on how much more of the generated window's velocity power lies in the jitter
    band than of its real window's (not in the paper).

    The style generator of 2026-12-02 shook: 1.5 to 4.3 times the real dances' jitter in four
    styles, highest in the smooth waltz. L1 and the distribution terms do not see it (a
    tremor of a few pixels costs little of either); this term asks for no more high-band
    motion than the real window has, and leaves smoother windows alone.
    """
    return torch.relu(velocity_band_share(fake, fps) - velocity_band_share(real, fps)).mean()


RIGHT_LIMBS = [JOINT[f"right_{limb}"] for limb in LEAD_LIMBS]
LEFT_LIMBS = [JOINT[f"left_{limb}"] for limb in LEAD_LIMBS]
TRAVEL_FLOOR_PX = 1.0  # pixels added to a side's travel before the log: a still window is even


def lateral_balance(poses: torch.Tensor) -> torch.Tensor:
    """log(right / left) of how far the wrists, elbows, knees and ankles travel in each window
    (B, T, 18, 2), in pixels: positive when the right side moves more (the measure behind the
    lead input, train/data/variation.lead_side, as a number)."""
    scale = poses.new_tensor([PAPER_WIDTH / 2, PAPER_HEIGHT / 2])
    travel = ((poses[:, 1:] - poses[:, :-1]) * scale).norm(dim=-1).sum(dim=1)  # (B, 18)
    right = travel[:, RIGHT_LIMBS].sum(dim=1) + TRAVEL_FLOOR_PX
    left = travel[:, LEFT_LIMBS].sum(dim=1) + TRAVEL_FLOOR_PX
    return right.log() - left.log()


def lead(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """How far each generated window's lateral balance is from its real window's (not in the
    paper).

    The real window's side is the lead input the generator was given, and the real windows are
    mirrored half the time, so their balance averages out. The style generator of 2026-12-02
    ignored that input and moved its left limbs more in every style (the street dancer's left
    ankle 1.8 times as fast as its right; real 0.97): adversarial terms can be fooled by one
    of a pair of mirror images, and no other term compares the two sides. Fine-tuning the
    shipped generator with it, or training stage 4 with it from stage 3, evens the sides but
    met 24 and 26 of the 42 per-style checks against the shipped 33 (checkpoints/README.md,
    section 4), so no preset uses it.
    """
    return (lateral_balance(fake) - lateral_balance(real)).abs().mean()


SATURATION_LIMIT = 3.0  # |pre-activation| where tanh is 0.995 and its slope 0.01


def saturation(preactivation: torch.Tensor, limit: float = SATURATION_LIMIT) -> torch.Tensor:
    """How far the generator's output layer goes past `limit` before its tanh (not in the
    paper).

    A pose coordinate whose pre-activation runs far past the tanh's knee sits at +-1 with no
    gradient, so no other term can bring it back: the style generator of 2026-12-02 put every
    joint of the last frame of every window there (pre-activations of 27 against 0.2 in the
    other frames), a frame the discriminators could always tell from a dancer's. This term
    has a gradient exactly there, and none while the output stays inside the dancers' range.
    """
    return torch.relu(preactivation.abs() - limit).mean()


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
    """How fast the dance moves on the music's beats, relative to its mean speed (not in the
    paper).

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
    pairs = zip(fake_feats, real_feats, strict=True)
    return sum((f - r.detach()).abs().mean() for f, r in pairs)  # type: ignore[return-value]


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


def beat_phase_column(config: GeneratorConfig) -> int:
    """Column of sin(beat phase) in the generator's input (cos follows it), for the beat loss.

    Raises:
        ValueError: the generator is not given the beat phase.
    """
    if config.frontend != "features" or "beat" not in config.features:
        raise ValueError(
            "the beat_alignment loss needs the 'beat' feature in the generator's input "
            f"(frontend={config.frontend!r}, features={list(config.features)})"
        )
    names = list(config.features)
    return sum(FEATURE_SIZES[n] for n in names[: names.index("beat")])


@dataclass
class GeneratorBatch:
    """What the generator's loss terms see for one batch.

    audio (B, T, inputs), real and fake (B, T, 18, 2). With seed-diversity pairs, the first
    `half` windows come twice with different noise. The discriminators are the unwrapped,
    frozen modules; `logs` collects extra figures a term reports besides its value.
    """

    audio: torch.Tensor
    real: torch.Tensor
    fake: torch.Tensor
    frame_d: nn.Module
    seq_d: nn.Module
    stgcn: STGCN | None
    stgcn_block_weights: tuple[float, ...]
    beat_column: int
    seed_diversity_target: float
    half: int | None
    style_confidence: float = 0.0  # LossWeights.style_confidence
    style_critic: nn.Module | None = None
    style_columns: slice | None = None  # where the style one-hot lies in `audio`
    manner_critic: nn.Module | None = None
    manner_columns: slice | None = None  # the manner numbers the manner critic tells apart
    preactivation: torch.Tensor | None = None  # the generator's output layer, before its tanh
    fps: float = MODEL_FPS  # pose frames per second, for the jitter term
    logs: dict[str, float] = field(default_factory=dict)


def _feature_matching_term(b: GeneratorBatch) -> torch.Tensor:
    b.seq_d.eval()  # the paper switches dropout off for this term
    term = feature_matching(b.seq_d.pose_features(b.fake), b.seq_d.pose_features(b.real))
    b.seq_d.train()
    return term


def _seed_diversity_term(b: GeneratorBatch) -> torch.Tensor | None:
    if b.half is None:
        return None  # a batch of one window has no pair
    first, second = b.fake[: b.half], b.fake[b.half :]
    b.logs["g/seed_difference"] = (first - second).abs().mean().item()
    return seed_diversity(first, second, b.seed_diversity_target)


def _beat_alignment_term(b: GeneratorBatch) -> torch.Tensor:
    col = b.beat_column
    return beat_alignment(b.fake, torch.atan2(b.audio[..., col], b.audio[..., col + 1]))


def _critic_term(
    b: GeneratorBatch,
    critic: nn.Module | None,
    columns: slice | None,
    name: str,
    confidence: float = 0.0,
) -> torch.Tensor | None:
    """Cross-entropy of a frozen critic on the generated dance against the argmax of the input
    `columns`, each window's counted only above -log(confidence) when confidence > 0; logs the
    critic's accuracy as g/<name>_accuracy."""
    if critic is None:
        return None
    if columns is None:
        raise ValueError(f"the {name}_classification term needs the batch's {name}_columns")
    logits = critic(b.fake)
    target = style_targets(b.audio, columns)
    b.logs[f"g/{name}_accuracy"] = (logits.argmax(dim=1) == target).float().mean().item()
    if not confidence:
        return F.cross_entropy(logits, target)
    per_window = F.cross_entropy(logits, target, reduction="none")
    return F.relu(per_window + math.log(confidence)).mean()


def _saturation_term(b: GeneratorBatch) -> torch.Tensor | None:
    if b.preactivation is None:
        return None
    return saturation(b.preactivation)


def _perceptual_term(b: GeneratorBatch) -> torch.Tensor | None:
    if b.stgcn is None:
        return None
    return perceptual(b.stgcn, b.fake, b.real, b.stgcn_block_weights)


@dataclass(frozen=True)
class Term:
    """One term of the generator's loss: `name` is its LossWeights field and its log key
    (g/<name>); `fn` gives its value, or None when it does not apply to this batch."""

    name: str
    fn: Callable[[GeneratorBatch], torch.Tensor | None]


# In the order they are summed (and their networks run, which fixes the random draws).
GENERATOR_TERMS: tuple[Term, ...] = (
    Term("adv_frame", lambda b: bce_real(b.frame_d(b.fake))),
    Term("adv_seq", lambda b: bce_real(b.seq_d(b.fake, b.audio))),
    Term("feature_matching", _feature_matching_term),
    Term("l1", lambda b: pose_l1(b.fake, b.real)),
    Term("seed_diversity", _seed_diversity_term),
    Term("motion_statistics", lambda b: motion_statistics(b.fake, b.real)),
    Term("motion_distribution", lambda b: motion_distribution(b.fake, b.real)),
    Term("saturation", _saturation_term),
    Term("jitter", lambda b: jitter(b.fake, b.real, b.fps)),
    Term("lead", lambda b: lead(b.fake, b.real)),
    Term("beat_alignment", _beat_alignment_term),
    Term("perceptual", _perceptual_term),
    Term(
        "style_classification",
        lambda b: _critic_term(b, b.style_critic, b.style_columns, "style", b.style_confidence),
    ),
    Term(
        "manner_classification",
        lambda b: _critic_term(b, b.manner_critic, b.manner_columns, "manner"),
    ),
)


def generator_loss(
    batch: GeneratorBatch, weights: dict[str, float]
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of the table's terms with a nonzero weight, and each term's value.

    Args:
        batch: the batch and the networks the terms need.
        weights: term name -> weight (LossWeights as a dict).

    Returns:
        (total, logs): the loss to back-propagate; g/<name> per term plus the terms' extras.
    """
    total = torch.zeros((), device=batch.fake.device)
    logs: dict[str, float] = {}
    for term in GENERATOR_TERMS:
        weight = weights[term.name]
        if not weight:
            continue
        value = term.fn(batch)
        if value is None:
            continue
        total = total + weight * value
        logs[f"g/{term.name}"] = value.item()
        logs.update(batch.logs)  # the term's extras right after it
        batch.logs.clear()
    return total, logs
