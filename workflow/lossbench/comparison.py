"""Does a ranking of losses hold on more than one dataset?

From each dataset's tidy evaluation table: the mean clean test accuracy of every
loss x optimizer over seeds, its rank within dataset x optimizer (1 = most accurate), and
sentences that say, per optimizer, where the rankings of the datasets agree and where not —
and whether the differences that are beyond seed noise (from each dataset's paired
comparisons) agree, since a ranking of means can flip on differences that are noise.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd
from scipy.stats import kendalltau


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


def _order(group: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    """Losses from most to least accurate; losses of equal mean accuracy share a place."""
    ordered = group.sort_values(["rank", "loss"])
    return tuple(tuple(g["loss"]) for _, g in ordered.groupby("rank", sort=True))


def _written(order: tuple[tuple[str, ...], ...]) -> str:
    return " > ".join(" = ".join(tied) for tied in order)


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


def _noise_verdict(settled: pd.DataFrame) -> str:
    """Do the differences beyond seed noise of one optimizer contradict between datasets?"""
    if settled.empty:
        return "no difference between losses is beyond seed noise on any dataset"
    wins = {(r.better, r.worse): r.dataset for r in settled.itertuples()}
    conflicts = [
        f"{better} > {worse} on {dataset} but {worse} > {better} on {wins[(worse, better)]}"
        for (better, worse), dataset in wins.items()
        if (worse, better) in wins and better < worse
    ]
    listed = "; ".join(
        f"{d}: " + ", ".join(f"{r.better} > {r.worse}" for r in g.itertuples())
        for d, g in settled.groupby("dataset", sort=False)
    )
    if conflicts:
        return f"beyond seed noise the datasets contradict each other ({'; '.join(conflicts)})"
    return f"no difference beyond seed noise contradicts another dataset ({listed})"


def findings(table: pd.DataFrame, settled: pd.DataFrame) -> list[str]:
    """Per optimizer: does the ranking (and the winner) agree across datasets, and do the
    differences that are beyond seed noise (``settled``, see :func:`beyond_noise`) agree?"""
    sentences = []
    for optimizer, by_optimizer in table.groupby("optimizer", sort=False):
        orders = {d: _order(g) for d, g in by_optimizer.groupby("dataset", sort=False)}
        datasets = list(orders)
        noise = _noise_verdict(settled[settled["optimizer"] == optimizer])
        described = "; ".join(f"{d}: {_written(order)}" for d, order in orders.items())
        if len(set(orders.values())) == 1:
            sentences.append(
                f"Under {optimizer}, the ranking agrees on all {len(datasets)} datasets: "
                f"{_written(orders[datasets[0]])}; {noise}."
            )
            continue
        winners = {order[0] for order in orders.values()}
        winner = (
            f"the most accurate ({' = '.join(winners.pop())}) is the same everywhere"
            if len(winners) == 1
            else "the most accurate loss differs between datasets"
        )
        taus = []
        for a, b in combinations(datasets, 2):
            rank_a = by_optimizer.query("dataset == @a").set_index("loss")["rank"]
            rank_b = by_optimizer.query("dataset == @b").set_index("loss")["rank"]
            common = rank_a.index.intersection(rank_b.index)
            tau = kendalltau(rank_a[common], rank_b[common]).statistic
            taus.append(f"{a} vs {b}: Kendall tau {tau:+.2f}")
        sentences.append(
            f"Under {optimizer}, the rankings of the means disagree ({described}); {winner} "
            f"({'; '.join(taus)}); {noise}."
        )
    return sentences


def plot(table: pd.DataFrame, runs: pd.DataFrame, path: str) -> None:
    """Accuracy (left) and rank (right) of every loss x optimizer across datasets.

    ``runs`` (the runs tables) fixes the colour of each loss as in every other figure.
    """
    from .figures import style  # matplotlib only where a figure is drawn

    look = style.Look.of(runs)
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = style.subplots(1, 2)
    left, right = axes[0]
    for (loss, optimizer), group in table.groupby(["loss", "optimizer"], sort=False):
        group = group.set_index("dataset").reindex(datasets)
        # a small sideways shift per optimizer keeps equal values of two optimizers apart
        shift = 0.04 * (look.optimizers.index(optimizer) - (len(look.optimizers) - 1) / 2)
        x = [i + shift for i in range(len(datasets))]
        line = {
            "color": look.color(loss),
            "linestyle": look.linestyle(optimizer),
            "marker": look.marker(optimizer),
        }
        left.errorbar(
            x, 100 * group["accuracy_mean"], yerr=100 * group["accuracy_std"], capsize=3, **line
        )
        right.plot(x, group["rank"], **line)
    left.set(title="mean ± sd over seeds", ylabel="clean test accuracy (%)")
    right.set(title="rank within dataset and optimizer", ylabel="rank (1 = most accurate)")
    right.set_yticks(range(1, len(look.losses) + 1))
    right.invert_yaxis()
    for ax in (left, right):
        ax.set_xticks(range(len(datasets)), datasets)
        ax.set_xlabel("dataset")
    look.legend(fig)
    style.save(fig, path)
