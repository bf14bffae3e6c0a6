"""Does a ranking of losses hold on more than one dataset? The tables that answer it.

Each dataset is read at the learning rates its report reads it at (each loss's chosen rate where
the study tunes it, else the fixed one; ``selection.preferred``). Per dataset x condition x
optimizer: the mean clean test accuracy of every loss over its runs that finished and learned
every class (as in the summary: diverged and underfit runs are counted, not averaged) and its
rank (1 = most accurate) where every run of the loss is usable (as in the report's verdicts:
ranked on the seeds left, a loss would win by its failures); from each dataset's paired
comparisons, the differences beyond seed noise, since a ranking of means can flip on
differences that are noise. ``report.across_datasets`` words them.
"""

from __future__ import annotations

import pandas as pd

from .metrics import GROUP_KEYS, RUN_KEYS, SHARE_DECIMALS

#: where losses are ranked against each other
RANK_KEYS = ["dataset", "condition", "optimizer"]


def ranks(evaluations: list[pd.DataFrame], runs: list[pd.DataFrame], judged: pd.DataFrame):
    """One row per dataset x condition x optimizer x loss (at its ``judged`` learning rate,
    ``selection.preferred``): clean accuracy over its usable seeds, runs left out, rank."""
    status = pd.concat(runs, ignore_index=True).merge(judged[GROUP_KEYS], on=GROUP_KEYS)
    usable = status[(status["status"] == "ok") & ~status["underfit"].astype(bool)]
    evaluation = pd.concat(evaluations, ignore_index=True)
    clean = evaluation.query("testset == 'clean' and metric == 'accuracy'")
    clean = clean.merge(usable[RUN_KEYS], on=RUN_KEYS)
    keys = [*RANK_KEYS, "loss", "lr"]
    counted = (
        status.assign(
            diverged=status["status"].eq("diverged"),
            underfit=status["underfit"].astype(bool) & status["status"].eq("ok"),
        )
        .groupby(keys, sort=False)
        .agg(runs=("seed", "size"), diverged=("diverged", "sum"), underfit=("underfit", "sum"))
    )
    accuracy = clean.groupby(keys, sort=False)["value"].agg(
        accuracy_mean="mean", accuracy_std="std", seeds="count"
    )
    table = counted.join(accuracy, how="left").reset_index()
    table["seeds"] = table["seeds"].fillna(0).astype(int)
    # accuracies are float32 fractions: equal test-set counts must rank equal, not by last bits
    ranked = table["accuracy_mean"].where(table["seeds"] == table["runs"])
    table["rank"] = (
        ranked.round(SHARE_DECIMALS)
        .groupby([table[k] for k in RANK_KEYS])
        .rank(ascending=False, method="min")
        .astype("Int64")
    )
    columns = [*keys, "accuracy_mean", "accuracy_std", "runs", "seeds", "diverged", "underfit"]
    columns.append("rank")
    order = [*RANK_KEYS[1:], "dataset", "rank", "loss"]
    return table[columns].sort_values(order, ignore_index=True)


def beyond_noise(comparisons: list[pd.DataFrame], judged: pd.DataFrame) -> pd.DataFrame:
    """(dataset, condition, optimizer, better, worse): pairs whose final clean accuracy differs
    beyond seed noise in the answer each setting is read by (``judged``: Holm-corrected, see
    ``summary.comparisons``)."""
    answers = judged[[*RANK_KEYS, "answer"]].drop_duplicates()
    pairs = (
        pd.concat(comparisons, ignore_index=True)
        .merge(answers, on=[*RANK_KEYS, "answer"])
        .query("metric == 'final_test_acc' and verdict in ['a better', 'b better']")
    )
    a_better = pairs["verdict"].eq("a better")
    return pd.DataFrame(
        {
            **{key: pairs[key] for key in RANK_KEYS},
            "better": pairs["loss_a"].where(a_better, pairs["loss_b"]),
            "worse": pairs["loss_b"].where(a_better, pairs["loss_a"]),
        }
    )
