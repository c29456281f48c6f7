"""Training windows: fixed-length (music, poses) pieces of prepared clips, for the DataLoader."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from dance.skeleton import mirror_norm

from .features import PreparedClip
from .variation import lead_side

MAX_STYLE_REPEAT = 4  # a style with few windows is repeated at most this often per epoch


class WindowDataset(Dataset):
    """Every window of `window` frames at `stride` across clips; optionally each also mirrored;
    clips of a smaller style repeated (see MAX_STYLE_REPEAT).

    Items are (audio (W, A), poses (W, 18, 2)) float tensors. The index is deterministic, so a
    seeded sampler gives the same batches on every run.
    """

    def __init__(
        self,
        clips: list[PreparedClip],
        window: int,
        stride: int,
        mirror: bool = False,
        lead: bool = False,
    ) -> None:
        self.clips = clips
        self.window = window
        self.lead = lead
        per_style: dict[str, list[tuple[int, int, bool]]] = {}
        for ci, clip in enumerate(clips):
            for start in range(0, clip.poses.shape[0] - window + 1, stride):
                entries = per_style.setdefault(clip.style, [])
                entries.append((ci, start, False))
                if mirror:
                    entries.append((ci, start, True))
        # Styles are balanced by repeating the windows of the smaller ones (up to
        # MAX_STYLE_REPEAT times), so 30 waltzes do not drown one tango.
        largest = max((len(v) for v in per_style.values()), default=0)
        self.index: list[tuple[int, int, bool]] = []
        for entries in per_style.values():
            repeat = min(MAX_STYLE_REPEAT, max(1, round(largest / len(entries))))
            self.index.extend(entries * repeat)
        if not self.index:
            raise ValueError(f"no clip is at least {window} frames long")

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        ci, start, mirrored = self.index[i]
        clip = self.clips[ci]
        poses = clip.poses[start : start + self.window]
        if mirrored:
            poses = mirror_norm(poses)
        audio = clip.audio[start : start + self.window]
        if self.lead:  # the last column: which side leads this window, as it is served
            audio = audio.copy()
            audio[:, -1] = lead_side(poses)
        return torch.from_numpy(np.ascontiguousarray(audio)), torch.from_numpy(
            np.ascontiguousarray(poses, dtype=np.float32)
        )
