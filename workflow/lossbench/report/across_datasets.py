"""Sentences that say, per condition and optimizer, where the rankings of losses of several
datasets agree and where not, and whether their differences beyond seed noise contradict each
other (from the tables of ``analysis.comparison``)."""

from __future__ import annotations

from itertools import combinations

import pandas as pd
from scipy.stats import kendalltau


def _order(group: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    """Losses from most to least accurate; losses of equal mean accuracy share a place."""
    ordered = group.dropna(subset=["rank"]).sort_values(["rank", "loss"])
    return tuple(tuple(g["loss"]) for _, g in ordered.groupby("rank", sort=True))


def _written(order: tuple[tuple[str, ...], ...]) -> str:
    return " > ".join(" = ".join(tied) for tied in order)


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


def _unranked(group: pd.DataFrame) -> str:
    """The losses with a run left out (diverged, underfit) on some dataset: named, not ranked."""
    missing = group[group["rank"].isna()]
    listed = ", ".join(f"{r.loss} on {r.dataset}" for r in missing.itertuples())
    return f"; not ranked (a run diverged or underfit): {listed}" if listed else ""


def findings(table: pd.DataFrame, settled: pd.DataFrame) -> list[str]:
    """Per condition and optimizer: does the ranking (and the winner) agree across datasets,
    and do the differences beyond seed noise (``settled``, see ``beyond_noise``) agree?"""
    sentences = []
    several = table["condition"].nunique() > 1
    for (condition, optimizer), by_optimizer in table.groupby(
        ["condition", "optimizer"], sort=False
    ):
        orders = {d: _order(g) for d, g in by_optimizer.groupby("dataset", sort=False)}
        datasets = list(orders)
        same = (settled["condition"] == condition) & (settled["optimizer"] == optimizer)
        noise = _noise_verdict(settled[same]) + _unranked(by_optimizer)
        under = f"With {condition}, under {optimizer}" if several else f"Under {optimizer}"
        described = "; ".join(f"{d}: {_written(order)}" for d, order in orders.items())
        if len(set(orders.values())) == 1:
            sentences.append(
                f"{under}, the ranking agrees on all {len(datasets)} datasets: "
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
            rank_a = by_optimizer.query("dataset == @a").dropna(subset=["rank"])
            rank_b = by_optimizer.query("dataset == @b").dropna(subset=["rank"])
            rank_a, rank_b = rank_a.set_index("loss")["rank"], rank_b.set_index("loss")["rank"]
            common = rank_a.index.intersection(rank_b.index)
            if len(common) < 2:
                taus.append(f"{a} vs {b}: fewer than 2 losses ranked on both")
                continue
            tau = kendalltau(rank_a[common], rank_b[common]).statistic
            taus.append(f"{a} vs {b}: Kendall tau {tau:+.2f}")
        sentences.append(
            f"{under}, the rankings of the means disagree ({described}); {winner} "
            f"({'; '.join(taus)}); {noise}."
        )
    return sentences
