"""The one reader and writer of the project's network files (safetensors, or a training `.pt`).

A file holds the weights and three strings: `format` (which network and layout version),
`config` (the network's config dataclass as JSON, so the file alone rebuilds it, as whisper's
checkpoints do) and `meta` (JSON facts about training). The generator (model.py), the
cross-modal encoders (metrics/crossmodal.py) and train's ST-GCN all go through here; the
networks themselves and their format tags stay with their owners. Every problem with a file
is a ModelError that names it.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .errors import ModelError

if TYPE_CHECKING:  # torch loads only where a function needs it: numpy_model.py reads without it
    import torch
    from torch import nn

T = TypeVar("T")

TORCH_SUFFIXES = (".pt", ".pth")  # training checkpoints (torch.save); anything else: safetensors


@dataclass(frozen=True)
class Stored:
    """What a network file holds: its format tag, config and meta (decoded), and its weights."""

    path: Path
    format: str
    config: dict[str, Any]
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor]


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a config dataclass from its dict, refusing fields this version does not know.

    Raises:
        ValueError: unknown fields, or values the dataclass rejects.
        TypeError: a missing required field.
    """
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown config fields {sorted(unknown)}")
    return cls(**data)


def write_safetensors(
    path: str | Path, tensors: dict[str, torch.Tensor | np.ndarray], metadata: dict[str, str]
) -> Path:
    """Write tensors (all torch or all numpy) and string metadata atomically: a crash never
    leaves a half-written file under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if all(isinstance(t, np.ndarray) for t in tensors.values()):
        from safetensors.numpy import save_file as save_numpy

        save_numpy({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata)
    else:
        from safetensors.torch import save_file as save_torch

        save_torch(
            {k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp), metadata
        )
    os.replace(tmp, path)
    return path


def read_safetensors(
    path: str | Path, framework: str = "pt"
) -> tuple[dict[str, str], dict[str, Any]]:
    """(metadata, tensors) of a safetensors file; framework "pt" gives torch, "np" numpy.

    Raises:
        ModelError: the file is missing or not a readable safetensors file.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    try:
        with safe_open(str(path), framework=framework) as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)
    except Exception as err:  # safetensors raises several unrelated types for a bad file
        raise ModelError(
            f"{path}: not a readable safetensors file (corrupt or truncated?): {err}"
        ) from err
    return metadata, tensors


def save(model: nn.Module, path: str | Path, *, format: str, meta: dict[str, Any]) -> Path:
    """Write a network (its `config` dataclass and weights) with a format tag and meta.

    Args:
        model: a network with a `config` dataclass attribute (unwrap DDP first).
        path: where to write, normally a `.safetensors` file.
        format: the owner's format tag, e.g. "dance-generator/1".
        meta: JSON-serialisable facts about training.
    """
    metadata = {
        "format": format,
        "config": json.dumps(asdict(model.config)),
        "meta": json.dumps(meta),
    }
    return write_safetensors(path, dict(model.state_dict()), metadata)


def record(model: nn.Module, *, format: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The same contents as `save` writes, as a dict for a training checkpoint (torch.save);
    `read` finds it under its key there."""
    return {
        "format": format,
        "config": asdict(model.config),
        "state_dict": model.state_dict(),
        "meta": meta,
    }


def _read_record(path: Path, key: str | None) -> tuple[str, Any, Any, dict[str, torch.Tensor]]:
    import torch

    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and weights-only errors all mean "unusable file"
        raise ModelError(
            f"{path}: not a readable checkpoint (corrupt or truncated?): {err}"
        ) from err
    if not isinstance(ckpt, dict):
        raise ModelError(f"{path}: not a dance checkpoint (holds a {type(ckpt).__name__})")
    rec = ckpt.get(key, ckpt) if key is not None else ckpt
    if not isinstance(rec, dict) or "config" not in rec or "state_dict" not in rec:
        raise ModelError(f"{path}: not a dance checkpoint (no network config and weights)")
    return rec.get("format", ""), rec["config"], rec.get("meta", {}), rec["state_dict"]


def read(
    path: str | Path,
    *,
    format: str,
    what: str,
    record_key: str | None = None,
    framework: str = "pt",
) -> Stored:
    """Read a network file written by `save` (or a training `.pt` holding a `record`).

    Args:
        path: a `.safetensors` file, or a `.pt`/`.pth` training checkpoint.
        format: the format tag this version reads; another one is refused.
        what: the network's name for messages, e.g. "generator".
        record_key: where a training checkpoint keeps the record (e.g. "generator"); a `.pt`
            without that key is read as a record itself. A `.pt` record saved without a
            format tag is taken to be of `format`.
        framework: "pt" for torch tensors, "np" for numpy arrays (safetensors files only; a
            `.pt` always gives torch tensors).

    Raises:
        ModelError: missing, unreadable, of another format, or with undecodable metadata.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such {what} file")
    if path.suffix in TORCH_SUFFIXES:
        found, config, meta, tensors = _read_record(path, record_key)
        found = found or format
    else:
        metadata, tensors = read_safetensors(path, framework)
        found = metadata.get("format")
        try:
            config = json.loads(metadata["config"]) if "config" in metadata else None
            meta = json.loads(metadata.get("meta", "{}"))
        except ValueError as err:
            raise ModelError(f"{path}: unreadable {what} metadata: {err}") from err
    if found != format:
        raise ModelError(
            f"{path}: incompatible {what} file format {found!r}; this version reads {format!r}"
        )
    if not isinstance(config, dict) or not isinstance(meta, dict):
        raise ModelError(f"{path}: no {what} config in the file")
    return Stored(path, str(found), config, meta, tensors)


def build(stored: Stored, config_cls: type, network_cls: type[nn.Module], what: str) -> nn.Module:
    """The network of a read file: config rebuilt, weights loaded strictly, meta attached.

    Raises:
        ModelError: the config is not one this version knows, or the weights do not fit it.
    """
    try:
        config = config_from_dict(config_cls, stored.config)
    except (ValueError, TypeError) as err:
        raise ModelError(f"{stored.path}: incompatible {what} config: {err}") from err
    assert is_dataclass(config)
    model = network_cls(config)
    try:
        model.load_state_dict(stored.tensors, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0:3]
        raise ModelError(
            f"{stored.path}: weights do not match the config: {' '.join(first)}"
        ) from err
    model.meta = stored.meta
    return model


def code_commit() -> str:
    """The git commit of the code that is running, for a file's meta ("unknown" outside git)."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
