"""The looks a dance can be drawn in: a name, one line for people, and one drawing function.

A look's function takes poses in canvas pixels and yields frames; it knows nothing of songs,
timing or files (render.py frames and times the dance, video.py encodes). A new look is one
drawing function, usually in its own module here, and one entry in LOOKS. The modules are
imported only when their look is used, so a look's drawing library never slows or breaks the
others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import UnknownLookError

__all__ = ["DEFAULT_LOOK", "LOOKS", "Look", "UnknownLookError", "get_look", "look_names"]


@dataclass(frozen=True)
class Look:
    """A way of drawing a dance.

    Attributes:
        name: what `look=` and `--look` take.
        summary: one line for `python -m dance looks` and the app.
        module, function: where the drawing function lives (imported on first use). It is
            called as function(xy_canvas, size, *, background, pulse, fps, pix_fmt) and yields
            one uint8 frame per pose; see looks/skeleton.py for the contract.
        pix_fmt: the frame layout the look draws natively and video.py pipes to ffmpeg as is.
        reach: how far the drawing reaches beyond the joints (head, hands, feet, limb
            thickness, floor shadow), in torso lengths; framing keeps this much room.
        whole_dance_in_frame: frame every pose of the dance, not the 1st-99th percentile box;
            a body cut by the frame's edge reads as a mistake where a stick's tip does not.
    """

    name: str
    summary: str
    module: str
    function: str
    pix_fmt: str
    reach: float = 0.0
    whole_dance_in_frame: bool = False

    @property
    def draw(self) -> Callable[..., Iterator[np.ndarray]]:
        return getattr(importlib.import_module(self.module), self.function)


LOOKS: dict[str, Look] = {
    look.name: look
    for look in (
        Look(
            "skeleton",
            "the OpenPose stick figure in the standard colours on black, as pose-conditioned "
            "image and video models take it",
            "dance.looks.skeleton",
            "draw",
            pix_fmt="nv12",
        ),
        Look(
            "mannequin",
            "a shaded wooden mannequin with a turning head, hands, feet and a soft floor "
            "shadow, in a light studio",
            "dance.looks.mannequin",
            "draw",
            pix_fmt="nv12",
            reach=0.42,
            whole_dance_in_frame=True,
        ),
        Look(
            "stage",
            "a rim-lit silhouette on a dark stage whose lights pulse on the beats and change "
            "colour every two bars",
            "dance.looks.stage",
            "draw",
            pix_fmt="nv12",
            reach=0.45,
            whole_dance_in_frame=True,
        ),
    )
}
DEFAULT_LOOK = "skeleton"  # the API's and CLI's default: the OpenPose picture, as before looks


def get_look(name: str | Look) -> Look:
    """The Look called name (a Look passes through).

    Raises:
        UnknownLookError: no look has that name; the message lists those that exist.
    """
    if isinstance(name, Look):
        return name
    key = str(name).strip().lower()
    if key not in LOOKS:
        raise UnknownLookError(f"unknown look {name!r}: choose one of {', '.join(LOOKS)}")
    return LOOKS[key]


def look_names() -> list[str]:
    """The names of all looks, in LOOKS' order."""
    return list(LOOKS)
