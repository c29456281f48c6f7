"""dance: turn a song into a video of a dancing OpenPose skeleton, with the song playing.

model = dance.load_model()
result = dance.generate(model, "song.mp3", seed=7, start=30, seconds=20)
dance.render_video(result, "dance.mp4", look="mannequin")  # dance.LOOKS: skeleton, mannequin, stage
dance.export_openpose_zip(result, "dance.zip")
dance.export_pose_frames(result, "poses.zip")  # ControlNet OpenPose images, for pose-to-video

`dance.render` is the drawing module (`from dance.render import Framing, draw_frames`);
`render_video` draws, encodes and muxes a whole dance.
"""

from .audio import Song, load_song, probe_duration
from .errors import (
    AudioError,
    DanceError,
    InputError,
    ModelError,
    NoTrainedModelError,
    OutputError,
    SongTooLongError,
    StyleError,
    VideoError,
)
from .export import (
    export_npz,
    export_openpose_zip,
    export_paper_json,
    export_pose_frames,
    read_npz,
    read_openpose_zip,
    read_paper_json,
    read_pose_frames,
)
from .generate import Dance, generate
from .looks import DEFAULT_LOOK, LOOKS, Look, UnknownLookError, look_names
from .model import Generator, GeneratorConfig, load_model, save_checkpoint
from .video import RenderStats, VideoInfo, probe, render_video

__all__ = [
    "AudioError",
    "Dance",
    "DEFAULT_LOOK",
    "DanceError",
    "Generator",
    "GeneratorConfig",
    "InputError",
    "LOOKS",
    "Look",
    "ModelError",
    "NoTrainedModelError",
    "OutputError",
    "RenderStats",
    "Song",
    "SongTooLongError",
    "StyleError",
    "UnknownLookError",
    "VideoError",
    "VideoInfo",
    "export_npz",
    "export_openpose_zip",
    "export_paper_json",
    "export_pose_frames",
    "generate",
    "load_model",
    "look_names",
    "load_song",
    "probe",
    "probe_duration",
    "read_npz",
    "read_openpose_zip",
    "read_paper_json",
    "read_pose_frames",
    "render_video",
    "save_checkpoint",
]
