"""Discriminators, ST-GCN and every loss term: shapes, finiteness and a backward pass."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import dance
from dance.model import CHECKPOINT_DIR, Generator
from train import losses
from train.config import PRESETS, LossWeights
from train.discriminators import FrameDiscriminator, SequenceDiscriminator
from train.stgcn import STGCN, STGCNConfig, load_stgcn, save_stgcn, spatial_adjacency

TINY = PRESETS["tiny"].generator
SMALL_STGCN = STGCNConfig(channels=(8, 8, 16), strides=(1, 2, 1), n_classes=3)


def poses(batch: int = 3, frames: int = 20, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, frames, 18, 2, generator=g) - 0.5).requires_grad_(True)


def audio(batch: int = 3, frames: int = 20) -> torch.Tensor:
    return torch.randn(batch, frames, TINY.audio_input_size)


def grads_flow(module: torch.nn.Module) -> bool:
    return any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


@pytest.mark.parametrize("frames", [20, 50])
def test_frame_discriminator_scores_overlapping_windows(frames: int) -> None:
    d = FrameDiscriminator(width=0.125)
    x = poses(frames=frames)
    out = d(x)
    assert out.shape == (3, (frames - 5) // 3 + 1)  # 16 windows for the paper's 50 frames
    out.sum().backward()
    assert grads_flow(d) and x.grad is not None


def test_paper_discriminator_sizes() -> None:
    paper = PRESETS["paper"]
    n_frame = sum(p.numel() for p in FrameDiscriminator(1.0).parameters())
    n_seq = sum(p.numel() for p in SequenceDiscriminator(paper.generator, 1.0).parameters())
    assert n_frame == pytest.approx(1.55e6, rel=0.01)  # paper.md: about 1.55 M
    assert n_seq == pytest.approx(3.79e6, rel=0.01)  # paper.md: about 3.79 M


@pytest.mark.parametrize("fusion", ["additive", "interaction"])
def test_sequence_discriminator(fusion: str) -> None:
    d = SequenceDiscriminator(TINY, width=0.125, fusion=fusion)
    x, a = poses(), audio()
    out = d(x, a)
    assert out.shape == (3,)
    out.sum().backward()
    assert grads_flow(d.music) and grads_flow(d.hcn)
    feats = d.pose_features(x.detach())
    assert len(feats) == 6 and all(f.shape[0] == 3 for f in feats)


def test_interaction_fusion_can_score_music_pose_agreement() -> None:
    """Additive fusion is f(audio) + g(pose): swapping music between two clips cannot change
    the sum of their scores. Interaction fusion can."""
    torch.manual_seed(0)
    x, a = poses(batch=2), audio(batch=2)
    for fusion, can in [("additive", False), ("interaction", True)]:
        d = SequenceDiscriminator(TINY, width=0.125, fusion=fusion).eval()
        matched = d(x, a).sum()
        swapped = d(x, a.flip(0)).sum()
        assert (abs(matched - swapped).item() > 1e-4) == can, fusion


def test_every_generator_loss_term_backpropagates() -> None:
    torch.manual_seed(0)
    g = Generator(TINY)
    frame_d = FrameDiscriminator(0.125)
    seq_d = SequenceDiscriminator(TINY, 0.125, "interaction")
    stgcn = STGCN(SMALL_STGCN).eval()
    a, real = audio(), poses().detach()
    fake = g(a, g.sample_noise(3, 20))
    terms = {
        "adv_frame": losses.bce_real(frame_d(fake)),
        "adv_seq": losses.bce_real(seq_d(fake, a)),
        "feature_matching": losses.feature_matching(
            seq_d.pose_features(fake), seq_d.pose_features(real)
        ),
        "l1": losses.pose_l1(fake, real),
        "motion_statistics": losses.motion_statistics(fake, real),
        "motion_distribution": losses.motion_distribution(fake, real),
        "seed_diversity": losses.seed_diversity(fake, g(a, g.sample_noise(3, 20)), 0.5),
        "perceptual": losses.perceptual(stgcn, fake, real, (20.0, 5.0, 1.0)),
        "beat_alignment": losses.beat_alignment(fake, torch.rand(3, 20) * 6.28),
        "lead": losses.lead(fake, real),
    }
    for name, term in terms.items():
        assert term.ndim == 0 and torch.isfinite(term), name
        g.zero_grad()
        term.backward(retain_graph=True)
        assert grads_flow(g), f"{name} does not reach the generator"
    assert terms["l1"].item() > 0
    # Motion statistics ignore timing: a dance shifted in time matches itself exactly.
    assert losses.motion_statistics(real.roll(5, dims=1), real).item() < 0.02
    assert losses.motion_statistics(real * 0.3, real).item() > 0.05
    # The diversity hinge stops pushing once two samples differ by the target.
    assert losses.seed_diversity(real, real + 0.2, 0.1).item() == 0.0
    assert losses.seed_diversity(real, real, 0.1).item() == pytest.approx(0.1)
    with pytest.raises(ValueError, match="block weights"):
        losses.perceptual(stgcn, fake, real, (1.0,))


def test_motion_distribution_cannot_be_met_by_one_wild_frame() -> None:
    # A joint swinging steadily, and a figure that stands still but for one jump at the end
    # that gives it the same mean speed: the window means agree, the distributions do not.
    t = torch.arange(50, dtype=torch.float32)
    real = torch.zeros(1, 50, 18, 2)
    real[0, :, :, 0] = 0.2 * torch.sin(2 * math.pi * t / 10)[:, None]
    mean_speed = (real[:, 1:] - real[:, :-1]).norm(dim=-1).mean()
    still_then_jump = torch.zeros_like(real)
    still_then_jump[0, -1, :, 0] = mean_speed * 49
    jump_speed = (still_then_jump[:, 1:] - still_then_jump[:, :-1]).norm(dim=-1).mean()
    assert jump_speed.item() == pytest.approx(mean_speed.item(), rel=1e-4)
    slower = real * 0.5
    jump = losses.motion_distribution(still_then_jump, real).item()
    assert jump > 2 * losses.motion_distribution(slower, real).item()
    # Timing does not matter: the same swing half a period later matches itself.
    assert losses.motion_distribution(real.roll(5, dims=1), real).item() < 1e-5
    # Its gradient asks the still frames to move.
    fake = still_then_jump.clone().requires_grad_(True)
    losses.motion_distribution(fake, real).backward()
    assert fake.grad[0, 10:40].abs().sum().item() > 0


def test_the_jitter_term_matches_the_metric_and_spares_smooth_windows() -> None:
    from dance.metrics.quality import jitter as jitter_metric
    from dance.skeleton import norm_to_px

    fps = 25
    t = torch.arange(50) / fps
    smooth = torch.zeros(1, 50, 18, 2)
    smooth[..., 0] = 0.2 * torch.sin(2 * math.pi * 0.5 * t)[None, :, None]
    shaky = smooth.clone()
    shaky[..., 1] += 0.05 * torch.sin(2 * math.pi * 4.0 * t)[None, :, None]  # a 4 Hz tremor
    share = losses.velocity_band_share(torch.cat([smooth, shaky]), fps)
    assert share[0] < 0.01 < 0.3 < share[1]
    # The metric, on the same shaky window at the model's rate, agrees.
    metric = jitter_metric(norm_to_px(shaky[0].numpy()), fps)
    assert metric == pytest.approx(share[1].item(), abs=1e-3)
    fake = shaky.clone().requires_grad_(True)
    value = losses.jitter(fake, smooth, fps)
    value.backward()
    assert value.item() > 0.3 and fake.grad.abs().sum() > 0
    assert losses.jitter(smooth, shaky, fps).item() == 0.0  # smoother than the real: no cost


def test_the_lead_term_asks_for_the_real_windows_side() -> None:
    from dance.skeleton import JOINT, mirror_norm

    t = torch.arange(50, dtype=torch.float32)
    right_led = torch.zeros(1, 50, 18, 2)
    for limb in losses.LEAD_LIMBS:  # the right limbs swing three times as far as the left
        right_led[0, :, JOINT[f"right_{limb}"], 0] = 0.15 * torch.sin(t / 3)
        right_led[0, :, JOINT[f"left_{limb}"], 0] = 0.05 * torch.sin(t / 3)
    left_led = torch.from_numpy(mirror_norm(right_led.numpy()))
    balance = losses.lateral_balance(torch.cat([right_led, left_led]))
    assert balance[0].item() == pytest.approx(-balance[1].item(), abs=1e-4)
    assert balance[0].item() > 0.8  # log 3, less the one-pixel floor
    assert losses.lateral_balance(torch.zeros(1, 50, 18, 2)).item() == 0.0
    # Same side as the real window: no cost; the mirror image: the full difference, with a
    # gradient that reaches the limbs.
    assert losses.lead(right_led, right_led).item() == 0.0
    fake = left_led.clone().requires_grad_(True)
    value = losses.lead(fake, right_led)
    value.backward()
    assert value.item() == pytest.approx(2 * balance[0].item(), rel=1e-4)
    assert fake.grad[0, :, JOINT["left_wrist"]].abs().sum() > 0


def test_saturation_reaches_where_the_tanh_does_not() -> None:
    pre = torch.tensor([0.5, -2.9, 27.0, -8.0], requires_grad=True)
    value = losses.saturation(pre)
    assert value.item() == pytest.approx((24.0 + 5.0) / 4)
    value.backward()
    assert pre.grad.tolist() == pytest.approx([0.0, 0.0, 0.25, -0.25])
    # A pose beyond the knee gets no gradient through the tanh: the reason for the term.
    (torch.tanh(pre).sum()).backward()
    assert abs(pre.grad[2].item() - 0.25) < 1e-6
    assert losses.saturation(torch.full((4,), 2.5)).item() == 0.0


def test_beat_alignment_prefers_pauses_on_the_beat() -> None:
    # A joint swinging with a period of 8 frames stops at its turning points, every 4 frames.
    t = torch.arange(40, dtype=torch.float32)
    swing = torch.sin(2 * math.pi * t / 8)
    dance = torch.zeros(1, 40, 18, 2)
    dance[0, :, :, 0] = 0.1 * swing[:, None]
    on_turns = (2 * math.pi * (t - 2) / 4).unsqueeze(0)  # beats at frames 2, 6, 10...
    between = on_turns + math.pi  # beats half a beat later, mid-swing
    on, off = losses.beat_alignment(dance, on_turns), losses.beat_alignment(dance, between)
    assert on.item() < 0.3 < 1.3 < off.item()
    # Moving less overall does not help: the term is relative to the window's mean speed.
    assert losses.beat_alignment(dance * 0.1, on_turns).item() == pytest.approx(on.item(), rel=0.05)


def test_discriminator_losses_and_gradient_penalty() -> None:
    torch.manual_seed(0)
    d = SequenceDiscriminator(TINY, 0.125, "interaction")
    real, fake, a = poses().detach(), poses(seed=1).detach(), audio()
    gp = losses.gradient_penalty(d, real, fake, a)
    assert gp.ndim == 0 and torch.isfinite(gp) and gp.item() >= 0
    loss = losses.bce_real(d(real, a)) + losses.bce_fake(d(fake, a)) + gp
    loss.backward()
    assert grads_flow(d)
    # BCE on logits matches the paper's sigmoid + BCE.
    logits = torch.tensor([-2.0, 0.0, 3.0])
    expected = -torch.log(torch.sigmoid(logits)).mean()
    assert losses.bce_real(logits).item() == pytest.approx(expected.item(), rel=1e-6)


def test_stgcn_graph_and_features(tmp_path: Path) -> None:
    adj = spatial_adjacency()
    assert adj.shape == (3, 18, 18)
    # Every joint's incoming weights over the three partitions sum to one (column-normalised).
    np.testing.assert_allclose(adj.sum(axis=(0, 1)), 1.0, atol=1e-6)
    model = STGCN(SMALL_STGCN)
    feats = model.features(poses(batch=2, frames=50).detach())
    assert [f.shape for f in feats] == [(2, 8, 50, 18), (2, 8, 25, 18), (2, 16, 25, 18)]
    assert model(poses(batch=2, frames=50).detach()).shape == (2, 3)
    path = save_stgcn(model.eval(), tmp_path / "stgcn.safetensors", {"heldout_accuracy": 0.5})
    loaded = load_stgcn(path)
    x = poses(batch=2, frames=50).detach()
    torch.testing.assert_close(loaded(x), model(x))
    assert loaded.meta["heldout_accuracy"] == 0.5
    assert not any(p.requires_grad for p in loaded.parameters())  # frozen for the loss


def test_pretrain_stgcn_learns_to_tell_dances_apart() -> None:
    from train.data import Clip
    from train.pretrain_stgcn import pretrain

    rng = np.random.default_rng(0)
    t = np.arange(300) / 10
    clips = []
    for k in range(3):  # three "dances": different joints move at different rates
        p = np.zeros((300, 18, 2), np.float32) + rng.normal(0, 0.01, (300, 18, 2))
        p[:, 4 + 3 * k, 1] += 0.3 * np.sin(2 * np.pi * (0.5 + k) * t)
        clips.append(Clip(f"d{k}", "test", "", "train", p.astype(np.float32), 10, None))
    model, record = pretrain(clips, SMALL_STGCN, steps=60, batch_size=16, progress=False)
    assert record["heldout_accuracy"] > record["chance"] + 0.3
    assert model.config.n_classes == 3


def test_d_rnn_layers_option_builds_a_smaller_music_branch() -> None:
    cfg = dataclasses.replace(TINY, rnn_layers=2)
    one = SequenceDiscriminator(dataclasses.replace(cfg, rnn_layers=1), 0.125)
    two = SequenceDiscriminator(cfg, 0.125)
    assert one.music.rnn.num_layers == 1 and two.music.rnn.num_layers == 2


def test_every_generator_term_has_a_weight_and_every_weight_a_use() -> None:
    weights = {f.name for f in dataclasses.fields(LossWeights)}
    terms = [t.name for t in losses.GENERATOR_TERMS]
    assert len(set(terms)) == len(terms)
    assert set(terms) <= weights
    # The rest weigh the discriminators' terms or parameterise a generator term.
    assert weights - set(terms) == {
        "gradient_penalty",
        "mismatch",
        "seed_diversity_target",
        "style_confidence",
    }


def test_the_ballroom_preset_is_the_ballroom_generators_recipe() -> None:
    shipped = PRESETS["ballroom"]
    flags = dataclasses.replace(
        PRESETS["cpu"],
        generator=dataclasses.replace(
            PRESETS["cpu"].generator, features=("mel", "onset", "chroma", "beat", "pulse")
        ),
        losses=dataclasses.replace(PRESETS["cpu"].losses, beat_alignment=5.0),
    )
    assert shipped == flags
    ballroom = dance.load_model(CHECKPOINT_DIR / "generator-ballroom.safetensors")
    assert ballroom.config == shipped.generator


def test_the_styles_preset_is_the_shipped_generators_recipe() -> None:
    # The recipe's last stage (styles-lead) made it; its inputs add "energy" to stage 1's and
    # the variation and lead inputs; training filled in the manner rows (one per clip).
    model = dance.load_model(CHECKPOINT_DIR / "generator.safetensors")
    assert dataclasses.replace(model.config, variations=()) == PRESETS["styles-lead"].generator
    assert {row[0] for row in model.config.variations} == set(model.config.styles)
    assert model.config.styles == ("waltz", "tango", "chacha", "rumba", "modern", "street")
