"""Does a ranking of losses hold on more than one dataset? The tables that answer it.

From each dataset's tidy evaluation table: the mean clean test accuracy of every
loss x optimizer over seeds and its rank within dataset x optimizer (1 = most accurate); from
each dataset's paired comparisons, the differences that are beyond seed noise, since a ranking
of means can flip on differences that are noise. ``report.across_datasets`` words them.
"""

from __future__ import annotations

import pandas as pd


def ranks(evaluations: list[pd.DataFrame], runs: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per dataset x optimizer x loss: clean accuracy over seeds and its rank.

    Diverged runs count with the accuracy of their last finite epoch's weights, and are
    counted in ``diverged`` so a reader sees them.
    """
    evaluation = pd.concat(evaluations, ignore_index=True)
    clean = evaluation.query("testset == 'clean' and metric == 'accuracy'")
    table = (
        clean.groupby(["dataset", "optimizer", "loss"], sort=False)["value"]
        .agg(accuracy_mean="mean", accuracy_std="std", seeds="count")
        .reset_index()
    )
    status = pd.concat(runs, ignore_index=True)
    diverged = (
        status.assign(diverged=status["status"].eq("diverged"))
        .groupby(["dataset", "optimizer", "loss"], sort=False)["diverged"]
        .sum()
        .rename("diverged")
    )
    table = table.join(diverged, on=["dataset", "optimizer", "loss"])
    # accuracies are float32 fractions: equal test-set counts must rank equal, not by last bits
    table["rank"] = (
        table["accuracy_mean"]
        .round(6)
        .groupby([table["dataset"], table["optimizer"]])
        .rank(ascending=False, method="min")
        .astype(int)
    )
    return table.sort_values(["optimizer", "dataset", "rank", "loss"], ignore_index=True)


def beyond_noise(comparisons: list[pd.DataFrame]) -> pd.DataFrame:
    """(dataset, optimizer, better, worse): pairs whose final clean accuracy differs beyond
    seed noise (the paired 95 % CI of each dataset's comparisons table excludes zero)."""
    pairs = pd.concat(comparisons, ignore_index=True).query(
        "metric == 'final_test_acc' and verdict in ['a better', 'b better']"
    )
    a_better = pairs["verdict"].eq("a better")
    return pd.DataFrame(
        {
            "dataset": pairs["dataset"],
            "optimizer": pairs["optimizer"],
            "better": pairs["loss_a"].where(a_better, pairs["loss_b"]),
            "worse": pairs["loss_b"].where(a_better, pairs["loss_a"]),
        }
    )
