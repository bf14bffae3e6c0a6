"""The report's findings, written from the tables, never by hand.

It opens with one verdict table: per question (each judged on one common yardstick, see
``analysis.metrics.PRIMARY``), answer (fixed or tuned learning rates), condition and optimizer,
the best loss, its margin over the runner-up with the Holm-corrected interval, and whether that
margin is beyond seed noise. A best loss resting on fewer than 2 paired seeds is "undecided",
never a winner. Only a loss with a value from every one of its runs is ranked: one whose runs
diverged, underfit or (convergence) never reached the target is named beside the verdict,
since ranking it on the seeds that are left would make it win by its failures. The prose then
says what the table cannot: which runs diverged or underfit, whether the fixed and the tuned
answers agree, which chosen learning rate sits at the edge of its grid, how many seeds it takes
to resolve a small difference, and what noise the noise questions measured.
"""

from __future__ import annotations

import math

import pandas as pd

from ..analysis import statistics
from ..analysis.metrics import METRICS, PRIMARY

#: what a verdict says, from the best loss's side (``comparisons`` orients pairs as a − b)
BEYOND = "beyond seed noise"
WITHIN = "not beyond seed noise"
UNDECIDED = "undecided (fewer than 2 paired seeds)"
ALONE = "the only loss ranked"
NONE_RANKED = "no loss ranked"


#: below this (in display units: pp, nats, epochs) a difference is float rounding, not data:
#: equal counts of correct predictions stored as float32 shares differ by ~1e-5 pp
DIFFERENCE_RESOLUTION = 1e-4


def number(x: float, resolution: float = 1e-9) -> str:
    """Enough digits to tell values apart: 97.4, 1.70, 0.20, 0.052 (a real minus sign); a
    float's rounding residue (below ``resolution``) is 0."""
    if abs(x) < resolution:
        return "0"
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


def diff_unit(metric: str) -> str:
    unit = METRICS[metric].unit
    return "pp" if unit == "%" else unit


def difference(metric: str, x: float) -> str:
    """A difference of ``metric`` in its display unit, e.g. '0.15 pp' or '−2.3 epochs'."""
    scaled = number(x * METRICS[metric].scale, DIFFERENCE_RESOLUTION)
    return f"{scaled} {diff_unit(metric)}".strip()


