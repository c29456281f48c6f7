"""A frozen style classifier over pose windows, whose cross-entropy teaches the generator to
dance the style it is asked for (an auxiliary-classifier term, after Odena et al. 2017's AC-GAN).

Without it the generator is told the style only through the sequence discriminator's input,
and the styles with few training windows (tango, cha-cha, rumba) come out as the majority's
waltz. The critic is trained once per run on the run's own training windows (real motion,
their style labels), saved in the run folder, and frozen; the generator is then asked that
the critic recognise the requested style in its dance. It sees neck-relative posture and
velocity through a small temporal convolution, with noise and dropout in training so that it
leans on the broad shape of a style rather than on imperceptible details the generator could
fake. The style evaluation (evaluation/styles.py) uses a different classifier (logistic
regression on hand-made window descriptors), trained on other windows.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from dance.skeleton import JOINT, N_JOINTS

log = logging.getLogger(__name__)

CRITIC_FILE = "style_critic.pt"
MANNER_CRITIC_FILE = "manner_critic.pt"  # the second critic of losses.manner_classification
CRITIC_STEPS = 600  # Adam steps of pretraining: about a minute on one CPU core
CRITIC_POSE_NOISE = 0.01  # std of the noise added to real poses in pretraining (normalised units)


def style_targets(audio: torch.Tensor, columns: slice) -> torch.Tensor:
    """The requested style index of each window, read from the style one-hot in `columns` of
    every input frame (GeneratorConfig.style_slice).

    Not "the last columns": with the variation input, those are the dancer's manner, and
    stage 4 of 2026-12-02 fitted its critic to the argmax of six manner numbers.
    """
    return audio[:, :, columns].mean(dim=1).argmax(dim=1)


class StyleCritic(nn.Module):
    """(B, T, 18, 2) normalised poses -> (B, n_styles) logits."""

    def __init__(self, n_styles: int, width: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        inputs = 4 * N_JOINTS  # neck-relative position and velocity, x and y
        self.net = nn.Sequential(
            nn.Conv1d(inputs, width, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Conv1d(width, width, 5, padding=4, dilation=2),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Conv1d(width, width, 5, padding=8, dilation=4),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(2 * width, n_styles)
        self.n_styles = n_styles

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        neck = JOINT["neck"]
        rel = poses - poses[:, :, neck : neck + 1]
        velocity = torch.diff(poses, dim=1, prepend=poses[:, :1])
        x = torch.cat([rel.flatten(2), 10.0 * velocity.flatten(2)], dim=2)  # (B, T, 72)
        h = self.net(x.transpose(1, 2))  # (B, width, T)
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)
        return self.head(pooled)


def fit_style_critic(
    dataset: Dataset, columns: slice, *, steps: int = CRITIC_STEPS, seed: int = 0
) -> tuple[StyleCritic, float]:
    """Train a critic on real windows (audio carries the style one-hot in `columns`); returns
    it frozen in eval mode, and its accuracy on its last 100 training batches in eval mode."""
    n_styles = columns.stop - columns.start
    generator = torch.Generator().manual_seed(seed)
    torch_state = torch.get_rng_state()
    torch.manual_seed(seed)
    critic = StyleCritic(n_styles)
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3, weight_decay=1e-4)
    if len(dataset) == 0:
        raise ValueError("no training windows for the style critic")
    batch = min(32, len(dataset))
    loader = DataLoader(
        dataset, batch_size=batch, shuffle=True, generator=generator, drop_last=True
    )
    step, correct, seen = 0, 0, 0
    while step < steps:
        for audio, real in loader:
            target = style_targets(audio, columns)
            noisy = real + CRITIC_POSE_NOISE * torch.randn(real.shape, generator=generator)
            critic.train()
            loss = F.cross_entropy(critic(noisy), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step > steps - 100:
                critic.eval()
                with torch.no_grad():
                    correct += int((critic(real).argmax(dim=1) == target).sum())
                seen += len(target)
            if step >= steps:
                break
    torch.set_rng_state(torch_state)  # the run's own random draws stay as without a critic
    critic.eval()
    for p in critic.parameters():
        p.requires_grad_(False)
    return critic, correct / max(seen, 1)


def load_or_fit(
    out: Path, dataset: Dataset, columns: slice, seed: int, filename: str = CRITIC_FILE
) -> StyleCritic:
    """The run's critic from `out / filename`, or a new one fitted and saved there (so resumed
    runs and the other DDP ranks use the same critic); `columns` holds what it tells apart."""
    path = out / filename
    n_styles = columns.stop - columns.start
    critic = StyleCritic(n_styles)
    if path.exists():
        critic.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        critic.eval()
        for p in critic.parameters():
            p.requires_grad_(False)
        return critic
    critic, accuracy = fit_style_critic(dataset, columns, seed=seed)
    log.info("%s: training-window accuracy %.3f over %d classes", filename, accuracy, n_styles)
    tmp = path.with_suffix(".tmp")
    torch.save(critic.state_dict(), tmp)
    tmp.replace(path)
    return critic
