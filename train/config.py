"""Training configuration: one typed dataclass and named presets.

`paper` reproduces the paper's sizes and hyperparameters (meant for a GPU); `cpu` is a smaller
model that trains in about 90 minutes on a 2-core CPU; `ballroom` is the recipe of the
ballroom-only generator (`cpu` with rhythm inputs and the beat-alignment loss,
checkpoints/generator-ballroom.safetensors); `styles`, `styles-critic` then `styles-motion` (each
resuming the last), then `styles-variation` or `styles-lead` (a new run from the last's
generator) is the shipped generator's (dance styles from all the motion at hand,
checkpoints/generator.safetensors); `tiny` is for tests. Every
loss term has its own weight, so ablations are a config change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from dance.checkpoint import config_from_dict
from dance.model import GeneratorConfig
from dance.variation import VARIATION_FEATURES

FEATURES = ("mel", "onset", "chroma")  # the librosa front end's per-frame feature blocks
STYLE_FEATURES = ("beat", "beat2", "tempo")  # beat-grid inputs only: motion-only clips have them
STYLES = ("waltz", "tango", "chacha", "rumba", "modern", "street")  # the styles preset's
STYLES_CRITIC_EPOCHS = 7  # where stage 2 of the shipped recipe ends (epoch 3 to this)
STYLES_MOTION_EPOCHS = 9  # where stage 3 ends (from stage 2's best epoch to this)
STYLES_VARIATION_EPOCHS = 5  # stage 4's epochs, a fresh run started from stage 3's generator
STYLES_LEAD_EPOCHS = 6  # the shipped stage 4 (styles-lead): its epoch 6 had the lowest val FID_k
STYLES_WARMUP_STEPS = 1082  # stage 4's first epoch (1,082 batches) trains its new discriminators


@dataclass(frozen=True)
class LossWeights:
    """Weights of the generator and discriminator loss terms; 0 switches a term off.

    Attributes:
        adv_frame: adversarial loss from the local (frame-window) discriminator.
        adv_seq: adversarial loss from the audio-conditioned sequence discriminator.
        feature_matching: L1 between the sequence discriminator's pose features of real and
            generated dances.
        l1: L1 between generated and real poses (the paper uses 200).
        perceptual: the ST-GCN pose perceptual loss (needs a pretrained ST-GCN).
        gradient_penalty: the penalty on the sequence discriminator's gradient norm.
        mismatch: the sequence discriminator also learns to reject real dances paired with
            another window's music (a matching-aware discriminator; not in the paper).
        motion_statistics: L1 between each window's per-joint speed and spread, generated
            vs real, so that the model moves as much as dancers do (not in the paper).
        motion_distribution: L1 between each window's sorted per-frame joint speeds,
            accelerations and offsets, generated vs real: the whole distribution, so that no
            single frame can meet it (losses.motion_distribution; not in the paper).
        saturation: how far the generator's output goes past the knee of its final tanh,
            where it has no gradient (losses.saturation; not in the paper).
        jitter: how much more of the generated window's velocity power lies in the jitter
            metric's high band than of the real window's (losses.jitter; not in the paper).
        lead: how far each generated window's right/left balance of limb travel is from its
            real window's, whose side the lead input tells (losses.lead; not in the paper).
        beat_alignment: asks the joints to slow down on the music's beats (see
            losses.beat_alignment; needs "beat" among the generator's features; not in the
            paper).
        seed_diversity: a hinge that asks two noise samples for the same music to differ by
            seed_diversity_target on average, so that seeds give different dances. Each
            batch then holds half as many windows, each twice (not in the paper).
        style_classification: cross-entropy of a frozen style classifier, trained on the
            run's real windows, on the generated dance against the requested style (see
            train/style_critic.py; needs a generator with styles; not in the paper).
        manner_classification: the same with a second critic, which tells the manners apart
            (which manner number of the variation input is the largest; see
            TrainConfig.critic_target), so that a run can ask for the style and the manner at
            once (needs the variation input; not in the paper).
        style_confidence: when above 0, the style_classification term counts only the
            windows whose requested class the critic gives less than this probability, and
            only by how far (a hinge on the cross-entropy at -log(style_confidence)): a dance
            the critic already recognises is not pushed further towards its style's most
            typical pose, which made a style's dances alike (not in the paper).
    """

    adv_frame: float = 1.0
    adv_seq: float = 1.0
    feature_matching: float = 1.0
    l1: float = 200.0
    perceptual: float = 1.0
    gradient_penalty: float = 1.0
    mismatch: float = 0.0
    motion_statistics: float = 0.0
    motion_distribution: float = 0.0
    saturation: float = 0.0
    jitter: float = 0.0
    lead: float = 0.0
    seed_diversity: float = 0.0
    beat_alignment: float = 0.0
    style_classification: float = 0.0
    manner_classification: float = 0.0
    seed_diversity_target: float = 0.03
    style_confidence: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; saved in every training checkpoint.

    Attributes:
        generator: the generator's architecture (shared with inference).
        losses: loss weights.
        d_width: width multiplier of both HCN discriminators (1.0 = the paper's).
        d_rnn_layers: GRU layers of the sequence discriminator's music encoder (None: as
            many as the generator's, the paper's choice).
        seq_fusion: how the sequence discriminator joins music and pose: "additive" is the
            paper's (it cannot judge whether they match); "interaction" adds their product
            and a hidden layer so that it can.
        stgcn_checkpoint: the pretrained ST-GCN for the perceptual loss (train.pretrain_stgcn).
        stgcn_block_weights: weight of each ST-GCN block's features (the paper's 20, 5, 1...).
        batch_size: windows per step per process.
        lr_g, lr_frame_d, lr_seq_d: Adam learning rates.
        epochs: passes over the training windows.
        max_minutes: stop (and save) after this much wall time; None for no limit.
        window_stride: frames between the starts of training windows.
        mirror: mirror half of the windows left-right (a dance mirrored fits the same music).
        seed: seeds initialisation, data order and noise.
        log_every, checkpoint_every: in optimiser steps.
        val_every, render_every: in epochs.
        val_seconds: length of the validation dances generated for the metrics.
        keep: which generator the run exports as generator.safetensors: "best" (the epoch
            with the lowest validation FID_k) or "last" (the newest weights).
        d_warmup_steps: the run's first steps train the discriminators only, so that a run
            started from a trained generator (`--init`) with new discriminators does not
            learn from their first, untrained judgements.
        critic_target: what the style critic (losses.style_classification) learns to tell
            apart and asks of the generated dance: "style", the requested style (the style
            one-hot), or "manner", which of the last len(styles) manner numbers of the
            variation input is the largest (with six styles: lean, arm and leg speed, bounce,
            arm range, turning). "manner" is what stage 4 of 2026-12-02 trained with by
            mistake (its critic read the input's last columns, which the variation input
            had made manner numbers); its dances were two to three times as varied as the
            same run's with the style as the target (checkpoints/README.md, section 4), so
            the shipped recipe keeps it.
    """

    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    losses: LossWeights = field(default_factory=LossWeights)
    d_width: float = 1.0
    d_rnn_layers: int | None = None
    seq_fusion: str = "additive"
    stgcn_checkpoint: str | None = "checkpoints/stgcn.safetensors"
    stgcn_block_weights: tuple[float, ...] = (20.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    batch_size: int = 16
    lr_g: float = 3e-4
    lr_frame_d: float = 3e-4
    lr_seq_d: float = 5e-4
    epochs: int = 400
    max_minutes: float | None = None
    window_stride: int = 5
    mirror: bool = False
    seed: int = 0
    log_every: int = 10
    checkpoint_every: int = 200
    val_every: int = 5
    render_every: int = 25
    val_seconds: float = 30.0
    keep: str = "best"
    d_warmup_steps: int = 0
    critic_target: str = "style"

    def __post_init__(self) -> None:
        if self.keep not in ("best", "last"):
            raise ValueError(f"keep must be 'best' or 'last', got {self.keep!r}")
        if self.critic_target not in ("style", "manner"):
            raise ValueError(
                f"critic_target must be 'style' or 'manner', got {self.critic_target!r}"
            )
        if self.critic_target == "manner" and not self.generator.variation:
            raise ValueError("critic_target='manner' needs the variation input")
        if self.losses.manner_classification > 0 and not self.generator.variation:
            raise ValueError("the manner_classification loss needs the variation input")

    def critic_columns(self) -> slice:
        """The input columns whose argmax the style critic learns (see critic_target)."""
        if self.critic_target == "style":
            return self.generator.style_slice
        return self.manner_columns()

    def manner_columns(self) -> slice:
        """The variation input's last len(styles) manner numbers, which a manner critic tells
        apart by their argmax (never the lead column after them)."""
        g = self.generator
        end = g.style_slice.stop + len(VARIATION_FEATURES)  # the manner's last column
        return slice(end - len(g.styles), end)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        data["generator"] = config_from_dict(GeneratorConfig, data["generator"])
        data["losses"] = LossWeights(**data["losses"])
        data["stgcn_block_weights"] = tuple(data["stgcn_block_weights"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


PRESETS: dict[str, TrainConfig] = {
    # The paper's generator (about 9 M parameters), discriminators, losses and optimiser.
    "paper": TrainConfig(stgcn_checkpoint="checkpoints/stgcn-paper.safetensors"),
    # Small enough to train well in about 90 minutes on 2 CPU cores.
    "cpu": TrainConfig(
        generator=GeneratorConfig(
            frontend="features",
            features=FEATURES,
            audio_code_size=128,
            rnn_hidden=128,
            decoder_width=512,
            decoder_blocks=3,
            window_frames=50,
        ),
        losses=LossWeights(mismatch=1.0, motion_statistics=500.0, seed_diversity=200.0),
        d_width=0.25,
        d_rnn_layers=1,
        seq_fusion="interaction",
        stgcn_checkpoint="checkpoints/stgcn.safetensors",
        stgcn_block_weights=(20.0, 5.0, 1.0, 1.0),
        batch_size=16,
        epochs=400,
        max_minutes=85.0,
        mirror=True,
        log_every=20,
        checkpoint_every=100,
        val_every=1,
        render_every=10,
    ),
    # A few seconds per step on any machine: for tests.
    "tiny": TrainConfig(
        generator=GeneratorConfig(
            frontend="features",
            features=FEATURES,
            audio_code_size=16,
            rnn_hidden=16,
            rnn_layers=1,
            decoder_width=32,
            decoder_blocks=1,
            window_frames=20,
        ),
        losses=LossWeights(mismatch=1.0, perceptual=0.0, motion_statistics=1.0, seed_diversity=1.0),
        d_width=0.125,
        seq_fusion="interaction",
        stgcn_checkpoint=None,
        stgcn_block_weights=(1.0, 1.0),
        batch_size=4,
        epochs=2,
        window_stride=10,
        log_every=1,
        checkpoint_every=2,
        val_every=1,
        render_every=0,
        val_seconds=4.0,
    ),
}
# Dance styles from all the real motion at hand (ballroom with music, G1 Moves and CMU motion
# only): the cpu sizes with rhythm inputs from each dance's own beat grid, a style input, the
# beat-alignment loss, styles balanced, time-warped and mirrored copies, windows every 2 s.
# Stage 1 of the shipped generator's recipe (checkpoints/README.md): three epochs.
PRESETS["styles"] = replace(
    PRESETS["cpu"],
    generator=replace(PRESETS["cpu"].generator, features=STYLE_FEATURES, styles=STYLES),
    losses=replace(PRESETS["cpu"].losses, beat_alignment=5.0),
    epochs=3,
    max_minutes=None,
    window_stride=20,
    render_every=0,
)
# Stage 2: the same run resumed (`--resume`) with the style critic's term
# (train/style_critic.py), which teaches the generator to dance the style it is asked for;
# the run keeps the epoch with the lowest validation FID_k.
PRESETS["styles-critic"] = replace(
    PRESETS["styles"],
    losses=replace(PRESETS["styles"].losses, style_classification=3.0),
    epochs=STYLES_CRITIC_EPOCHS,
)
# Stage 3: resumed from stage 2's best epoch with the window-mean motion statistics replaced by
# the per-frame distribution (losses.motion_distribution), the saturated output layer of stage
# 2's last frame pulled back (losses.saturation), an "energy" input (the music's loudness; in
# training the dance's own speed; the resumed input layer is widened, train/widen.py), seeds
# asked to differ by 0.05 and the style critic's weight doubled; it exports its last epoch.
PRESETS["styles-motion"] = replace(
    PRESETS["styles-critic"],
    generator=replace(PRESETS["styles-critic"].generator, features=(*STYLE_FEATURES, "energy")),
    losses=replace(
        PRESETS["styles-critic"].losses,
        motion_statistics=0.0,
        motion_distribution=500.0,
        saturation=10.0,
        seed_diversity_target=0.05,
        style_classification=6.0,
    ),
    epochs=STYLES_MOTION_EPOCHS,
    keep="last",
)
# Stage 4: a new run started from the stage-3 generator's weights (`--init`) with the variation
# input added (dance.variation; zero weights at first), new discriminators that train alone
# for the first epoch, and the jitter term; four epochs of the generator after that. Its critic
# tells manners apart, not styles (TrainConfig.critic_target).
PRESETS["styles-variation"] = replace(
    PRESETS["styles-motion"],
    generator=replace(PRESETS["styles-motion"].generator, variation=True),
    losses=replace(PRESETS["styles-motion"].losses, jitter=20.0),
    epochs=STYLES_VARIATION_EPOCHS,
    d_warmup_steps=STYLES_WARMUP_STEPS,
    critic_target="manner",
)
# Stage 4 with the lead input (dance.variation.lead_columns): which side of the body leads each
# window, so that a window and its mirror image are no longer the same request; one epoch more.
# It exports the epoch with the lowest validation FID_k: over seeds 0-3 that epoch met the
# most per-style checks of epochs 3-6 in every run (33, 22, 23, 23; checkpoints/README.md,
# section 4), and for seed 0, the shipped run, it is the last epoch anyway.
PRESETS["styles-lead"] = replace(
    PRESETS["styles-variation"],
    generator=replace(PRESETS["styles-variation"].generator, lead=True),
    epochs=STYLES_LEAD_EPOCHS,
    keep="best",
)
# Stage 4 with two critics: one asks for the requested style (critic_target="style"), the
# other for the requested manner (losses.manner_classification). With the manner critic alone
# a style drifts from its prototype (the waltz shakes); with the style critic alone the
# dances of a style are alike. Measured with both: still alike (Div_k 0.49-0.84 of the real at
# epoch 5), 27 of the 42 per-style checks; an ablation (checkpoints/README.md, section 4).
PRESETS["styles-both"] = replace(
    PRESETS["styles-lead"],
    losses=replace(PRESETS["styles-lead"].losses, manner_classification=6.0),
    epochs=STYLES_VARIATION_EPOCHS,
    critic_target="style",
    keep="last",  # as its ablation run exported
)
# The ballroom-only generator's recipe (docs/model-card-ballroom.md): the cpu preset with the
# rhythm inputs (beat phase and local pulse) and the beat-alignment loss; `--preset ballroom`
# is the same as `--preset cpu --features mel,onset,chroma,beat,pulse --loss beat_alignment=5`.
PRESETS["ballroom"] = replace(
    PRESETS["cpu"],
    generator=replace(PRESETS["cpu"].generator, features=(*FEATURES, "beat", "pulse")),
    losses=replace(PRESETS["cpu"].losses, beat_alignment=5.0),
)


def preset(name: str, **overrides: Any) -> TrainConfig:
    """A preset with fields replaced, e.g. preset("cpu", epochs=10)."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
    return replace(PRESETS[name], **overrides)
