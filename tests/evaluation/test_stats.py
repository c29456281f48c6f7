"""Statistics of the evaluation tables (evaluation.stats): the paired test and summaries."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.stats import paired_test, summarise


def test_paired_test_exact_and_summary():
    assert paired_test(np.full(10, 0.1)).p_value == pytest.approx(1 / 1024)
    assert paired_test([0.1, -0.1, 0.2, -0.2]).p_value > 0.3
    s = summarise([1.0, 2.0, 3.0, np.nan])
    assert (s.mean, s.n) == (2.0, 3) and s.sem == pytest.approx(1 / np.sqrt(3))
