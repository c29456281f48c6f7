"""Frechet distance (FID_k, FID_g) and diversity (Div_k, Div_g) of feature sets.

As in Bailando, both sets are standardised with the REAL set's per-feature mean and standard
deviation before anything is measured, so every feature counts in units of its spread over real
dances. A feature that hardly varies in the real set would blow up under that division, so each
standard deviation is floored at STD_FLOOR_FRACTION of the median one. The features themselves
come from kinetic.py and geometric.py; the real statistics can be saved and shipped
(`save_reference`), so a user without the data still gets FID against the same reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checkpoint import read_safetensors, write_safetensors

STD_FLOOR_FRACTION = 0.05  # each real std is at least this fraction of the median real std


@dataclass(frozen=True)
class ReferenceStats:
    """Statistics of the real feature set that FID and diversity are measured against.

    Attributes:
        mean: per-feature mean of the real set, shape (d,).
        std: per-feature standard deviation (floored), shape (d,).
        cov: covariance of the standardised real features, shape (d, d).
        n: how many real vectors they came from.
    """

    mean: np.ndarray
    std: np.ndarray
    cov: np.ndarray
    n: int

    def standardise(self, features: np.ndarray) -> np.ndarray:
        """(n, d) raw features -> (n, d) in units of the real spread."""
        return (np.asarray(features, dtype=np.float64) - self.mean) / self.std


def reference_stats(real: np.ndarray) -> ReferenceStats:
    """Statistics of a real feature set (n, d), n >= 2."""
    real = np.asarray(real, dtype=np.float64)
    if real.ndim != 2 or real.shape[0] < 2:
        raise ValueError(f"need at least 2 real feature vectors, got shape {real.shape}")
    mean = real.mean(axis=0)
    std = real.std(axis=0)
    std = np.maximum(std, STD_FLOOR_FRACTION * max(float(np.median(std)), 1e-12))
    z = (real - mean) / std
    return ReferenceStats(mean=mean, std=std, cov=np.cov(z, rowvar=False), n=real.shape[0])


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative eigenvalues -> 0)."""
    w, v = np.linalg.eigh(cov)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Frechet distance between two Gaussians: |mu1 - mu2|^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2)).

    Tr((C1 C2)^(1/2)) is computed as the sum of square roots of the eigenvalues of the symmetric
    matrix C1^(1/2) C2 C1^(1/2), which has the same spectrum. Unlike scipy's general sqrtm this
    stays real and exact when a covariance is singular (fewer windows than features).
    """
    diff = mu1 - mu2
    root1 = _psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    trace_sqrt = float(
        np.sqrt(np.clip(np.linalg.eigvalsh(0.5 * (middle + middle.T)), 0, None)).sum()
    )
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt)
    return max(value, 0.0)


def fid(reference: ReferenceStats, generated: np.ndarray) -> float:
    """FID of a generated feature set (n, d), n >= 2, against real statistics."""
    z = reference.standardise(generated)
    if z.shape[0] < 2:
        raise ValueError(f"FID needs at least 2 generated feature vectors, got {z.shape[0]}")
    return frechet_distance(np.zeros(z.shape[1]), reference.cov, z.mean(axis=0), np.cov(z.T))


def diversity(reference: ReferenceStats, generated: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of standardised generated features (n >= 2)."""
    z = reference.standardise(generated)
    n = z.shape[0]
    if n < 2:
        raise ValueError(f"diversity needs at least 2 feature vectors, got {n}")
    dist = np.linalg.norm(z[:, None, :] - z[None, :, :], axis=-1)
    return float(dist[np.triu_indices(n, k=1)].mean())


def save_reference(path: str | Path, stats: dict[str, ReferenceStats], meta: dict) -> Path:
    """Write named reference statistics (e.g. "kinetic", "geometric") as one safetensors file."""
    tensors = {}
    for name, s in stats.items():
        for field in ("mean", "std", "cov"):
            tensors[f"{name}.{field}"] = np.ascontiguousarray(getattr(s, field))
    counts = {name: s.n for name, s in stats.items()}
    metadata = {"counts": json.dumps(counts), "meta": json.dumps(meta)}
    return write_safetensors(path, tensors, metadata)


def load_reference(path: str | Path) -> tuple[dict[str, ReferenceStats], dict]:
    """Read what save_reference wrote: (named statistics, meta).

    Raises:
        ModelError: the file is missing or unreadable.
    """
    metadata, arrays = read_safetensors(path, framework="np")
    counts = json.loads(metadata["counts"])
    stats = {
        name: ReferenceStats(
            mean=arrays[f"{name}.mean"], std=arrays[f"{name}.std"], cov=arrays[f"{name}.cov"], n=n
        )
        for name, n in counts.items()
    }
    return stats, json.loads(metadata.get("meta", "{}"))
