"""BVH motion capture files: parse the hierarchy and motion, and run forward kinematics.

A BVH file is a joint tree (offsets from the parent, rotation and position channels) followed
by one line of channel values per frame. This module knows the format only; which joints make
an OpenPose skeleton is the business of the loaders that use it (cmu_modern.py).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AXES = {"X": 0, "Y": 1, "Z": 2}  # channel name prefix -> coordinate
CHANNEL_KINDS = ("position", "rotation")  # channel name suffixes


class BVHError(ValueError):
    """A file that is not a readable BVH file; the message names the file and the problem."""


@dataclass(frozen=True)
class BVHJoint:
    """One joint of the tree.

    Attributes:
        name: the joint's name (End Sites are named "<parent>_end").
        parent: index of the parent joint, -1 for the root.
        offset: (3,) position relative to the parent in the file's units, in the rest pose.
        channels: channel names in file order, e.g. ("Zrotation", "Yrotation", "Xrotation").
        first_channel: column of its first channel in each motion line.
    """

    name: str
    parent: int
    offset: np.ndarray
    channels: tuple[str, ...]
    first_channel: int


@dataclass(frozen=True)
class BVH:
    """A parsed BVH file.

    Attributes:
        joints: the tree in file order (a parent always comes before its children).
        motion: (frames, n_channels) channel values; rotations in degrees.
        frame_time_s: seconds between frames.
    """

    joints: tuple[BVHJoint, ...]
    motion: np.ndarray
    frame_time_s: float

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time_s

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]

    def index(self, name: str) -> int:
        """Index of a joint by name.

        Raises:
            KeyError: no joint has that name.
        """
        for i, joint in enumerate(self.joints):
            if joint.name == name:
                return i
        raise KeyError(f"no joint named {name!r} in the BVH hierarchy")


def _read_text(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            return f.read()
    except (OSError, EOFError) as err:
        raise BVHError(f"{path}: cannot read: {err}") from err


def parse_bvh(text: str, source: str = "<string>") -> BVH:
    """Parse BVH text.

    Args:
        text: the whole file.
        source: the file's name, for error messages.

    Raises:
        BVHError: the text is not a well-formed BVH file.
    """
    tokens = text.split()
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise BVHError(f"{source}: the file ends inside the hierarchy")
        pos += 1
        return tokens[pos - 1]

    def expect(word: str) -> None:
        got = take()
        if got.upper() != word.upper():
            raise BVHError(f"{source}: expected {word!r}, found {got!r}")

    def number() -> float:
        word = take()
        try:
            return float(word)
        except ValueError:
            raise BVHError(f"{source}: expected a number, found {word!r}") from None

    joints: list[BVHJoint] = []
    n_channels = 0

    def joint(name: str, parent: int) -> None:
        nonlocal n_channels
        expect("{")
        expect("OFFSET")
        offset = np.array([number(), number(), number()])
        channels: tuple[str, ...] = ()
        if pos < len(tokens) and tokens[pos].upper() == "CHANNELS":
            take()
            count = int(number())
            channels = tuple(take() for _ in range(count))
            bad = [c for c in channels if c[:1] not in AXES or c[1:] not in CHANNEL_KINDS]
            if bad:
                raise BVHError(f"{source}: joint {name!r} has unknown channels {bad}")
        index = len(joints)
        joints.append(BVHJoint(name, parent, offset, channels, n_channels))
        n_channels += len(channels)
        while True:
            word = take()
            if word.upper() == "JOINT":
                joint(take(), index)
            elif word.upper() == "END":
                take()  # "Site"
                expect("{")
                expect("OFFSET")
                end = np.array([number(), number(), number()])
                expect("}")
                joints.append(BVHJoint(f"{name}_end", index, end, (), n_channels))
            elif word == "}":
                return
            else:
                raise BVHError(f"{source}: unexpected {word!r} in joint {name!r}")

    if not tokens or tokens[0].upper() != "HIERARCHY":
        raise BVHError(f"{source}: not a BVH file (it does not start with HIERARCHY)")
    take()
    expect("ROOT")
    joint(take(), -1)
    expect("MOTION")
    expect("Frames:")
    n_frames = int(number())
    expect("Frame")
    expect("Time:")
    frame_time = number()
    if not frame_time > 0:
        raise BVHError(f"{source}: frame time must be positive, got {frame_time}")
    values = tokens[pos:]
    if n_frames < 1 or len(values) < n_frames * n_channels:
        raise BVHError(
            f"{source}: header says {n_frames} frames of {n_channels} channels, "
            f"but the file holds {len(values)} numbers"
        )
    try:
        motion = np.array(values[: n_frames * n_channels], dtype=np.float64)
    except ValueError:
        raise BVHError(
            f"{source}: the motion section holds something that is not a number"
        ) from None
    return BVH(tuple(joints), motion.reshape(n_frames, n_channels), frame_time)


def read_bvh(path: str | Path) -> BVH:
    """Read a `.bvh` or gzipped `.bvh.gz` file.

    Raises:
        BVHError: missing, unreadable or malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise BVHError(f"{path}: no such file")
    return parse_bvh(_read_text(path), str(path))


def _axis_rotation(axis: int, degrees: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) rotations about one axis."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    r = np.zeros((a.shape[0], 3, 3))
    i, j = [k for k in range(3) if k != axis]
    r[:, axis, axis] = 1.0
    r[:, i, i] = c
    r[:, j, j] = c
    r[:, i, j] = -s
    r[:, j, i] = s
    return r


def forward_kinematics(bvh: BVH) -> np.ndarray:
    """World positions of every joint in every frame, in the file's units.

    Rotation channels compose in the order they are listed (for "Zrotation Yrotation
    Xrotation", R = Rz Ry Rx acting on column vectors), the convention of BVH exporters.

    Returns:
        (frames, n_joints, 3) positions.
    """
    frames = bvh.motion.shape[0]
    n = len(bvh.joints)
    positions = np.zeros((frames, n, 3))
    rotations = np.zeros((frames, n, 3, 3))
    for k, joint in enumerate(bvh.joints):
        local_pos = np.broadcast_to(joint.offset, (frames, 3)).copy()
        local_rot = np.broadcast_to(np.eye(3), (frames, 3, 3)).copy()
        for c, channel in enumerate(joint.channels):
            column = bvh.motion[:, joint.first_channel + c]
            axis = AXES[channel[0]]
            if channel[1:] == "position":
                # Position channels move the joint from its offset (CC rigs store the root's
                # rest height in OFFSET and small values in the channels; others have a zero
                # offset and absolute channels: adding covers both).
                local_pos[:, axis] += column
            else:
                local_rot = local_rot @ _axis_rotation(axis, column)
        if joint.parent < 0:
            positions[:, k] = local_pos
            rotations[:, k] = local_rot
        else:
            parent_rot = rotations[:, joint.parent]
            positions[:, k] = positions[:, joint.parent] + np.einsum(
                "fij,fj->fi", parent_rot, local_pos
            )
            rotations[:, k] = parent_rot @ local_rot
    return positions
