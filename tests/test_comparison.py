"""Ranking losses across datasets: ranks, agreement sentences."""

import pandas as pd
import pytest

from lossbench import comparison


def evaluation(dataset, accuracies):
    """A tidy evaluation table: accuracies[(optimizer, loss)] = per-seed clean accuracies."""
    rows = []
    for (optimizer, loss), values in accuracies.items():
        for seed, value in enumerate(values):
            base = {"dataset": dataset, "loss": loss, "optimizer": optimizer, "seed": seed}
            rows.append({**base, "testset": "clean", "metric": "accuracy", "value": value})
            rows.append({**base, "testset": "gaussian", "metric": "accuracy", "value": 0.1})
    return pd.DataFrame(rows)


def runs(frame, diverged=()):
    keys = frame[["dataset", "loss", "optimizer", "seed"]].drop_duplicates()
    status = [
        "diverged" if (r.loss, r.optimizer, r.seed) in diverged else "ok" for r in keys.itertuples()
    ]
    return keys.assign(status=status)


def test_ranks_by_mean_clean_accuracy_within_dataset_and_optimizer():
    a = evaluation("a", {("sgd", "ce"): [0.9, 0.8], ("sgd", "mae"): [0.7, 0.7]})
    table = comparison.ranks([a], [runs(a, diverged={("mae", "sgd", 1)})]).set_index("loss")
    assert table.loc["ce", "accuracy_mean"] == pytest.approx(0.85) and table.loc["ce", "rank"] == 1
    assert table.loc["mae", "rank"] == 2 and table.loc["mae", "seeds"] == 2
    assert table.loc["mae", "diverged"] == 1 and table.loc["ce", "diverged"] == 0


def test_findings_say_where_rankings_agree_and_where_not():
    a = evaluation(
        "a",
        {
            ("sgd", "ce"): [0.9],
            ("sgd", "mae"): [0.7],
            ("adam", "ce"): [0.9],
            ("adam", "mae"): [0.8],
        },
    )
    b = evaluation(
        "b",
        {
            ("sgd", "ce"): [0.8],
            ("sgd", "mae"): [0.6],
            ("adam", "ce"): [0.7],
            ("adam", "mae"): [0.75],
        },
    )
    table = comparison.ranks([a, b], [runs(a), runs(b)])
    adam, sgd = comparison.findings(table)  # in the order of the table: optimizers sorted
    assert sgd == "Under sgd, the ranking agrees on all 2 datasets: ce > mae."
    assert adam.startswith("Under adam, the rankings disagree (a: ce > mae; b: mae > ce)")
    assert "the most accurate loss differs between datasets" in adam
    assert "Kendall tau -1.00" in adam


def test_equal_accuracies_share_a_place():
    a = evaluation("a", {("sgd", "ce"): [0.9], ("sgd", "focal"): [0.9], ("sgd", "mae"): [0.7]})
    b = evaluation("b", {("sgd", "ce"): [0.9], ("sgd", "focal"): [0.8], ("sgd", "mae"): [0.7]})
    (sentence,) = comparison.findings(comparison.ranks([a, b], [runs(a), runs(b)]))
    assert "a: ce = focal > mae; b: ce > focal > mae" in sentence
    assert "the most accurate (ce) is the same everywhere" not in sentence  # a has a tie
