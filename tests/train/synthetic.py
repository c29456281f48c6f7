"""Builders of tiny synthetic datasets in each supported layout (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

MOCAP_FPS = 25
SR = 22_050
BPM = 120.0

# A standing mocap skeleton in the ballroom layout (cm, root-relative, y up), facing +z, so
# the dancer's left (side B) is +x and the right (side A) is -x.
TEMPLATE_CM = np.array(
    [
        [-5, 70, 0],  # 0 head, side A
        [5, 70, 0],  # 1 head, side B
        [0, 12, 0],  # 2 pelvis
        [-15, 50, 0],  # 3 shoulder A
        [-18, 22, 0],  # 4 elbow A
        [-19, 10, 0],  # 5 forearm A
        [-20, -2, 0],  # 6 wrist A
        [-10, 0, 0],  # 7 hip A
        [-10, -45, 0],  # 8 knee A
        [-10, -88, 0],  # 9 ankle A
        [-10, -95, -5],  # 10 heel A
        [-10, -97, 12],  # 11 toe A
        [15, 50, 0],  # 12 shoulder B
        [18, 22, 0],  # 13 elbow B
        [19, 10, 0],  # 14 forearm B
        [20, -2, 0],  # 15 wrist B
        [10, 0, 0],  # 16 hip B
        [10, -45, 0],  # 17 knee B
        [10, -88, 0],  # 18 ankle B
        [10, -95, -5],  # 19 heel B
        [10, -97, 12],  # 20 toe B
        [19, 8, 0],  # 21 helper B
        [-20, -4, 0],  # 22 helper A
    ],
    dtype=np.float32,
)


def click_track(seconds: float, sr: int = SR, bpm: float = BPM) -> np.ndarray:
    """A tone bed with a click on every beat."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.05 * np.sin(2 * np.pi * 220 * t)
    for beat in np.arange(0, seconds, 60 / bpm):
        i = int(beat * sr)
        n = min(int(0.03 * sr), y.size - i)
        y[i : i + n] += (
            0.6
            * np.exp(-np.arange(n) / (0.005 * sr))
            * np.sin(2 * np.pi * 1000 * np.arange(n) / sr)
        )
    return y.astype(np.float32)


def mocap_motion(seconds: float, phase: float = 0.0, yaw_deg: float = 0.0) -> tuple:
    """Joints (T, 23, 3) and root (T, 3) in cm: arms and hips swinging on the beat."""
    frames = int(seconds * MOCAP_FPS)
    t = np.arange(frames) / MOCAP_FPS
    swing = np.sin(2 * np.pi * BPM / 60 * t + phase)
    joints = np.repeat(TEMPLATE_CM[None], frames, axis=0).copy()
    for j in (4, 5, 6, 22):  # right arm up and down
        joints[:, j, 1] += 15 * swing
    for j in (13, 14, 15, 21):  # left arm opposite
        joints[:, j, 1] -= 15 * swing
    yaw = np.deg2rad(yaw_deg)
    rot = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    joints = joints @ rot.T
    center = np.stack([20 * np.sin(0.3 * t), 97 + 3 * swing, 10 * t], axis=1)
    return joints.astype(np.float32), center.astype(np.float32)


def write_ballroom(root: Path, names: dict[str, str], seconds: float = 12.0) -> Path:
    """A ballroom-layout folder: dances.csv plus DANCE_*/{motion.npz, audio.ogg}."""
    root.mkdir(parents=True, exist_ok=True)
    rows = ["name,genre,frames,seconds,split,config_span_frames,span_minus_frames"]
    for k, (name, split) in enumerate(names.items()):
        folder = root / name
        folder.mkdir()
        joints, center = mocap_motion(seconds, phase=k)
        genre = {"C": "cha-cha", "R": "rumba", "T": "tango", "W": "waltz"}[name.split("_")[1]]
        np.savez_compressed(
            folder / "motion.npz",
            joints=joints,
            center=center,
            fps=np.int32(MOCAP_FPS),
            genre=np.str_(genre),
            source_span=np.array([0, len(joints)], np.int32),
        )
        sf.write(folder / "audio.ogg", click_track(len(joints) / MOCAP_FPS), SR)
        rows.append(f"{name},{genre},{len(joints)},{seconds:.2f},{split},{len(joints)},0")
    (root / "dances.csv").write_text("\n".join(rows) + "\n")
    return root
