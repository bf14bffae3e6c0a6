"""Seed statistics, paired differences, Holm's correction and the seeds a difference needs."""

import math

import numpy as np
import pandas as pd
import pytest

from lossbench.analysis import statistics


def test_holm_against_a_worked_example():
    """Holm 1979 on four p-values (α = 0.05): sorted 0.005, 0.01, 0.03, 0.04 are multiplied by
    4, 3, 2, 1 and made monotone: 0.02, 0.03, 0.06, 0.06; the first two are rejected."""
    adjusted, levels = statistics.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(levels, [0.05 / 3, 0.05 / 1, 0.05 / 2, 0.05 / 4])
    assert (adjusted < 0.05).tolist() == [True, False, False, True]


def test_holm_leaves_untestable_pairs_out_of_the_family():
    adjusted, _ = statistics.holm([0.01, math.nan, 0.04])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1])
    assert adjusted[2] == pytest.approx(0.04)


def test_paired_difference_pairs_by_seed_and_drops_unpaired():
    a = pd.Series([0.90, 0.80, 0.70, 0.99], index=[0, 1, 2, 3])
    b = pd.Series([0.85, 0.78, 0.60], index=[0, 1, 2])  # seed 3 missing: not paired
    got = statistics.paired_difference(a, b)
    diffs = np.array([0.05, 0.02, 0.10])
    assert got["n"] == 3
    assert got["mean_diff"] == pytest.approx(diffs.mean())
    assert got["std_diff"] == pytest.approx(diffs.std(ddof=1))
    t = diffs.mean() / (diffs.std(ddof=1) / math.sqrt(3))
    from scipy import stats

    assert got["p_value"] == pytest.approx(2 * stats.t.sf(t, 2))


def test_seed_stats_are_inside_the_data_for_min_and_max():
    got = statistics.seed_stats(pd.Series([0.99, 1.0, 0.98]))
    assert got["max"] == 1.0 and got["ci_high"] > 1.0  # a t interval can leave the range
    assert (got["min"], got["max"]) == (0.98, 1.0)  # the figures' bands use these


def test_seeds_to_resolve_a_difference():
    # sd of paired differences 0.5 pt: half-width t(n-1) * 0.005 / sqrt(n) < 0.005 from n = 7
    assert statistics.seeds_to_resolve(0.005, 0.005) == 7
    half = statistics.t_quantile(6) * 0.005 / math.sqrt(7)
    assert half < 0.005 <= statistics.t_quantile(5) * 0.005 / math.sqrt(6)
