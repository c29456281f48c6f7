"""Keypoint files: OpenPose JSON (zip, one file per video frame), NPZ, the paper's pixels, and
pose frames (PNG images in ControlNet's OpenPose convention) for pose-to-video models.

Each writer has a reader, so every format round-trips. The OpenPose zip uses the same `Framing`
as the video, so its pixels line up with the MP4's frames. Everything is written atomically
through output.atomic_output; drawing and encoding are elsewhere.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputError
from .motion import VIDEO_FPS
from .output import atomic_output, check_writable
from .render import DEFAULT_SIZE, draw_frames, fit_framing
from .skeleton import JOINT_NAMES, N_JOINTS, PAPER_HEIGHT, PAPER_WIDTH, norm_to_px, px_to_norm

if TYPE_CHECKING:
    from .generate import Dance

OPENPOSE_VERSION = 1.3  # the "version" OpenPose writes into its --write_json files
OPENPOSE_CONFIDENCE = 1.0  # generated joints are all present and certain
PIXEL_DECIMALS = 2  # of a pixel kept in JSON; finer is noise and bloats the files
NPZ_FORMAT = "dance-keypoints/1"  # stored in every NPZ, checked when reading one back
FRAME_NAME = "frame_{:012d}_keypoints.json"  # OpenPose's own naming: <name>_<12 digits>_keypoints
FRAME_PATTERN = re.compile(r"_(\d{12})_keypoints\.json$")
POSE_FRAME_NAME = "pose_{:06d}.png"  # pose-frame images sort in frame order, as tools expect
POSE_INFO_NAME = "pose_frames.json"  # fps, size and convention, beside the images
POSE_CONVENTION = (
    "ControlNet OpenPose conditioning: COCO-18 body, the 17 limbs as ellipses in the standard "
    "OpenPose colours at 60 %, joints as discs, on black; limb half-width and joint radius 4 px "
    "at 512 px, scaled with the shorter side"
)
MAX_POSE_FPS = 120
PNG_DEFLATE_LEVEL = 1  # fast; level 6 halves the size of these sparse frames at 2x the time
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def openpose_frame(xy_canvas: np.ndarray, width: int, height: int) -> dict[str, Any]:
    """One frame in OpenPose's --write_json layout (one person), as ControlNet reads it.

    Args:
        xy_canvas: (18, 2) joint positions in canvas pixels, in OpenPose COCO-18 order.
        width, height: the canvas the pixels refer to.
    """
    xyc = np.concatenate(
        [np.round(xy_canvas, PIXEL_DECIMALS), np.full((N_JOINTS, 1), OPENPOSE_CONFIDENCE)], axis=1
    )
    person = {
        "person_id": [-1],
        "pose_keypoints_2d": xyc.ravel().tolist(),
        "face_keypoints_2d": [],
        "hand_left_keypoints_2d": [],
        "hand_right_keypoints_2d": [],
        "pose_keypoints_3d": [],
        "face_keypoints_3d": [],
        "hand_left_keypoints_3d": [],
        "hand_right_keypoints_3d": [],
    }
    return {
        "version": OPENPOSE_VERSION,
        "people": [person],
        "canvas_width": width,
        "canvas_height": height,
    }


def export_openpose_zip(
    dance: Dance,
    path: str | Path,
    *,
    size: int | tuple[int, int] = DEFAULT_SIZE,
    fps: int = VIDEO_FPS,
    look: str = "skeleton",
) -> Path:
    """Write a zip of per-frame OpenPose JSON files at the video's frame rate.

    Frame j is `frame_<j, 12 digits>_keypoints.json`, for the pose at j / fps seconds, in
    pixels of the canvas the video is drawn on (same size, same framing). The zip's comment
    records the fps, seed, start and duration.

    Args:
        dance: a `Dance` from `generate`.
        path: the zip to write.
        size: the video's canvas, see `render.canvas_size`.
        fps: frames per second (the video's).
        look: the video's look, whose framing the pixels follow (see `render.fit_framing`).

    Raises:
        InputError: a bad size or an unknown look.
        OutputError: path cannot be written.
    """
    path = check_writable(path)
    framing = fit_framing(dance, size, look)
    xy = framing.to_canvas(dance.at_fps(fps))
    comment = json.dumps(
        {
            "fps": fps,
            "seed": dance.seed,
            "start_s": dance.start_s,
            "duration_s": dance.duration_s,
            "song": dance.song.name,
        }
    )
    with atomic_output(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.comment = comment.encode()
        for j, pose in enumerate(xy):
            frame = openpose_frame(pose, framing.width, framing.height)
            zf.writestr(FRAME_NAME.format(j), json.dumps(frame, separators=(",", ":")))
    return path


def read_openpose_zip(path: str | Path) -> tuple[np.ndarray, int, int]:
    """Read a zip written by `export_openpose_zip` (or any zip of OpenPose JSON frames).

    Frames are ordered by the 12-digit number in their names; the first person of each is
    taken.

    Returns:
        (frames, 18, 2) canvas pixels, the canvas width and height (0 if not recorded).

    Raises:
        InputError: not a zip of OpenPose frames.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(
                (int(m.group(1)), name)
                for name in zf.namelist()
                if (m := FRAME_PATTERN.search(name))
            )
            frames = [json.loads(zf.read(name)) for _, name in names]
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable zip of OpenPose JSON: {err}") from err
    if not frames:
        raise InputError(f"{path}: holds no OpenPose *_keypoints.json frames")
    xy = np.zeros((len(frames), N_JOINTS, 2), dtype=np.float32)
    for i, frame in enumerate(frames):
        people = frame.get("people") or []
        if people:
            values = np.asarray(people[0]["pose_keypoints_2d"], dtype=np.float32)
            xy[i] = values.reshape(-1, 3)[:N_JOINTS, :2]
    return xy, int(frames[0].get("canvas_width", 0)), int(frames[0].get("canvas_height", 0))


def export_npz(dance: Dance, path: str | Path, *, fps: int = VIDEO_FPS) -> Path:
    """Write a dance's normalised keypoints, beats and settings as a compressed NPZ.

    Keys: `keypoints` (frames, 18, 2) at `fps` (the video's rate) and `model_keypoints` at
    `model_fps` (as generated), both normalised (x' = x/320 - 1, y' = y/180 - 1 in the paper's
    640 x 360 frame); `beat_times` (s from start_s), `tempo_bpm`, `seed`, `start_s`,
    `duration_s`, `song` (file name), `joint_names`, `format`.

    Raises:
        OutputError: path cannot be written.
    """
    path = check_writable(path)
    arrays = {
        "format": np.array(NPZ_FORMAT),
        "keypoints": dance.at_fps(fps).astype(np.float32),
        "fps": np.array(fps),
        "model_keypoints": np.asarray(dance.keypoints, dtype=np.float32),
        "model_fps": np.array(dance.fps),
        "beat_times": np.asarray(dance.beat_times, dtype=np.float64),
        "tempo_bpm": np.array(dance.tempo_bpm),
        "seed": np.array(dance.seed, dtype=np.int64),
        "start_s": np.array(dance.start_s),
        "duration_s": np.array(dance.duration_s),
        "song": np.array(str(dance.song)),
        "joint_names": np.array(JOINT_NAMES),
    }
    with atomic_output(path) as tmp, tmp.open("wb") as f:
        np.savez_compressed(f, **arrays)  # a file object: savez adds no ".npz" to the name
    return path


def read_npz(path: str | Path) -> Dance:
    """Read an NPZ written by `export_npz` back into a `Dance` (timings are not stored).

    Raises:
        InputError: not such an NPZ.
    """
    from .generate import Dance

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != NPZ_FORMAT:
                raise InputError(f"{path}: unknown keypoint format {str(data['format'])!r}")
            return Dance(
                keypoints=data["model_keypoints"].astype(np.float32),
                fps=int(data["model_fps"]),
                seed=int(data["seed"]),
                song=Path(str(data["song"])),
                start_s=float(data["start_s"]),
                duration_s=float(data["duration_s"]),
                tempo_bpm=float(data["tempo_bpm"]),
                beat_times=data["beat_times"].astype(np.float64),
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"{path}: not a dance keypoint NPZ: {err}") from err


def export_paper_json(dance: Dance, path: str | Path) -> Path:
    """Write the paper's pixel format: poses in the 640 x 360 frame at the model's rate.

    The file is `{"width": 640, "height": 360, "fps": ..., "joint_coors": [...]}` with
    joint_coors (frames, 18, 2) in pixels, x right and y down.

    Raises:
        OutputError: path cannot be written.
    """
    path = check_writable(path)
    xy_px = np.round(norm_to_px(dance.keypoints), PIXEL_DECIMALS)
    data = {
        "width": PAPER_WIDTH,
        "height": PAPER_HEIGHT,
        "fps": dance.fps,
        "joint_coors": xy_px.tolist(),
    }
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, separators=(",", ":")))
    return path


