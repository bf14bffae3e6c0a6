"""The report's findings, written from summary.csv and comparisons.csv, never by hand.

For each of the study's four questions (accuracy, convergence, generalization, noise
sensitivity) and each optimizer, the best loss by its seed mean is named and compared with
every other loss by the paired (by seed) 95 % CI of the difference: "better" only when that
interval excludes zero, "within seed noise" otherwise.
"""

from __future__ import annotations

import math

import pandas as pd

from ..analysis.metrics import METRICS

QUESTIONS = {
    "accuracy": [("final_test_acc", "is most accurate"), ("ece", "is best calibrated")],
    "convergence": [
        ("epochs_to_converge", "converges in the fewest epochs"),
        ("test_loss_auc", "has the smallest area under its test loss"),
    ],
    "generalization": [("acc_gap", "has the smallest train − test accuracy gap")],
    "noise": [
        ("noise_acc_delta", "loses the least accuracy under σ = 1 noise"),
        ("noisy_mean_acc", "is most accurate over the noisy test sets"),
    ],
}

VERDICTS = {
    "a better": "better beyond seed noise",
    "b better": "worse beyond seed noise",
    "within seed noise": "within seed noise",
    "too few seeds": "not decidable (fewer than 2 paired seeds)",
}


def number(x: float) -> str:
    """Enough digits to tell values apart: 97.4, 1.70, 0.20, 0.052 (a real minus sign)."""
    if abs(x) >= 10:
        text = f"{x:.1f}"
    elif abs(x) >= 1:
        text = f"{x:.2f}"
    else:
        text = f"{x:#.2g}"
    return text.replace("-", "−")


def value(metric: str, x: float) -> str:
    """``x`` in the metric's display unit, e.g. '97.3 %' or '12.0 epochs'."""
    info = METRICS[metric]
    if not math.isfinite(x):
        return "n/a"
    return f"{number(x * info.scale)} {info.unit}".rstrip()


def seeds(n: float) -> str:
    return "1 seed" if n == 1 else f"{n:.0f} seeds"


def diff_unit(metric: str) -> str:
    unit = METRICS[metric].unit
    return "pp" if unit == "%" else unit


def _interval(metric: str, low: float, high: float) -> str:
    scale = METRICS[metric].scale
    return f"{number(low * scale)} to {number(high * scale)} {diff_unit(metric)}".strip()


def _in(frame: pd.DataFrame, setting: tuple) -> pd.DataFrame:
    """The rows of one setting: (condition, optimizer, lr)."""
    condition, optimizer, lr = setting
    return frame[
        (frame["condition"] == condition) & (frame["optimizer"] == optimizer) & (frame["lr"] == lr)
    ]


def _under(setting: tuple, conditions: int) -> str:
    """'Under sgd', or 'Under sgd with symmetric_0.4' when the study has several conditions."""
    condition, optimizer, _ = setting
    return f"Under {optimizer}" + (f" with {condition}" if conditions > 1 else "")


def _pair(comparisons: pd.DataFrame, setting, metric: str, a: str, b: str) -> dict | None:
    """The comparison a − b (turned around when stored as b − a)."""
    rows = _in(comparisons, setting)
    rows = rows[rows["metric"] == metric]
    for first, second, sign in ((a, b, 1), (b, a, -1)):
        row = rows[(rows["loss_a"] == first) & (rows["loss_b"] == second)]
        if not row.empty:
            r = row.iloc[0]
            low, high = sorted((sign * r["ci_low"], sign * r["ci_high"]))
            flip = {"a better": "b better", "b better": "a better"}
            verdict = r["verdict"] if sign == 1 else flip.get(r["verdict"], r["verdict"])
            return {"low": low, "high": high, "verdict": verdict}
    return None


