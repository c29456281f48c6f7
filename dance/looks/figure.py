"""A body around the 18 joints: limb shapes, facing, depth order, floor. Pure numpy, no drawing.

The looks with a body (mannequin, stage) draw what this module computes, all frames at once:
tapered capsules for the limbs, hands and feet, a torso outline, a head that turns with the
face points, which side of the body is nearer the camera, and where the floor is. Sizes are
fractions of one torso length per dance (UNIT), so limbs never swell or shrink between frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import JOINT

J = JOINT
# Capsules: (name, side, from joint, to joint, radius at from, radius at to), radii in torso
# lengths. "hand" and "foot" run from the wrist / ankle to a computed tip.
CAPSULES: tuple[tuple[str, str, int, int, float, float], ...] = (
    ("upper_arm", "right", J["right_shoulder"], J["right_elbow"], 0.085, 0.062),
    ("forearm", "right", J["right_elbow"], J["right_wrist"], 0.060, 0.042),
    ("hand", "right", J["right_wrist"], -1, 0.050, 0.040),
    ("upper_arm", "left", J["left_shoulder"], J["left_elbow"], 0.085, 0.062),
    ("forearm", "left", J["left_elbow"], J["left_wrist"], 0.060, 0.042),
    ("hand", "left", J["left_wrist"], -1, 0.050, 0.040),
    ("thigh", "right", J["right_hip"], J["right_knee"], 0.115, 0.074),
    ("shin", "right", J["right_knee"], J["right_ankle"], 0.070, 0.048),
    ("foot", "right", J["right_ankle"], -1, 0.048, 0.034),
    ("thigh", "left", J["left_hip"], J["left_knee"], 0.115, 0.074),
    ("shin", "left", J["left_knee"], J["left_ankle"], 0.070, 0.048),
    ("foot", "left", J["left_ankle"], -1, 0.048, 0.034),
    ("neck", "centre", J["neck"], -1, 0.062, 0.058),
)
SLOTS = {(name, side): i for i, (name, side, *_rest) in enumerate(CAPSULES)}
LIMB_SLOTS = {  # which capsules make each limb, drawn root first
    (limb, side): [SLOTS[(part, side)] for part in parts]
    for side in ("right", "left")
    for limb, parts in (
        ("arm", ("upper_arm", "forearm", "hand")),
        ("leg", ("thigh", "shin", "foot")),
    )
}
HAND_LENGTH = 0.13  # torso lengths from the wrist to the fingertips' rounded end
FOOT_LENGTH = 0.17  # torso lengths from the ankle to the toe, seen side-on
FOOT_DROP = 0.05  # torso lengths the foot's sole sits below the ankle
HEAD_RADII = (0.19, 0.235)  # head half-width and half-height, torso lengths
HEAD_LIFT = 0.04  # the skull's centre above the mean of the face points, torso lengths
NECK_REACH = 0.55  # the neck capsule runs this fraction of the way to the head's centre
SHOULDER_PAD = 0.07  # torso lengths the torso reaches beyond each shoulder joint
HIP_PAD = 0.075  # ... and beyond each hip joint
MIN_HALF_WIDTHS = (0.15, 0.13)  # the torso's least half-width at shoulders and hips (profile)
WAIST = 0.86  # the waist's half-width, of the narrower of shoulders and hips
FACING_SCALE = 0.22  # torso lengths of nose offset from the ears that count as full profile
FACING_SMOOTH_S = 0.3  # the facing cue is averaged over this long, so noise cannot flip it
NEAR_HYSTERESIS = 0.15  # facing must pass +-this to swap the near side: no flicker at 0
FLOOR_PERCENTILE = 98.0  # of per-frame lowest ankle: where the floor is
MIN_UNIT_PX = 4.0  # canvas px; a torso shorter than this is treated as this long


@dataclass(frozen=True)
class Body:
    """The body of every frame, in canvas pixels.

    Attributes:
        unit: one torso length (neck to the hips' midpoint), median over the dance, in px.
        capsules: (frames, len(CAPSULES), 6): x0, y0, x1, y1, r0, r1 of each capsule.
        torso: (frames, 9, 2) the torso's outline, round from one side of the neck.
        head: (frames, 5): centre x, y, half-width, half-height, tilt in degrees.
        face: (frames, 2) where the face's centre is on the head (it turns with the nose).
        eyes: (frames, 2, 2) the eyes, kept inside the head.
        facing: (frames,) -1 (faces image left) to 1 (faces image right), smoothed.
        near_right: (frames,) True where the dancer's right side is nearer the camera.
        floor_y: the floor's height in px (y down).
        feet_x: (frames,) the x midway between the ankles, for the floor shadow.
        lift: (frames,) how far the lower foot is above the floor, in torso lengths (>= 0).
        spread: (frames,) half the distance between the ankles in x, px.
    """

    unit: float
    capsules: np.ndarray
    torso: np.ndarray
    head: np.ndarray
    face: np.ndarray
    eyes: np.ndarray
    facing: np.ndarray
    near_right: np.ndarray
    floor_y: float
    feet_x: np.ndarray
    lift: np.ndarray
    spread: np.ndarray


def torso_unit(xy: np.ndarray) -> float:
    """One torso length (neck to mid-hip), median over frames: (frames, 18, 2) -> float."""
    hips = (xy[:, J["right_hip"]] + xy[:, J["left_hip"]]) / 2
    lengths = np.linalg.norm(xy[:, J["neck"]] - hips, axis=-1)
    return float(max(np.median(lengths), MIN_UNIT_PX)) if len(xy) else MIN_UNIT_PX


def _unit_vectors(v: np.ndarray, fallback: tuple[float, float]) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(norm > 1e-6, v / np.maximum(norm, 1e-6), np.asarray(fallback, np.float32))


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(x) < 2:
        return x
    padded = np.pad(x, (width // 2, width - 1 - width // 2), mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def _near_right(facing: np.ndarray) -> np.ndarray:
    """Which side is nearer, with hysteresis: facing image right shows the right side."""
    out = np.empty(len(facing), dtype=bool)
    state = bool(facing[0] >= 0) if len(facing) else True
    for k, f in enumerate(facing):
        if f > NEAR_HYSTERESIS:
            state = True
        elif f < -NEAR_HYSTERESIS:
            state = False
        out[k] = state
    return out


def build_body(xy: np.ndarray, fps: float, unit: float | None = None) -> Body:
    """Compute the body for a whole dance.

    Args:
        xy: (frames, 18, 2) joints in canvas pixels.
        fps: frames per second (the facing cue is smoothed over FACING_SMOOTH_S).
        unit: the torso length in px; None measures it (`torso_unit`).
    """
    xy = np.asarray(xy, dtype=np.float32)
    n = len(xy)
    u = torso_unit(xy) if unit is None else unit
    neck = xy[:, J["neck"]]
    hips = (xy[:, J["right_hip"]] + xy[:, J["left_hip"]]) / 2
    up = _unit_vectors(neck - hips, (0.0, -1.0))
    across = np.stack([-up[:, 1], up[:, 0]], axis=-1)  # image-right when upright

    # Facing: the nose's offset from the ears' midpoint, in torso lengths, smoothed.
    ears = (xy[:, J["right_ear"]] + xy[:, J["left_ear"]]) / 2
    raw = (xy[:, J["nose"], 0] - ears[:, 0]) / (FACING_SCALE * u)
    facing = np.clip(_moving_average(raw, max(1, round(FACING_SMOOTH_S * fps))), -1.0, 1.0)
    near_right = _near_right(facing)
    # Chest toward the camera when the right shoulder is on the image's left.
    front = xy[:, J["right_shoulder"], 0] <= xy[:, J["left_shoulder"], 0]

    # Head: the skull sits a little above the face points' mean, tilted with the neck-nose line.
    face_pts = xy[:, [J["nose"], J["right_eye"], J["left_eye"], J["right_ear"], J["left_ear"]]]
    head_up = _unit_vectors(xy[:, J["nose"]] - neck, (0.0, -1.0))
    centre = face_pts.mean(axis=1) + head_up * HEAD_LIFT * u
    tilt = np.degrees(np.arctan2(head_up[:, 0], -head_up[:, 1]))
    head = np.concatenate(
        [centre, np.full((n, 1), HEAD_RADII[0] * u), np.full((n, 1), HEAD_RADII[1] * u),
         tilt[:, None]],
        axis=1,
    )  # fmt: skip
    rx = HEAD_RADII[0] * u
    face = centre + np.stack([facing * 0.55 * rx, np.zeros(n)], axis=-1)
    eye_off = xy[:, [J["right_eye"], J["left_eye"]]] - centre[:, None]
    eye_len = np.linalg.norm(eye_off, axis=-1, keepdims=True)
    eyes = centre[:, None] + eye_off * np.minimum(1.0, 0.7 * rx / np.maximum(eye_len, 1e-6))

    # Capsules: joint to joint, or to a computed tip for hands, feet and the neck.
    caps = np.zeros((n, len(CAPSULES), 6), dtype=np.float32)
    for i, (name, side, a, b, r0, r1) in enumerate(CAPSULES):
        start = xy[:, a]
        if name == "hand":
            elbow = J[f"{side}_elbow"]
            end = start + _unit_vectors(start - xy[:, elbow], (0.0, 1.0)) * HAND_LENGTH * u
        elif name == "foot":
            # Toes point the way the dancer faces; seen from the front they point a little
            # outwards and down, so the foot is short.
            outward = -1.0 if side == "right" else 1.0
            outward = np.where(front, outward, -outward)
            toe_x = facing * 0.9 + outward * 0.35 * (1 - np.abs(facing))
            end = start + np.stack([toe_x * FOOT_LENGTH * u, np.full(n, FOOT_DROP * u)], -1)
        elif name == "neck":
            end = neck + (centre - neck) * NECK_REACH
        else:
            end = xy[:, b]
        caps[:, i, :2] = start
        caps[:, i, 2:4] = end
        caps[:, i, 4] = r0 * u
        caps[:, i, 5] = r1 * u

    # Torso: shoulders and hips padded outwards along the body's across direction.
    def half_width(a: int, b: int, pad: float, least: float) -> np.ndarray:
        span = np.abs(np.einsum("ij,ij->i", xy[:, b] - xy[:, a], across)) / 2
        return np.maximum(span + pad * u, least * u)[:, None]

    w_sh = half_width(J["right_shoulder"], J["left_shoulder"], SHOULDER_PAD, MIN_HALF_WIDTHS[0])
    w_hip = half_width(J["right_hip"], J["left_hip"], HIP_PAD, MIN_HALF_WIDTHS[1])
    shoulders = (xy[:, J["right_shoulder"]] + xy[:, J["left_shoulder"]]) / 2
    waist = hips + (shoulders - hips) * 0.4
    w_waist = np.minimum(w_sh, w_hip) * WAIST
    torso = np.stack(
        [
            neck - across * 0.09 * u + up * 0.03 * u,
            shoulders - across * w_sh + up * 0.02 * u,
            waist - across * w_waist,
            hips - across * w_hip - up * 0.04 * u,
            hips - up * 0.13 * u,
            hips + across * w_hip - up * 0.04 * u,
            waist + across * w_waist,
            shoulders + across * w_sh + up * 0.02 * u,
            neck + across * 0.09 * u + up * 0.03 * u,
        ],
        axis=1,
    ).astype(np.float32)

    ankles = xy[:, [J["right_ankle"], J["left_ankle"]]]
    lowest = ankles[..., 1].max(axis=1)
    floor_y = float(np.percentile(lowest, FLOOR_PERCENTILE)) + FOOT_DROP * u if n else 0.0
    lift = np.maximum(floor_y - FOOT_DROP * u - lowest, 0.0) / u
    return Body(
        unit=u,
        capsules=caps,
        torso=torso,
        head=head.astype(np.float32),
        face=face.astype(np.float32),
        eyes=eyes.astype(np.float32),
        facing=facing.astype(np.float32),
        near_right=near_right,
        floor_y=floor_y,
        feet_x=ankles[..., 0].mean(axis=1),
        lift=lift.astype(np.float32),
        spread=np.abs(ankles[:, 0, 0] - ankles[:, 1, 0]) / 2,
    )


def draw_order(near_right: bool) -> list[str]:
    """Parts back to front: far arm, far leg, near leg, torso, head, near arm.

    The legs go under the torso so it covers the hip joints; the far arm behind the body and
    the near one in front of everything, as seen from the side the dancer turns towards.
    """
    near, far = ("right", "left") if near_right else ("left", "right")
    return [f"arm_{far}", f"leg_{far}", f"leg_{near}", "torso", "head", f"arm_{near}"]


def capsule_shapes(caps: np.ndarray, grow: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Capsules as the quads between their end circles, and the circles, radii grown by grow.

    Args:
        caps: (..., 6) x0, y0, x1, y1, r0, r1.

    Returns:
        quads (..., 8): four corners x, y; circles (..., 2, 3): x, y, r of both ends.
    """
    a, b = caps[..., 0:2], caps[..., 2:4]
    r0, r1 = caps[..., 4:5] + grow, caps[..., 5:6] + grow
    d = b - a
    length = np.linalg.norm(d, axis=-1, keepdims=True)
    normal = np.where(length > 1e-6, np.stack([-d[..., 1], d[..., 0]], -1), 0.0)
    normal = normal / np.maximum(length, 1e-6)
    quads = np.concatenate([a + normal * r0, b + normal * r1, b - normal * r1, a - normal * r0], -1)
    circles = np.stack([np.concatenate([a, r0], -1), np.concatenate([b, r1], -1)], axis=-2)
    return quads.astype(np.float32), circles.astype(np.float32)


def grow_outline(points: np.ndarray, px: float) -> np.ndarray:
    """Outlines (..., n, 2) pushed out by px from their centres."""
    centre = points.mean(axis=-2, keepdims=True)
    d = points - centre
    return points + d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-6) * px


def extent(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame bounding box of everything drawn: (frames, 2) low and high corners, px."""
    caps = body.capsules
    r = np.maximum(caps[..., 4], caps[..., 5])[..., None]
    pts = np.concatenate([caps[..., 0:2] - r, caps[..., 0:2] + r, caps[..., 2:4] - r,
                          caps[..., 2:4] + r], axis=1)  # fmt: skip
    head = body.head
    hr = np.maximum(head[:, 2], head[:, 3])[:, None]
    low = np.minimum(pts.min(axis=1), np.minimum(body.torso.min(axis=1), head[:, :2] - hr))
    high = np.maximum(pts.max(axis=1), np.maximum(body.torso.max(axis=1), head[:, :2] + hr))
    return low, high