def interval(metric: str, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    scale = METRICS[metric].scale
    low, high = (number(v * scale, DIFFERENCE_RESOLUTION) for v in (low, high))
    return f"{low} to {high} {diff_unit(metric)}".strip()


def seeds(n: float) -> str:
    return "1 seed" if n == 1 else f"{n:.0f} seeds"


def pair(comparisons: pd.DataFrame, keys: dict, metric: str, a: str, b: str) -> dict | None:
    """The comparison a − b in one answer and setting (turned around when stored as b − a)."""
    rows = comparisons[
        (comparisons["answer"] == keys["answer"])
        & (comparisons["condition"] == keys["condition"])
        & (comparisons["optimizer"] == keys["optimizer"])
        & (comparisons["metric"] == metric)
    ]
    for first, second, sign in ((a, b, 1), (b, a, -1)):
        row = rows[(rows["loss_a"] == first) & (rows["loss_b"] == second)]
        if not row.empty:
            r = row.iloc[0]
            low, high = sorted((sign * r["ci_low"], sign * r["ci_high"]))
            flip = {"a better": "b better", "b better": "a better"}
            verdict = r["verdict"] if sign == 1 else flip.get(r["verdict"], r["verdict"])
            return {
                "diff": sign * r["mean_diff"],
                "low": low,
                "high": high,
                "p_holm": r["p_holm"],
                "verdict": verdict,
                "n": r["n"],
            }
    return None


def complete(stats: pd.DataFrame) -> pd.Series:
    """Which summary rows hold a value from every run of their group: the only ones ranked."""
    return stats["n"].fillna(0).eq(stats["runs"])


def left_out(row, metric: str) -> str:
    """A loss not ranked on ``metric`` (a summary row), with how many runs lack a value, why."""
    missing = row.runs - row.diverged - row.underfit - (0 if pd.isna(row.n) else row.n)
    reasons = {
        "diverged": row.diverged,
        "underfit": row.underfit,
        "never reached the target" if metric == "epochs_to_target" else "without a value": missing,
    }
    said = ", ".join(f"{count:.0f} {why}" for why, count in reasons.items() if count > 0)
    return f"{row.loss} ({said} of {row.runs:.0f} runs)"


def verdicts(summary: pd.DataFrame, comparisons: pd.DataFrame, judged: pd.DataFrame) -> list:
    """The verdict table: one row per question, answer, condition and optimizer; ``judged``
    lists the run groups of each answer (``analysis.selection.answers``)."""
    judged = judged.drop(columns="dataset")
    rows = []
    for question, metric in PRIMARY.items():
        stats = summary[summary["metric"] == metric].merge(
            judged, on=["condition", "optimizer", "loss", "lr"]
        )
        for (answer, condition, optimizer), group in stats.groupby(
            ["answer", "condition", "optimizer"], sort=False
        ):
            keys = {"answer": answer, "condition": condition, "optimizer": optimizer}
            ranked = group[complete(group)].sort_values(
                "mean", ascending=not METRICS[metric].higher_is_better
            )
            row = {
                "question": question,
                "metric": metric,
                **keys,
                "best": "",
                "lr": math.nan,
                "value": "",
                "n": 0,
                "runner_up": "",
                "margin": "",
                "interval": "",
                "p_holm": math.nan,
                "verdict": NONE_RANKED,
                "not_ranked": "; ".join(
                    left_out(r, metric) for r in group[~complete(group)].itertuples()
                ),
            }
            if ranked.empty:
                rows.append(row)
                continue
            best = ranked.iloc[0]
            row |= {
                "best": best["loss"],
                "lr": best["lr"],
                "value": value(metric, best["mean"]),
                "n": int(best["n"]),
                "verdict": UNDECIDED if best["n"] < 2 else ALONE if len(ranked) == 1 else WITHIN,
            }
            if len(ranked) > 1:
                second = ranked.iloc[1]
                found = pair(comparisons, keys, metric, best["loss"], second["loss"])
                row["runner_up"] = second["loss"]
                if found is not None:
                    row["margin"] = difference(metric, found["diff"])
                    row["interval"] = interval(metric, found["low"], found["high"])
                    row["p_holm"] = found["p_holm"]
                    if found["verdict"] == "undecided" or best["n"] < 2:
                        row["verdict"] = UNDECIDED
                    elif found["verdict"] == "a better":
                        row["verdict"] = BEYOND
            rows.append(row)
    return rows


def _group(row, several: bool) -> str:
    """A group's name: loss/optimizer, with its condition first when the study has several."""
    return (f"{row.condition}/" if several else "") + f"{row.loss}/{row.optimizer}"


def run_problems(runs: pd.DataFrame) -> list[str]:
    """The runs left out of the statistics, each named with why (seeds of a group together)."""
    several = runs["condition"].nunique() > 1
    sentences = [
        f"{_group(r, several)} lr {r.lr:g} seed {r.seed}: {r.status} after {r.epochs_completed} "
        f"of {r.epochs_planned} epochs ({r.reason}); its finite epochs are in the curves, and it "
        f"is left out of the statistics."
        for r in runs[runs["status"] != "ok"].itertuples()
    ]
    under = runs[(runs["status"] == "ok") & runs["underfit"].astype(bool)]
    for keys, group in under.groupby(["condition", "loss", "optimizer", "lr"], sort=False):
        name = _group(group.iloc[0], several)
        each = ", ".join(f"{r.seed} ({100 * r.final_train_acc:.1f} %)" for r in group.itertuples())
        sentences.append(
            f"{name} lr {keys[3]:g}: underfit in seeds {each} (final training accuracy): they "
            f"never recognise a class of the clean test set that most runs of their condition "
            f"recognise. Named, not ranked: they would read as robust to noise and as "
            f"generalising well."
        )
    return sentences or ["Every run finished all its epochs and learned every class."]


def overfitting(summary: pd.DataFrame, k: int) -> list[str]:
    """Groups where the test NLL rose over the last ``k`` epochs in some runs."""
    rows = summary[(summary["metric"] == "overfitting") & (summary["mean"] > 0)]
    several = summary["condition"].nunique() > 1
    rising = [
        f"{_group(r, several)} lr {r.lr:g} in {r.mean * r.n:.0f} of {r.n:.0f} runs"
        for r in rows.itertuples()
    ]
    if not rising:
        return [f"No run's test NLL rose over its last {k} epochs (no overfitting flag)."]
    return [
        f"Test NLL rose over the last {k} epochs (overfitting flag): " + "; ".join(rising) + "."
    ]


def answers_agree(table: list[dict]) -> list[str]:
    """Whether the fixed and the tuned learning rates name the same most accurate loss."""
    best = {
        (r["answer"], r["condition"], r["optimizer"]): r
        for r in table
        if r["question"] == "accuracy"
    }
    sentences = []
    for (answer, condition, optimizer), tuned in best.items():
        fixed = best.get(("fixed", condition, optimizer))
        if answer != "tuned" or fixed is None:
            continue
        same = "agree" if fixed["best"] == tuned["best"] else "disagree"
        sentences.append(
            f"Under {optimizer} ({condition}), the fixed and the tuned learning rates {same} on "
            f"the most accurate loss: {fixed['best']} at lr {fixed['lr']:g} "
            f"({fixed['verdict']}) vs {tuned['best']} at its chosen lr {tuned['lr']:g} "
            f"({tuned['verdict']})."
        )
    return sentences


def edges(selected: pd.DataFrame) -> list[str]:
    """Chosen learning rates at the edge of their grid: the best may lie beyond it."""
    flagged = selected[selected["at_edge"].astype(bool)]
    return [
        f"{r.loss}/{r.optimizer} ({r.condition}): the chosen lr {r.lr:g} is at the edge of its "
        f"grid; a rate beyond it may be better."
        for r in flagged.itertuples()
    ]


def seeds_needed(comparisons: pd.DataFrame, difference: float) -> list[str]:
    """How many seeds a difference of ``difference`` (accuracy) takes, from the spread of the
    paired differences of final clean accuracy (the median over the study's pairs)."""
    acc = comparisons[(comparisons["metric"] == "final_test_acc") & (comparisons["n"] > 1)]
    if acc.empty:
        return ["With fewer than 2 paired seeds per pair, no seed-to-seed spread is measured."]
    spread = acc["std_diff"].median()
    needed = statistics.seeds_to_resolve(spread, difference)
    seen = int(acc["n"].max())
    return [
        f"Paired seed-to-seed spread of clean accuracy: {100 * spread:.2f} pp (median over "
        f"{len(acc)} pairs). Resolving a {100 * difference:g} pt difference with a 95 % interval "
        f"takes about {needed} seeds (this study has {seen}); "
        + (f"recommended: seeds 0 to {needed - 1}." if needed > seen else "enough.")
    ]


def noise_named(evaluation: pd.DataFrame, noisy: str) -> list[str]:
    """What the noise questions measured, in both units: normalised and pixel intensity."""
    rows = evaluation[evaluation["noise"] != "clean"].drop_duplicates("testset")
    named = [
        f"{r.testset} ({r.noise} {r.level:g} in normalised units = {r.intensity:.3g} of the pixel "
        f"intensity range)"
        if r.noise == "gaussian"
        else f"{r.testset} ({r.noise} {r.level:g})"
        for r in rows.itertuples()
    ]
    if not named:
        return []
    return [
        f"Noisy test sets: {', '.join(named)}. 'noisy − clean' and 'kept under noise' use "
        f"{noisy}; 'mean accuracy over the noisy test sets' all of them."
    ]


def findings(
    summary: pd.DataFrame,
    comparisons: pd.DataFrame,
    runs: pd.DataFrame,
    selected: pd.DataFrame,
    judged: pd.DataFrame,
    evaluation_levels: pd.DataFrame,
    *,
    noisy: str,
    k: int,
    difference: float,
) -> dict:
    """The verdict table and the prose, by section (``judged``: see :func:`verdicts`)."""
    table = verdicts(summary, comparisons, judged)
    return {
        "table": table,
        "runs": run_problems(runs),
        "statistics": [
            "Within each question the pairs of losses are one family, corrected with Holm's "
            "step-down method; an interval is at the level Holm tests its pair at, and a loss is "
            "better only when the corrected p-value is below 0.05.",
            *seeds_needed(comparisons, difference),
        ],
        "learning_rates": answers_agree(table) + edges(selected),
        "generalization": overfitting(summary, k),
        "noise": noise_named(evaluation_levels, noisy),
    }