def ranking(
    summary: pd.DataFrame,
    comparisons: pd.DataFrame,
    setting: tuple[str, str],
    metric: str,
    claim: str,
    conditions: int = 1,
) -> str | None:
    """'Under sgd, ce is most accurate (97.3 % ± 0.4, 3 seeds); vs mae: ...' or None.

    ``setting`` is (condition, optimizer); ``conditions`` how many the study has."""
    rows = _in(summary, setting)
    rows = rows[rows["metric"] == metric]
    rows = rows[rows["mean"].notna()]
    if rows.empty:
        return None
    best = rows.sort_values("mean", ascending=not METRICS[metric].higher_is_better).iloc[0]
    std = best["std"] * METRICS[metric].scale
    spread = f" ± {number(std)}" if math.isfinite(std) else ""
    text = (
        f"{_under(setting, conditions)}, {best['loss']} {claim} "
        f"({value(metric, best['mean'])}{spread}, {seeds(best['n'])})"
    )
    others = []
    for other in rows["loss"]:
        pair = other != best["loss"] and _pair(comparisons, setting, metric, best["loss"], other)
        if pair:
            interval = ""
            if math.isfinite(pair["low"]):
                interval = f" (paired 95 % CI {_interval(metric, pair['low'], pair['high'])})"
            others.append(f"vs {other}: {VERDICTS[pair['verdict']]}{interval}")
    return text + ("; " + "; ".join(others) if others else "") + "."


def _group(row, several: bool) -> str:
    """A group's name: loss/optimizer, with its condition first when the study has several."""
    return (f"{row.condition}/" if several else "") + f"{row.loss}/{row.optimizer}"


def _several(frame: pd.DataFrame) -> bool:
    return frame["condition"].nunique() > 1


def _counted(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    return summary[summary["metric"] == metric].assign(usable=lambda f: f["runs"] - f["diverged"])


def not_converged(summary: pd.DataFrame, threshold: float) -> list[str]:
    """Groups where some finished runs never settled below the convergence threshold."""
    rows = _counted(summary, "epochs_to_converge")
    return [
        f"{_group(r, _several(summary))}: in {r.usable - r.n:.0f} of {r.usable:.0f} finished "
        f"runs the test loss still changed by ≥ {threshold * 100:g} % per epoch at the end "
        f"(not converged)."
        for r in rows.itertuples()
        if r.n < r.usable
    ]


def overfitting(summary: pd.DataFrame, k: int) -> list[str]:
    """Groups where the test loss rose over the last ``k`` epochs in some runs."""
    rows = _counted(summary, "overfitting")
    rising = [
        f"{_group(r, _several(summary))} in {r.mean * r.n:.0f} of {r.n:.0f} runs"
        for r in rows.itertuples()
        if r.n > 0 and r.mean > 0
    ]
    if not rising:
        return [f"No finished run's test loss rose over its last {k} epochs (no overfitting flag)."]
    return [
        f"Test loss rose over the last {k} epochs (overfitting flag): " + "; ".join(rising) + "."
    ]


def diverged(runs: pd.DataFrame) -> list[str]:
    bad = runs[runs["status"] != "ok"]
    return [
        f"{_group(r, _several(runs))} seed {r.seed}: {r.status} after {r.epochs_completed} of "
        f"{r.epochs_planned} epochs ({r.reason}); its finite epochs are in the curves, and it is "
        f"left out of the statistics."
        for r in bad.itertuples()
    ]


def findings(
    summary: pd.DataFrame, comparisons: pd.DataFrame, runs: pd.DataFrame, threshold: float, k: int
) -> dict[str, list[str]]:
    """Sentences per question (accuracy, convergence, generalization, noise) and for runs."""
    keys = (runs["condition"], runs["optimizer"], runs["lr"])
    settings = list(dict.fromkeys(zip(*keys, strict=True)))
    conditions = runs["condition"].nunique()
    out = {
        question: [
            sentence
            for metric, claim in claims
            for setting in settings
            if (sentence := ranking(summary, comparisons, setting, metric, claim, conditions))
        ]
        for question, claims in QUESTIONS.items()
    }
    out["convergence"] += not_converged(summary, threshold)
    out["generalization"] += overfitting(summary, k)
    out["runs"] = diverged(runs) or ["Every run finished all its epochs; none diverged."]
    return out
