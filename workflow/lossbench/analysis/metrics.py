"""The study's metrics, computed from the tidy tables only (pandas and scipy, no torch).

Per run: accuracy, convergence, generalization and noise sensitivity from the per-epoch
history, and the common yardsticks (NLL, ECE, Brier) from the final evaluation. Across seeds:
mean, standard deviation and a t-based 95 % confidence interval, and paired (by seed)
differences between losses, so that "better" is claimed only when the interval excludes zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

RUN_KEYS = ["dataset", "condition", "loss", "optimizer", "lr", "seed"]
GROUP_KEYS = ["dataset", "condition", "loss", "optimizer", "lr"]
#: where losses are compared with each other: one training setting
SETTING_KEYS = ["dataset", "condition", "optimizer", "lr"]
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Metric:
    """How a metric reads: its label, unit, scale for display, and which direction is better."""

    label: str
    unit: str
    higher_is_better: bool
    scale: float = 1.0


#: every per-run metric, in report order; accuracies are fractions shown in percent (points)
METRICS = {
    "final_test_acc": Metric("final test accuracy", "%", True, 100.0),
    "best_test_acc": Metric("best test accuracy", "%", True, 100.0),
    "nll": Metric("test NLL", "nats", False),
    "ece": Metric("expected calibration error", "%", False, 100.0),
    "brier": Metric("Brier score", "", False),
    "epochs_to_converge": Metric("epochs to converge", "epochs", False),
    "test_loss_auc": Metric("normalised area under test loss", "", False),
    "acc_gap": Metric("train − test accuracy", "pp", False, 100.0),
    "loss_gap": Metric("train − test loss (own loss)", "", False),
    "test_loss_slope": Metric("test-loss slope, last k epochs", "per epoch", False),
    "overfitting": Metric("runs with rising test loss", "%", False, 100.0),
    "noise_acc_delta": Metric("noisy − clean accuracy (σ = 1)", "pp", True, 100.0),
    "noise_loss_delta": Metric("noisy − clean loss (σ = 1, own loss)", "", False),
    "noisy_mean_acc": Metric("mean accuracy over noisy test sets", "%", True, 100.0),
}

#: the metrics a reader compares first: the report's summary table and the summary heatmap
KEY_METRICS = [
    "final_test_acc",
    "nll",
    "ece",
    "brier",
    "epochs_to_converge",
    "acc_gap",
    "noise_acc_delta",
    "noisy_mean_acc",
]


def wide_history(history: pd.DataFrame) -> pd.DataFrame:
    """One row per run x epoch with columns ``{split}_{metric}`` (train_loss, test_acc, ...)."""
    frame = history.assign(series=history["split"] + "_" + history["metric"])
    wide = frame.pivot_table(
        index=[*RUN_KEYS, "epoch", "phase", "phase_optimizer"],
        columns="series",
        values="value",
        aggfunc="first",
    )
    wide.columns.name = None
    return wide.reset_index().sort_values([*RUN_KEYS, "epoch"], ignore_index=True)


def pct_change(values: pd.Series) -> pd.Series:
    """Relative change from the previous epoch (the original study's definition); NaN first."""
    return values.pct_change(fill_method=None)


def epochs_to_converge(test_loss: pd.Series, epochs: pd.Series, threshold: float) -> float:
    """The first epoch from which |pct_change| of the test loss stays below ``threshold``.

    Epoch e qualifies when every change from e to the last epoch is small, so a run still
    moving at its last epoch has not converged (NaN), nor has a one-epoch run.
    """
    change = pct_change(test_loss.reset_index(drop=True)).abs().to_numpy()
    epochs = epochs.to_numpy()
    if len(change) < 2 or not change[-1] < threshold:
        return float("nan")
    first = len(change) - 1
    while first > 1 and change[first - 1] < threshold:
        first -= 1
    return float(epochs[first])


def normalised_auc(test_loss: pd.Series, epochs: pd.Series) -> float:
    """Area under the test-loss curve divided by (start value x epoch span).

    1 means the loss never fell below its first value; smaller means a faster, deeper fall.
    """
    loss, x = test_loss.to_numpy(dtype=float), epochs.to_numpy(dtype=float)
    if len(loss) < 2 or loss[0] == 0:
        return float("nan")
    return float(np.trapezoid(loss / loss[0], x) / (x[-1] - x[0]))


def slope(values: pd.Series, epochs: pd.Series, k: int) -> float:
    """Least-squares slope of ``values`` over the last ``k`` epochs (NaN with fewer than 2)."""
    y, x = values.to_numpy(dtype=float)[-k:], epochs.to_numpy(dtype=float)[-k:]
    if len(y) < 2:
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


def pooled_bins(calibration: pd.DataFrame) -> pd.DataFrame:
    """Reliability bins pooled over seeds: counts summed, confidence/accuracy count-weighted."""
    frame = calibration[calibration["count"] > 0].assign(
        conf_sum=lambda f: f["confidence"] * f["count"],
        acc_sum=lambda f: f["accuracy"] * f["count"],
    )
    keys = [*GROUP_KEYS, "testset", "bin", "lower", "upper"]
    pooled = frame.groupby(keys, sort=False)[["count", "conf_sum", "acc_sum"]].sum()
    pooled["confidence"] = pooled.pop("conf_sum") / pooled["count"]
    pooled["accuracy"] = pooled.pop("acc_sum") / pooled["count"]
    return pooled.reset_index()


def _curve_metrics(run: pd.DataFrame, threshold: float, k: int) -> dict:
    last = run.iloc[-1]
    rising = slope(run["test_loss"], run["epoch"], k)
    return {
        "final_test_acc": last["test_acc"],
        "best_test_acc": run["test_acc"].max(),
        "epochs_to_converge": epochs_to_converge(run["test_loss"], run["epoch"], threshold),
        "test_loss_auc": normalised_auc(run["test_loss"], run["epoch"]),
        "acc_gap": last["train_acc"] - last["test_acc"],
        "loss_gap": last["train_loss"] - last["test_loss"],
        "test_loss_slope": rising,
        "overfitting": float(rising > 0) if np.isfinite(rising) else float("nan"),
        "noise_acc_delta": last["noisy_acc"] - last["test_acc"],
        "noise_loss_delta": last["noisy_loss"] - last["test_loss"],
    }


def _evaluation_metrics(evaluation: pd.DataFrame) -> pd.DataFrame:
    clean = evaluation[(evaluation["noise"] == "clean") & evaluation["metric"].isin(METRICS)]
    noisy = evaluation[(evaluation["noise"] != "clean") & (evaluation["metric"] == "accuracy")]
    noisy_mean = noisy.groupby(RUN_KEYS, as_index=False)["value"].mean()
    return pd.concat(
        [
            clean[[*RUN_KEYS, "metric", "value"]],
            noisy_mean.assign(metric="noisy_mean_acc")[[*RUN_KEYS, "metric", "value"]],
        ],
        ignore_index=True,
    )


def run_metrics(
    history: pd.DataFrame, evaluation: pd.DataFrame, threshold: float, k: int
) -> pd.DataFrame:
    """Every metric of every run, tidy: dataset, loss, optimizer, seed, metric, value."""
    rows = [
        {**dict(zip(RUN_KEYS, keys, strict=True)), "metric": name, "value": value}
        for keys, run in wide_history(history).groupby(RUN_KEYS, sort=False)
        for name, value in _curve_metrics(run, threshold, k).items()
    ]
    return pd.concat([pd.DataFrame(rows), _evaluation_metrics(evaluation)], ignore_index=True)


def t_quantile(df):
    """The two-sided 95 % quantile of Student's t with ``df`` degrees of freedom.

    scipy.special rather than scipy.stats: the same numbers at a third of the import time,
    which every figure job pays.
    """
    return special.stdtrit(df, (1 + CONFIDENCE) / 2)


def seed_stats(values: pd.Series) -> dict:
    """n, mean, standard deviation and the t-based 95 % CI of the mean over seeds."""
    values = values.dropna().astype(float)
    n = len(values)
    mean = values.mean() if n else float("nan")
    std = values.std(ddof=1) if n > 1 else float("nan")
    if n > 1:
        half = t_quantile(n - 1) * std / np.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low = high = float("nan")
    return {"n": n, "mean": mean, "std": std, "ci_low": low, "ci_high": high}


def summary(per_run: pd.DataFrame) -> pd.DataFrame:
    """Seed statistics of every metric per dataset x loss x optimizer (tidy)."""
    rows = [
        {**dict(zip([*GROUP_KEYS, "metric"], keys, strict=True)), **seed_stats(group["value"])}
        for keys, group in per_run.groupby([*GROUP_KEYS, "metric"], sort=False)
    ]
    return pd.DataFrame(rows)


def paired_difference(a: pd.Series, b: pd.Series) -> dict:
    """Mean of a - b over the seeds both have, its 95 % CI and the paired t-test p-value.

    ``a`` and ``b`` are indexed by seed; seeds missing (or NaN) in either are dropped.
    """
    both = pd.concat({"a": a, "b": b}, axis=1).dropna()
    result = {"n": len(both), **seed_stats(both["a"] - both["b"])}
    std = result.pop("std")
    result["mean_diff"] = result.pop("mean")
    t = result["mean_diff"] / (std / np.sqrt(len(both))) if std > 0 else float("nan")
    result["p_value"] = float(2 * special.stdtr(len(both) - 1, -abs(t)))
    return result


def verdict(metric: str, ci_low: float, ci_high: float) -> str:
    """'a better', 'b better', 'within seed noise' or 'too few seeds' for a difference a - b."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "too few seeds"
    if ci_low <= 0 <= ci_high:
        return "within seed noise"
    a_higher = ci_low > 0
    return "a better" if a_higher == METRICS[metric].higher_is_better else "b better"


def comparisons(per_run: pd.DataFrame) -> pd.DataFrame:
    """Paired differences a - b between every two losses, per setting (dataset x condition x
    optimizer) and metric."""
    rows = []
    for (*setting, metric), group in per_run.groupby([*SETTING_KEYS, "metric"], sort=False):
        by_loss = {
            loss: g.set_index("seed")["value"] for loss, g in group.groupby("loss", sort=False)
        }
        names = list(by_loss)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                diff = paired_difference(by_loss[a], by_loss[b])
                rows.append(
                    {
                        **dict(zip(SETTING_KEYS, setting, strict=True)),
                        "metric": metric,
                        "loss_a": a,
                        "loss_b": b,
                        **diff,
                        "verdict": verdict(metric, diff["ci_low"], diff["ci_high"]),
                    }
                )
    # a study with one loss has no pairs: still a table with its header
    keys = [*SETTING_KEYS, "metric", "loss_a", "loss_b"]
    stats = ["n", "mean_diff", "ci_low", "ci_high", "p_value", "verdict"]
    return pd.DataFrame(rows, columns=[*keys, *stats])
