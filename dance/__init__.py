"""dance: turn a song into a video of a dancing OpenPose skeleton, with the song playing.

model = dance.load_model()
result = dance.generate(model, "song.mp3", seed=7, start=30, seconds=20)
dance.render_video(result, "dance.mp4")
dance.export_openpose_zip(result, "dance.zip")

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
    read_npz,
    read_openpose_zip,
    read_paper_json,
)
from .generate import Dance, generate
from .model import Generator, GeneratorConfig, load_model, save_checkpoint
from .video import RenderStats, VideoInfo, probe, render_video

__all__ = [
    "AudioError",
    "Dance",
    "DanceError",
    "Generator",
    "GeneratorConfig",
    "InputError",
    "ModelError",
    "NoTrainedModelError",
    "OutputError",
    "RenderStats",
    "Song",
    "SongTooLongError",
    "StyleError",
    "VideoError",
    "VideoInfo",
    "export_npz",
    "export_openpose_zip",
    "export_paper_json",
    "generate",
    "load_model",
    "load_song",
    "probe",
    "probe_duration",
    "read_npz",
    "read_openpose_zip",
    "read_paper_json",
    "render_video",
    "save_checkpoint",
]
