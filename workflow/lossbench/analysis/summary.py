"""summary.csv and comparisons.csv of a dataset, from its tidy tables and selected_lr.csv.

Seed statistics and comparisons use the runs that finished (status ``ok``) and did not
underfit (some class never recognised: ``runs.csv``'s ``underfit``): a diverged run's last
finite epoch is not a result of the same training budget, and a run that never learned a class
would read as robust or as generalising well. ``summary.csv`` counts both per group
(``runs``, ``diverged``, ``underfit``); the report names them.

``comparisons.csv``: for each answer (``fixed``/``tuned``, see ``selection``), setting
(dataset x condition x optimizer) and metric, every pair of losses, each at the answer's
learning rate: the paired (by seed) mean difference a − b, Holm's adjusted p-value within that
family of pairs, the interval at the level Holm tests the pair at, and the verdict.
"""

from __future__ import annotations

import math
from itertools import combinations

import pandas as pd

from . import metrics, selection, statistics
from .metrics import GROUP_KEYS, METRICS, NOT_COMPARED, RUN_KEYS, SETTING_KEYS

COMPARED = [m for m, info in METRICS.items() if info.question not in NOT_COMPARED]
COMPARISON_COLUMNS = [
    "answer",
    *SETTING_KEYS,
    "metric",
    "loss_a",
    "lr_a",
    "loss_b",
    "lr_b",
    "n",
    "mean_diff",
    "std_diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "verdict",
]


def usable(per_run: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``per_run`` of runs that finished and did not underfit."""
    ok = runs.loc[(runs["status"] == "ok") & ~runs["underfit"].astype(bool), RUN_KEYS]
    return per_run.merge(ok, on=RUN_KEYS)


def run_counts(runs: pd.DataFrame) -> pd.DataFrame:
    """Per group: how many runs there are, how many diverged, how many underfit."""
    return (
        runs.assign(
            diverged=runs["status"] == "diverged",
            underfit=runs["underfit"].astype(bool) & (runs["status"] == "ok"),
        )
        .groupby(GROUP_KEYS, sort=False)
        .agg(runs=("seed", "size"), diverged=("diverged", "sum"), underfit=("underfit", "sum"))
        .reset_index()
    )


def seed_summary(per_run: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {**dict(zip([*GROUP_KEYS, "metric"], keys, strict=True)), **statistics.seed_stats(g)}
        for keys, g in per_run.groupby([*GROUP_KEYS, "metric"], sort=False)["value"]
    ]
    return pd.DataFrame(rows)


def verdict(metric: str, n: int, p_holm: float, mean_diff: float) -> str:
    """'a better', 'b better', 'not beyond seed noise', or 'undecided' below 2 paired seeds."""
    if n < 2 or not math.isfinite(p_holm):
        return "undecided"
    if p_holm >= statistics.ALPHA:
        return "not beyond seed noise"
    return "a better" if (mean_diff > 0) == METRICS[metric].higher_is_better else "b better"


def _family(values: dict[tuple, pd.Series]) -> list[dict]:
    """Every pair of one family (losses, each a Series by seed), Holm-corrected."""
    pairs = [
        (a, b, statistics.paired_difference(values[a], values[b]))
        for a, b in combinations(values, 2)
    ]
    adjusted, levels = statistics.holm([d["p_value"] for _, _, d in pairs])
    rows = []
    for (a, b, diff), p_holm, level in zip(pairs, adjusted, levels, strict=True):
        confidence = 1 - level if math.isfinite(level) else statistics.CONFIDENCE
        low, high = statistics.interval(diff["mean_diff"], diff["std_diff"], diff["n"], confidence)
        rows.append(
            {
                "loss_a": a[0],
                "lr_a": a[1],
                "loss_b": b[0],
                "lr_b": b[1],
                "n": diff["n"],
                "mean_diff": diff["mean_diff"],
                "std_diff": diff["std_diff"],
                "ci_low": low,
                "ci_high": high,
                "p_value": diff["p_value"],
                "p_holm": p_holm,
            }
        )
    return rows


def comparisons(per_run: pd.DataFrame, judged: pd.DataFrame) -> pd.DataFrame:
    """Paired, Holm-corrected differences between every two losses (see the module's doc);
    ``judged`` lists the run groups of each answer (``selection.answers``)."""
    rows = []
    frame = per_run[per_run["metric"].isin(COMPARED)].merge(judged, on=GROUP_KEYS)
    for (answer, *setting, metric), family in frame.groupby(
        ["answer", *SETTING_KEYS, "metric"], sort=False
    ):
        values = {
            (loss, lr): group.set_index("seed")["value"]
            for (loss, lr), group in family.groupby(["loss", "lr"], sort=False)
        }
        for row in _family(values):
            rows.append(
                {
                    "answer": answer,
                    **dict(zip(SETTING_KEYS, setting, strict=True)),
                    "metric": metric,
                    **row,
                    "verdict": verdict(metric, row["n"], row["p_holm"], row["mean_diff"]),
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def tables(
    history: pd.DataFrame,
    evaluation: pd.DataFrame,
    runs: pd.DataFrame,
    selected: pd.DataFrame,
    *,
    noisy: str,
    k: int,
    target: float,
    fixed: dict[str, float | None],
) -> dict[str, pd.DataFrame]:
    """summary and comparisons of one dataset's study (see the module's doc); ``selected``:
    the learning rates chosen (``selection.selected_lrs``)."""
    per_run = metrics.run_metrics(history, evaluation, runs, noisy=noisy, k=k, target=target)
    kept = usable(per_run, runs)
    summary = run_counts(runs).merge(seed_summary(kept), on=GROUP_KEYS, how="left")
    judged = selection.answers(runs, selected, fixed)
    return {"summary": summary, "comparisons": comparisons(kept, judged)}
