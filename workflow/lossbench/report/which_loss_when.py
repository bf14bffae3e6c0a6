"""Which loss when: the report's answer per training condition, written from the tables.

Per condition and optimizer (each loss at its chosen learning rate where the study tunes it,
else at the fixed one): the most accurate loss on the clean test set and, for every other
loss, whether the Holm-corrected paired interval of the difference excludes zero; whether the
ranking of the losses changes between the clean condition and each other one; and how much
clean accuracy each loss loses from its best-validation epoch to its last (a loss that fits
noisy labels late loses most: where early stopping helps).
"""

from __future__ import annotations

import math

import pandas as pd
from scipy.stats import kendalltau

from ..analysis import selection
from ..analysis.metrics import GROUP_KEYS
from .findings import WITHIN, complete, difference, left_out, pair, value

METRIC = "final_test_acc"


def judged_groups(summary: pd.DataFrame, judged: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``metric``'s summary rows of the runs each setting judges: the tuned answer where the
    setting has one, else the fixed one (``judged``: ``analysis.selection.answers``)."""
    chosen = selection.preferred(judged)
    return summary[summary["metric"] == metric].merge(chosen, on=GROUP_KEYS)


def ranked(summary: pd.DataFrame, judged: pd.DataFrame) -> pd.DataFrame:
    """Mean clean accuracy of every loss each setting judges, best first: condition,
    optimizer, answer, loss, lr, mean, n."""
    acc = judged_groups(summary, judged, METRIC)
    return acc.sort_values(["condition", "optimizer", "mean"], ascending=[True, True, False])


def winners(summary: pd.DataFrame, comparisons: pd.DataFrame, judged: pd.DataFrame) -> list:
    """Per condition and optimizer: the most accurate loss, and each other loss judged (only
    losses with every run usable are ranked; the others are named)."""
    table = ranked(summary, judged)
    sentences = []
    order = list(dict.fromkeys(summary["condition"]))
    for (condition, optimizer), group in sorted(
        table.groupby(["condition", "optimizer"], sort=False), key=lambda kv: order.index(kv[0][0])
    ):
        named = [left_out(r, METRIC) for r in group[~complete(group)].itertuples()]
        unranked = "; not ranked: " + ", ".join(named) if named else ""
        group = group[complete(group)]
        if group.empty:
            sentences.append(f"With {condition}, under {optimizer}: no loss ranked{unranked}.")
            continue
        best = group.iloc[0]
        keys = {"answer": best["answer"], "condition": condition, "optimizer": optimizer}
        others = []
        for other in group.iloc[1:].itertuples():
            found = pair(comparisons, keys, METRIC, best["loss"], other.loss)
            if found is None:
                continue
            word = {"a better": "worse beyond seed noise", "undecided": "undecided"}.get(
                found["verdict"], WITHIN
            )
            holm = f", Holm p {found['p_holm']:.2g}" if math.isfinite(found["p_holm"]) else ""
            others.append(f"{other.loss} {word} ({difference(METRIC, -found['diff'])}{holm})")
        sentences.append(
            f"With {condition}, under {optimizer}: {best['loss']} is most accurate "
            f"({value(METRIC, best['mean'])}, lr {best['lr']:g}, {best['n']:.0f} seeds)"
            + ("; " + "; ".join(others) if others else "")
            + unranked
            + "."
        )
    return sentences


def ranking_changes(summary: pd.DataFrame, judged: pd.DataFrame) -> list[str]:
    """Whether the order of the losses' mean clean accuracy changes from the clean condition
    to each other one (Kendall's τ between the two orders; 1 = the same order)."""
    table = ranked(summary, judged)
    table = table[complete(table)]
    conditions = list(dict.fromkeys(summary["condition"]))
    if "clean" not in conditions or len(conditions) < 2:
        return []
    sentences = []
    for optimizer, by_optimizer in table.groupby("optimizer", sort=False):
        clean = by_optimizer[by_optimizer["condition"] == "clean"].set_index("loss")["mean"]
        for condition in conditions:
            if condition == "clean":
                continue
            other = by_optimizer[by_optimizer["condition"] == condition].set_index("loss")["mean"]
            common = clean.index.intersection(other.index)
            if len(common) < 2:
                continue
            tau = kendalltau(clean[common], other[common]).statistic
            best_clean, best_other = clean[common].idxmax(), other[common].idxmax()
            change = (
                f"the most accurate loss stays {best_clean}"
                if best_clean == best_other
                else f"the most accurate loss changes from {best_clean} to {best_other}"
            )
            sentences.append(
                f"Under {optimizer}, from clean to {condition} {change} (Kendall τ between the "
                f"two orders of mean accuracy: {tau:+.2f})."
            )
    return sentences


def best_to_last(summary: pd.DataFrame, judged: pd.DataFrame) -> list[str]:
    """Per condition other than clean: each loss's mean loss of clean accuracy from its
    best-validation epoch to its last, largest first."""
    drop = judged_groups(summary, judged, "best_to_last_drop")
    drop = drop[drop["condition"] != "clean"]
    drop = drop[drop["mean"].notna()]
    sentences = []
    for (condition, optimizer), group in drop.groupby(["condition", "optimizer"], sort=False):
        listed = ", ".join(
            f"{r.loss} {difference(METRIC, r.mean)}"
            for r in group.sort_values("mean").iloc[::-1].itertuples()
        )
        sentences.append(
            f"With {condition}, under {optimizer}, clean accuracy lost from the best-validation "
            f"epoch to the last: {listed}."
        )
    return sentences


def sentences(summary: pd.DataFrame, comparisons: pd.DataFrame, judged: pd.DataFrame) -> list:
    return [
        *winners(summary, comparisons, judged),
        *ranking_changes(summary, judged),
        *best_to_last(summary, judged),
    ]
