"""summary.csv and comparisons.csv of a dataset, from its tidy tables.

Seed statistics and paired comparisons use the runs that finished (status ``ok``): a diverged
run's last finite epoch is not a result of the same training budget. ``summary.csv`` counts
them per group (``runs``, ``diverged``) so they stay visible; the report lists them by name.
"""

from __future__ import annotations

import pandas as pd

from . import metrics


def finished(per_run: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``per_run`` that belong to runs with status ``ok``."""
    ok = runs.loc[runs["status"] == "ok", metrics.RUN_KEYS]
    return per_run.merge(ok, on=metrics.RUN_KEYS)


def run_counts(runs: pd.DataFrame) -> pd.DataFrame:
    """Per dataset x loss x optimizer: how many runs there are and how many diverged."""
    return (
        runs.assign(diverged=runs["status"] == "diverged")
        .groupby(metrics.GROUP_KEYS, sort=False)
        .agg(runs=("seed", "size"), diverged=("diverged", "sum"))
        .reset_index()
    )


def tables(
    history: pd.DataFrame,
    evaluation: pd.DataFrame,
    runs: pd.DataFrame,
    threshold: float,
    k: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, comparisons) of one dataset's study."""
    per_run = finished(metrics.run_metrics(history, evaluation, threshold, k), runs)
    summary = run_counts(runs).merge(metrics.summary(per_run), on=metrics.GROUP_KEYS, how="left")
    return summary, metrics.comparisons(per_run)