def read_paper_json(path: str | Path) -> tuple[np.ndarray, int]:
    """Read the paper's pixel format back.

    Returns:
        (frames, 18, 2) normalised poses and the fps.

    Raises:
        InputError: not such a file.
    """
    path = Path(path)
    try:
        data = json.loads(Path(path).read_text())
        xy_px = np.asarray(data["joint_coors"], dtype=np.float32)
        fps = int(data["fps"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a paper-format keypoint JSON: {err}") from err
    if xy_px.ndim != 3 or xy_px.shape[1:] != (N_JOINTS, 2):
        raise InputError(f"{path}: joint_coors has shape {xy_px.shape}, not (frames, 18, 2)")
    return px_to_norm(xy_px), fps


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(frame: np.ndarray) -> bytes:
    """An RGB PNG of a (height, width, 3) uint8 frame, without row filters.

    Pose frames are black but for a few flat shapes, which deflate alone packs about as small
    as PIL's PNG writer does (7 against 8 KB a frame at 512 x 512); PIL's per-row filter
    search made writing them 2.5x slower (16 against 6.4 ms a frame, measured side by side
    on the project's busy 2-core machine).
    """
    height, width, _ = frame.shape
    rows = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # filter byte 0 ("none") per row
    rows[:, 1:] = frame.reshape(height, -1)
    data = zlib.compress(rows.tobytes(), PNG_DEFLATE_LEVEL)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def check_pose_fps(fps: object) -> int:
    """fps for pose frames: a whole number from 1 to MAX_POSE_FPS.

    Raises:
        InputError: anything else.
    """
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= MAX_POSE_FPS:
        raise InputError(f"pose frames: fps must be a whole number 1-{MAX_POSE_FPS}, got {fps!r}")
    return fps


def check_pose_frames_path(path: str | Path) -> Path:
    """Check, before any work, that pose frames can be written at path (a .zip or a folder).

    Raises:
        InputError: a folder that exists and is not empty, or a file that is not a .zip.
        OutputError: the place cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() == ".zip":
        return check_writable(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"{path}: pose frames go into a new or empty folder, or a .zip file")
    check_writable(path.parent / f".{path.name}.check")
    return path


def export_pose_frames(
    dance: Dance,
    path: str | Path,
    *,
    size: int | tuple[int, int] = DEFAULT_SIZE,
    fps: int = VIDEO_FPS,
    look: str = "skeleton",
) -> Path:
    """Write the dance as pose images for pose-conditioned image and video models.

    One PNG per frame, `pose_<6 digits>.png`, drawn as ControlNet's OpenPose annotator draws
    (standard colours and limb widths on black, no beat marker), plus `pose_frames.json` with
    the fps, size, frame count and convention. Frame j is the pose at j / fps seconds, at the
    same pixels as `export_openpose_zip` with the same size, fps and look.

    Args:
        dance: a `Dance` from `generate`.
        path: a `.zip` file, or a folder (created; if it exists it must be empty).
        size: canvas side, or (width, height), in px.
        fps: frames per second, e.g. the video's 30 or what a pose-to-video model expects.
        look: the video's look, whose framing the poses follow, so frame j lines up with it.

    Raises:
        InputError: a bad size or fps, an unknown look, or a folder that is not empty.
        OutputError: path cannot be written.
    """

    path = check_pose_frames_path(path)
    check_pose_fps(fps)
    as_zip = path.suffix.lower() == ".zip"
    framing = fit_framing(dance, size, look)
    xy = framing.to_canvas(dance.at_fps(fps))
    info = json.dumps(
        {
            "fps": fps,
            "width": framing.width,
            "height": framing.height,
            "frames": len(xy),
            "first_frame": POSE_FRAME_NAME.format(0),
            "convention": POSE_CONVENTION,
            "seed": dance.seed,
            "start_s": dance.start_s,
            "duration_s": dance.duration_s,
            "song": dance.song.name,
        },
        indent=1,
    )
    frames = draw_frames(xy, (framing.width, framing.height), background="black")

    png = encode_png

    if as_zip:
        # PNGs are compressed already: stored, the zip costs no second compression.
        with atomic_output(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr(POSE_INFO_NAME, info)
            for j, frame in enumerate(frames):
                zf.writestr(POSE_FRAME_NAME.format(j), png(frame))
        return path
    # A folder is filled under a hidden name beside it and renamed when complete.
    scratch = path.parent / f".{path.name}.{os.getpid()}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        (scratch / POSE_INFO_NAME).write_text(info)
        for j, frame in enumerate(frames):
            (scratch / POSE_FRAME_NAME.format(j)).write_bytes(png(frame))
        os.replace(scratch, path)  # an empty folder at path is replaced too
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


def read_pose_frames(path: str | Path) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Read pose frames written by `export_pose_frames` (zip or folder).

    Returns:
        the (height, width, 3) uint8 frames in order, and the pose_frames.json record.

    Raises:
        InputError: not such a zip or folder.
    """
    from PIL import Image

    path = Path(path)
    try:
        if path.is_dir():
            names = sorted(p.name for p in path.glob("pose_*.png"))
            data = {name: (path / name).read_bytes() for name in names}
            info = json.loads((path / POSE_INFO_NAME).read_text())
        else:
            with zipfile.ZipFile(path) as zf:
                names = sorted(n for n in zf.namelist() if re.fullmatch(r"pose_\d+\.png", n))
                data = {name: zf.read(name) for name in names}
                info = json.loads(zf.read(POSE_INFO_NAME))
        frames = [np.asarray(Image.open(io.BytesIO(data[name])).convert("RGB")) for name in names]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"{path}: not pose frames written by dance: {err}") from err
    return frames, info
