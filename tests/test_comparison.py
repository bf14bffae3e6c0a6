"""Ranking losses across datasets: ranks, agreement sentences."""

import pandas as pd
import pytest

from lossbench.analysis import comparison
from lossbench.report import across_datasets


def evaluation(dataset, accuracies):
    """A tidy evaluation table: accuracies[(optimizer, loss)] = per-seed clean accuracies."""
    rows = []
    for (optimizer, loss), values in accuracies.items():
        for seed, value in enumerate(values):
            base = {"dataset": dataset, "loss": loss, "optimizer": optimizer, "seed": seed}
            rows.append({**base, "testset": "clean", "metric": "accuracy", "value": value})
            rows.append({**base, "testset": "gaussian", "metric": "accuracy", "value": 0.1})
    return pd.DataFrame(rows)


NONE_SETTLED = pd.DataFrame(columns=["dataset", "optimizer", "better", "worse"])


def pair(dataset, a, b, verdict, metric="final_test_acc"):
    """One row of a dataset's comparisons table (only the columns the comparison reads)."""
    keys = {"dataset": dataset, "optimizer": "sgd", "metric": metric}
    return {**keys, "loss_a": a, "loss_b": b, "verdict": verdict}


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
    adam, sgd = across_datasets.findings(table, NONE_SETTLED)  # optimizers sorted, as in the table
    assert sgd.startswith("Under sgd, the ranking agrees on all 2 datasets: ce > mae; no diff")
    assert adam.startswith(
        "Under adam, the rankings of the means disagree (a: ce > mae; b: mae > ce)"
    )
    assert "the most accurate loss differs between datasets" in adam
    assert "Kendall tau -1.00" in adam


def test_equal_accuracies_share_a_place():
    a = evaluation("a", {("sgd", "ce"): [0.9], ("sgd", "focal"): [0.9], ("sgd", "mae"): [0.7]})
    b = evaluation("b", {("sgd", "ce"): [0.9], ("sgd", "focal"): [0.8], ("sgd", "mae"): [0.7]})
    table = comparison.ranks([a, b], [runs(a), runs(b)])
    (sentence,) = across_datasets.findings(table, NONE_SETTLED)
    assert "a: ce = focal > mae; b: ce > focal > mae" in sentence
    assert "the most accurate (ce) is the same everywhere" not in sentence  # a has a tie


def test_only_differences_beyond_seed_noise_are_settled():
    comparisons = pd.DataFrame(
        [
            pair("a", "ce", "mae", "a better"),
            pair("a", "ce", "focal", "within seed noise"),
            pair("a", "focal", "mae", "b better"),
            pair("a", "ce", "mae", "a better", metric="ece"),
        ]
    )
    settled = comparison.beyond_noise([comparisons])
    assert settled[["better", "worse"]].values.tolist() == [["ce", "mae"], ["mae", "focal"]]


def test_findings_tell_noise_from_real_contradictions():
    a = evaluation("a", {("sgd", "ce"): [0.9], ("sgd", "mae"): [0.7]})
    b = evaluation("b", {("sgd", "ce"): [0.7], ("sgd", "mae"): [0.9]})
    table = comparison.ranks([a, b], [runs(a), runs(b)])
    noise_only = comparison.beyond_noise([pd.DataFrame([pair("a", "ce", "mae", "a better")])])
    (calm,) = across_datasets.findings(table, noise_only)
    assert calm.endswith(
        "no difference beyond seed noise contradicts another dataset (a: ce > mae)."
    )
    both = pd.DataFrame([pair("a", "ce", "mae", "a better"), pair("b", "ce", "mae", "b better")])
    (clash,) = across_datasets.findings(table, comparison.beyond_noise([both]))
    assert "contradict each other (ce > mae on a but mae > ce on b)" in clash
