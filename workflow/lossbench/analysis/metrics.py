"""Every run's metrics, from the tidy tables only (pandas, no torch).

Losses are compared with each other only on common yardsticks: accuracy (plain, balanced,
macro-F1), NLL, ECE and Brier score on the clean test set, accuracy on the noisy test sets, and
epochs to reach a common validation accuracy. A loss's own value is not comparable across
losses (MAE lives in [0, 2]; focal's (1 − p)^γ shrinks the loss, not the learning time), so
own-loss quantities are per-loss pictures only (the curve figures), never a verdict.

Directions are stated so that "better" always means better: a gap is train minus test (or test
minus train for a loss), so a smaller gap is better. The train side of a gap is the final
weights scored on the whole training set with its true labels (``runs.csv``), not the
history's running average, and not the corrupted labels of a condition (fitting those is
memorisation, shown on its own).
Choices (the best epoch) are made on the validation split, never on a test set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

RUN_KEYS = ["dataset", "condition", "loss", "optimizer", "lr", "seed"]
GROUP_KEYS = ["dataset", "condition", "loss", "optimizer", "lr"]
#: where losses are compared with each other (each at its lr of the answer at hand)
SETTING_KEYS = ["dataset", "condition", "optimizer"]


@dataclass(frozen=True)
class Metric:
    """How a metric reads: label, unit, display scale, direction, and the question it answers."""

    label: str
    unit: str
    higher_is_better: bool
    question: str
    scale: float = 1.0


#: every per-run metric, in report order; accuracies are fractions shown in percent (points)
METRICS = {
    "final_test_acc": Metric("clean test accuracy (last epoch)", "%", True, "accuracy", 100),
    "balanced_acc": Metric("balanced accuracy (clean test)", "%", True, "accuracy", 100),
    "macro_f1": Metric("macro-F1 (clean test)", "%", True, "accuracy", 100),
    "nll": Metric("test NLL", "nats", False, "calibration"),
    "ece": Metric("expected calibration error", "%", False, "calibration", 100),
    "brier": Metric("Brier score", "", False, "calibration"),
    "best_val_test_acc": Metric(
        "clean test accuracy at the best-validation epoch", "%", True, "early stopping", 100
    ),
    "best_to_last_drop": Metric(
        "accuracy lost from the best-validation epoch to the last",
        "pp",
        False,
        "early stopping",
        100,
    ),
    "epochs_to_target": Metric(
        "epochs to the common validation target", "epochs", False, "convergence"
    ),
    "acc_gap": Metric(
        "train − test accuracy (final weights, true labels)", "pp", False, "generalization", 100
    ),
    "nll_gap": Metric(
        "test − train NLL (final weights, true labels)", "nats", False, "generalization"
    ),
    "noisy_mean_acc": Metric("mean accuracy over the noisy test sets", "%", True, "noise", 100),
    "noise_acc_delta": Metric("noisy − clean accuracy", "pp", True, "noise", 100),
    "noise_retained": Metric("clean accuracy kept under noise", "%", True, "noise", 100),
    "val_acc": Metric("validation accuracy (last epoch)", "%", True, "selection", 100),
    "val_nll": Metric("validation NLL (last epoch)", "nats", False, "selection"),
    "best_val_epoch": Metric("best-validation epoch", "", False, "selection"),
    "test_nll_slope": Metric("test-NLL slope, last k epochs", "nats/epoch", False, "diagnostic"),
    "overfitting": Metric(
        "runs whose test NLL rose over the last k epochs", "%", False, "diagnostic", 100
    ),
}
#: the decimals shares are kept to (see :func:`run_metrics`)
SHARE_DECIMALS = 6
#: the questions whose metrics describe a run but are not compared across losses
NOT_COMPARED = ("selection", "diagnostic")

#: the metric each question's verdict is made on, and the questions in report order
PRIMARY = {
    "accuracy": "final_test_acc",
    "calibration": "ece",
    "early stopping": "best_val_test_acc",
    "convergence": "epochs_to_target",
    "generalization": "acc_gap",
    "noise": "noisy_mean_acc",
}

#: the metrics a reader compares first: the report's summary table and the summary heatmap
KEY_METRICS = [
    "final_test_acc",
    "balanced_acc",
    "nll",
    "ece",
    "brier",
    "best_val_test_acc",
    "epochs_to_target",
    "acc_gap",
    "noisy_mean_acc",
    "noise_retained",
]


def wide_history(history: pd.DataFrame) -> pd.DataFrame:
    """One row per run x epoch with columns ``{split}_{metric}`` (train_loss, val_acc, ...)."""
    frame = history.assign(series=history["split"] + "_" + history["metric"])
    index = [*RUN_KEYS, "epoch", "phase", "phase_optimizer"]
    wide = frame.set_index([*index, "series"])["value"].unstack("series")  # keeps empty values
    wide.columns.name = None
    return wide.reset_index().sort_values([*RUN_KEYS, "epoch"], ignore_index=True)


def pct_change(values: pd.Series) -> pd.Series:
    """Relative change from the previous epoch (the original study's definition); NaN first."""
    return values.pct_change(fill_method=None)


def epochs_to_target(accuracy: pd.Series, epochs: pd.Series, target: float) -> float:
    """The first epoch whose validation accuracy reaches ``target``; NaN if none does, so a
    run stuck on a plateau below it is never "fastest"."""
    reached = epochs[accuracy.to_numpy() >= target]
    return float(reached.iloc[0]) if len(reached) else float("nan")


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


def targets(wide: pd.DataFrame, share: float) -> pd.Series:
    """The common convergence target per (dataset, condition): ``share`` of the best final
    validation accuracy of its runs (the same bar for every loss, optimizer and rate)."""
    last = wide.groupby(RUN_KEYS, sort=False).tail(1)
    return share * last.groupby(["dataset", "condition"])["val_acc"].max()


def _curve_metrics(run: pd.DataFrame, target: float, k: int) -> dict:
    """The metrics a run's history gives: best-validation epoch, convergence, NLL trend."""
    best = run.loc[run["val_acc"].idxmax()]  # the earliest of equally good epochs
    last = run.iloc[-1]
    rising = slope(run["test_nll"], run["epoch"], k)
    return {
        "best_val_epoch": best["epoch"],
        "best_val_test_acc": best["test_acc"],
        "best_to_last_drop": best["test_acc"] - last["test_acc"],
        "epochs_to_target": epochs_to_target(run["val_acc"], run["epoch"], target),
        "val_acc": last["val_acc"],
        "val_nll": last["val_nll"],
        "test_nll_slope": rising,
        "overfitting": float(rising > 0) if np.isfinite(rising) else float("nan"),
    }


def _evaluation_metrics(evaluation: pd.DataFrame, runs: pd.DataFrame, noisy: str) -> pd.DataFrame:
    """The metrics the final weights' scores give (``noisy``: the test set of the noise
    metrics, the one training also scores every epoch)."""
    common = ["accuracy", "balanced_accuracy", "macro_f1", "nll", "ece", "brier"]
    wide = evaluation[evaluation["metric"].isin(common)].pivot_table(
        index=[*RUN_KEYS, "testset", "noise"], columns="metric", values="value", aggfunc="first"
    )
    wide.columns.name = None
    wide = wide.reset_index()
    clean = wide[wide["noise"] == "clean"].set_index(RUN_KEYS)
    corrupted = wide[wide["noise"] != "clean"]
    trained = runs.set_index(RUN_KEYS)
    frame = pd.DataFrame(
        {
            "final_test_acc": clean["accuracy"],
            "balanced_acc": clean["balanced_accuracy"],
            "macro_f1": clean["macro_f1"],
            "nll": clean["nll"],
            "ece": clean["ece"],
            "brier": clean["brier"],
            "acc_gap": trained["final_true_acc"] - clean["accuracy"],
            "nll_gap": clean["nll"] - trained["final_true_nll"],
        }
    )
    if len(corrupted):
        frame["noisy_mean_acc"] = corrupted.groupby(RUN_KEYS)["accuracy"].mean()
        named = wide[wide["testset"] == noisy].set_index(RUN_KEYS)["accuracy"]
        frame["noise_acc_delta"] = named - clean["accuracy"]
        frame["noise_retained"] = named / clean["accuracy"]
    return frame


def run_metrics(
    history: pd.DataFrame,
    evaluation: pd.DataFrame,
    runs: pd.DataFrame,
    *,
    noisy: str,
    k: int,
    target: float,
) -> pd.DataFrame:
    """Every metric of every run, tidy: the run's keys, metric, value.

    ``runs`` is the runs table (final training-set scores); ``noisy`` the test set of the noise
    metrics; ``k`` the epochs of the test-NLL slope that flags overfitting; ``target`` the
    share of the best validation accuracy that counts as converged.
    """
    wide = wide_history(history)
    goal = targets(wide, target)
    curves = pd.DataFrame(
        {
            keys: _curve_metrics(run, goal[keys[0], keys[1]], k)
            for keys, run in wide.groupby(RUN_KEYS, sort=False)
        }
    ).T
    curves.index.names = RUN_KEYS
    frame = _evaluation_metrics(evaluation, runs, noisy).join(curves, how="outer")
    tidy = frame.reset_index().melt(id_vars=RUN_KEYS, var_name="metric", value_name="value")
    tidy = tidy.astype({"value": float})
    # Shares (accuracies, gaps, ECE) are float32 roundings of counts over a test set: equal
    # counts would differ by ~1e-8 and paired differences of equal accuracies would not be 0.
    # 1e-6 is far below one image of any test set (1/n ≥ 1e-5 for n ≤ 100000).
    shares = tidy["metric"].map(lambda m: METRICS[m].scale == 100)
    tidy.loc[shares, "value"] = tidy.loc[shares, "value"].round(SHARE_DECIMALS)
    return tidy
