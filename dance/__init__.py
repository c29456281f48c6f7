"""dance: turn a song into a video of a dancing OpenPose skeleton, with the song playing.

model = dance.load_model()
result = dance.generate(model, "song.mp3", seed=7, start=30, seconds=20)
dance.render(result, "dance.mp4")
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
    VideoError,
)
from .generate import Dance, generate
from .model import Generator, GeneratorConfig, load_model, save_checkpoint

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
    "Song",
    "SongTooLongError",
    "VideoError",
    "generate",
    "load_model",
    "load_song",
    "probe_duration",
    "save_checkpoint",
]
