"""dance: turn a song into a video of a dancing OpenPose skeleton, with the song playing.

model = dance.load_model()
result = dance.generate(model, "song.mp3", seed=7, start=30, seconds=20)
dance.render_video(result, "dance.mp4", look="mannequin")  # dance.LOOKS: skeleton, mannequin, stage
dance.export_openpose_zip(result, "dance.zip")
dance.export_pose_frames(result, "poses.zip")  # ControlNet OpenPose images, for pose-to-video

`dance.render` is the drawing module (`from dance.render import Framing, draw_frames`);
`render_video` draws, encodes and muxes a whole dance. `dance.generate` is the function (the
module of the same name is in `sys.modules`).

Names load on first use (PEP 562), so `import dance` and `python -m dance --help` cost
neither torch nor numpy; `dance.load_numpy_model()` gives the generator without torch at all.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

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

_LAZY = {  # public name -> the module that defines it
    "Song": "audio",
    "load_song": "audio",
    "probe_duration": "audio",
    "export_npz": "export",
    "export_openpose_zip": "export",
    "export_paper_json": "export",
    "read_npz": "export",
    "read_openpose_zip": "export",
    "read_paper_json": "export",
    "export_pose_frames": "export",
    "read_pose_frames": "export",
    "DEFAULT_LOOK": "looks",
    "LOOKS": "looks",
    "Look": "looks",
    "UnknownLookError": "looks",
    "look_names": "looks",
    "Dance": "generate",
    "Generator": "model",
    "GeneratorConfig": "config",
    "load_model": "model",
    "save_checkpoint": "model",
    "NumpyGenerator": "numpy_model",
    "load_numpy_model": "numpy_model",
    "RenderStats": "video",
    "VideoInfo": "video",
    "probe": "video",
    "render_video": "video",
}

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
    "NumpyGenerator",
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
    "load_numpy_model",
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


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _shadowing(module: str, name: str) -> property:
    """A package attribute that stays a function although a submodule has the same name."""

    def get(self: types.ModuleType) -> Any:
        return getattr(importlib.import_module(f".{module}", __name__), name)

    def ignore(self: types.ModuleType, value: Any) -> None:
        pass  # the submodule being bound on import; it stays reachable in sys.modules

    return property(get, ignore)


class _Package(types.ModuleType):
    """`dance.generate` stays the function after the module of the same name loads (the import
    system binds every loaded submodule to its package's attribute)."""

    generate = _shadowing("generate", "generate")


sys.modules[__name__].__class__ = _Package
