"""Error bars and paired tests over clips or seeds: the statistics the evaluation table uses.

Pure numpy; randomness (bootstrap, Monte Carlo sign flips) comes from a seeded local Generator.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95  # of the bootstrap interval
N_BOOTSTRAP = 4000  # bootstrap resamples
EXACT_SIGN_FLIPS = 14  # up to this many pairs the sign-flip test enumerates all 2^n flips
N_SIGN_FLIPS = 20_000  # Monte Carlo sign flips above that


@dataclass(frozen=True)
class Summary:
    """Mean and standard error of the finite values of a sample.

    Attributes:
        mean: their mean (NaN if none).
        sem: standard error of the mean (NaN below two values).
        n: how many finite values.
    """

    mean: float
    sem: float
    n: int


@dataclass(frozen=True)
class PairedTest:
    """A paired comparison: own minus control, per clip.

    Attributes:
        mean_difference: mean of the differences.
        ci_low, ci_high: bootstrap CONFIDENCE interval of that mean.
        p_value: one-sided sign-flip permutation p-value for "mean difference > 0".
        n: number of pairs.
    """

    mean_difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def summarise(values: np.ndarray | list[float]) -> Summary:
    """Mean +- standard error of the finite entries."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Summary(float("nan"), float("nan"), 0)
    sem = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
    return Summary(float(v.mean()), sem, int(v.size))


def paired_test(differences: np.ndarray | list[float], seed: int = 0) -> PairedTest:
    """Bootstrap interval and one-sided sign-flip p-value of the mean of paired differences.

    Under the null hypothesis (own music no better than a control) each difference is as likely
    to be negative as positive, so flipping signs at random gives the null distribution of the
    mean. With n pairs the smallest possible p-value is 1 / 2^n.
    """
    d = np.asarray(differences, dtype=np.float64).ravel()
    d = d[np.isfinite(d)]
    n = int(d.size)
    if n == 0:
        nan = float("nan")
        return PairedTest(nan, nan, nan, nan, 0)
    rng = np.random.default_rng(seed)
    observed = float(d.mean())
    if n <= EXACT_SIGN_FLIPS:  # all flips, the observed one included
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        p_value = float(np.mean((signs * d).mean(axis=1) >= observed - 1e-12))
    else:  # random flips, counting the observed one once
        signs = rng.choice((1.0, -1.0), size=(N_SIGN_FLIPS, n))
        hits = np.sum((signs * d).mean(axis=1) >= observed - 1e-12)
        p_value = float((1 + hits) / (1 + N_SIGN_FLIPS))
    boot = d[rng.integers(0, n, size=(N_BOOTSTRAP, n))].mean(axis=1)
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    return PairedTest(observed, float(low), float(high), p_value, n)
