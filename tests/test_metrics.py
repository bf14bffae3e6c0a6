"""The study's metrics on hand-computed cases, and the summary on the sample study's tables."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy import stats

from conftest import REPO, TINY_CONFIG
from lossbench import config
from lossbench.analysis import metrics, statistics, summary
from lossbench.plumbing.errors import ConfigError
from lossbench.report import compute_cost
from lossbench.train.ece import expected_calibration_error
from sample_analysis import made_from, tidy_tables

SAMPLE = Path(__file__).parent / "data" / "analysis"
T_975_2DF = 4.302653  # Student's t, 97.5 % quantile, 2 degrees of freedom (from a t table)


def epochs(n):
    return pd.Series(range(1, n + 1))


def test_pct_change_is_relative_change_from_previous_epoch():
    got = metrics.pct_change(pd.Series([1.0, 0.5, 0.75]))
    assert math.isnan(got[0])
    assert got[1:].tolist() == pytest.approx([-0.5, 0.5])


@pytest.mark.parametrize(
    ("accuracy", "expected"),
    [
        ([0.5, 0.8, 0.9, 0.95], 3),  # 0.9 reached at epoch 3
        ([0.5, 0.9, 0.8, 0.95], 2),  # the first epoch that reaches it counts, not a later one
        ([0.5, 0.6, 0.7], math.nan),  # never reached: not converged, never "fastest"
    ],
)
def test_epochs_to_target(accuracy, expected):
    got = metrics.epochs_to_target(pd.Series(accuracy), epochs(len(accuracy)), target=0.9)
    assert got == expected or (math.isnan(expected) and math.isnan(got))


def test_the_target_is_a_share_of_the_best_final_validation_accuracy_per_condition():
    wide = pd.DataFrame(
        {
            "dataset": "d",
            "condition": ["clean", "clean", "noisy", "noisy"],
            "loss": ["ce", "mae", "ce", "mae"],
            "optimizer": "sgd",
            "lr": 0.1,
            "seed": 0,
            "epoch": 1,
            "val_acc": [0.9, 0.5, 0.6, 0.7],
        }
    )
    got = metrics.targets(wide, 0.9)
    assert got[("d", "clean")] == pytest.approx(0.81) and got[("d", "noisy")] == pytest.approx(0.63)


def test_slope_uses_only_the_last_k_epochs():
    values = pd.Series([1.0, 2.0, 3.0, 5.0])
    assert metrics.slope(values, epochs(4), k=2) == pytest.approx(2.0)
    assert metrics.slope(values, epochs(4), k=3) == pytest.approx(1.5)
    assert math.isnan(metrics.slope(values, epochs(4), k=1))


def test_ece_on_a_known_case():
    bins = pd.DataFrame(
        {"count": [2, 0, 3], "confidence": [0.2, math.nan, 0.9], "accuracy": [0.0, math.nan, 1.0]}
    )
    # (2 * |0 - .2| + 3 * |1 - .9|) / 5
    assert expected_calibration_error(bins) == pytest.approx(0.14)
    as_lists = {column: bins[column].tolist() for column in bins}  # the evaluation job's form
    assert expected_calibration_error(as_lists) == pytest.approx(0.14)


def test_pooled_bins_weight_by_count():
    seeds = pd.DataFrame(
        {
            "dataset": "d",
            "condition": "clean",
            "loss": "ce",
            "optimizer": "sgd",
            "lr": 0.1,
            "seed": [0, 1],
            "testset": "clean",
            "bin": 7,
            "lower": 0.4,
            "upper": 0.5,
            "count": [1, 3],
            "confidence": [0.5, 0.9],
            "accuracy": [1.0, 0.0],
        }
    )
    pooled = metrics.pooled_bins(seeds).iloc[0]
    assert (pooled["count"], pooled["confidence"], pooled["accuracy"]) == pytest.approx(
        (4, 0.8, 0.25)
    )


def test_seed_stats_t_interval():
    got = statistics.seed_stats(pd.Series([1.0, 2.0, 3.0]))
    half = T_975_2DF * 1.0 / math.sqrt(3)
    assert got["n"] == 3
    assert (got["mean"], got["std"]) == pytest.approx((2.0, 1.0))
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-5)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx(
        stats.t.interval(0.95, 2, 2, 1 / 3**0.5)
    )


@pytest.mark.parametrize(
    ("metric", "n", "p_holm", "mean_diff", "expected"),
    [
        ("final_test_acc", 3, 0.01, 0.02, "a better"),
        ("nll", 3, 0.01, 0.02, "b better"),  # a's NLL is higher: worse
        ("nll", 3, 0.01, -0.02, "a better"),
        ("acc_gap", 3, 0.01, -0.02, "a better"),  # a smaller gap is better
        ("ece", 3, 0.2, 0.02, "not beyond seed noise"),
        ("ece", 3, 0.05, 0.02, "not beyond seed noise"),  # Holm's p must be below 0.05
        ("ece", 1, math.nan, 0.02, "undecided"),  # one pair: no test
    ],
)
def test_verdict_needs_the_holm_adjusted_p_below_alpha(metric, n, p_holm, mean_diff, expected):
    assert summary.verdict(metric, n, p_holm, mean_diff) == expected


RUN = {"dataset": "d", "condition": "clean", "loss": "ce", "optimizer": "sgd", "lr": 0.1, "seed": 0}


def history_of_one_run() -> pd.DataFrame:
    """Three epochs of one run, tidy, as tables.history writes them."""
    wide = {
        "train_loss": [1.0, 0.5, 0.4],
        "train_acc": [0.5, 0.8, 0.95],
        "val_acc": [0.5, 0.85, 0.8],
        "val_nll": [1.0, 0.5, 0.6],
        "test_loss": [1.0, 0.6, 0.7],
        "test_acc": [0.5, 0.8, 0.9],
        "test_nll": [1.0, 0.6, 0.7],
        "noisy_loss": [1.5, 1.0, 1.1],
        "noisy_acc": [0.4, 0.6, 0.6],
    }
    rows = [
        RUN
        | {"epoch": e + 1, "phase": 1, "phase_optimizer": "sgd"}
        | {"split": name.split("_")[0], "metric": name.split("_")[1], "value": values[e]}
        for name, values in wide.items()
        for e in range(3)
    ]
    return pd.DataFrame(rows)


def test_run_metrics_of_a_hand_made_run():
    evaluation = pd.DataFrame(
        RUN
        | {
            "testset": ["clean"] * 6 + ["g1", "g2"],
            "noise": ["clean"] * 6 + ["gaussian", "gaussian"],
            "level": [0] * 6 + [0.5, 1.0],
            "metric": ["nll", "accuracy", "balanced_accuracy", "macro_f1", "ece", "brier"]
            + ["accuracy", "accuracy"],
            "value": [0.3, 0.9, 0.88, 0.87, 0.02, 0.15, 0.8, 0.6],
        }
    )
    final = {"final_train_acc": 0.6, "final_train_nll": 0.9}  # on the labels it trained on
    final |= {"final_true_acc": 0.97, "final_true_nll": 0.1}  # on the true labels
    runs = pd.DataFrame([RUN | {"status": "ok"} | final])
    got = metrics.run_metrics(history_of_one_run(), evaluation, runs, noisy="g2", k=2, target=0.9)
    values = dict(zip(got["metric"], got["value"], strict=True))
    assert values["final_test_acc"] == pytest.approx(0.9)
    assert (values["balanced_acc"], values["macro_f1"]) == pytest.approx((0.88, 0.87))
    assert (values["nll"], values["ece"], values["brier"]) == pytest.approx((0.3, 0.02, 0.15))
    # the best validation epoch is 2 (0.85): its test accuracy, then 0.1 gained to the last
    assert values["best_val_epoch"] == 2
    assert values["best_val_test_acc"] == pytest.approx(0.8)
    assert values["best_to_last_drop"] == pytest.approx(-0.1)
    # the target is 0.9 x the best final validation accuracy (0.8): 0.72, reached at epoch 2
    assert values["epochs_to_target"] == 2
    # the final weights on the true training labels against the test set
    assert values["acc_gap"] == pytest.approx(0.07)  # 0.97 − 0.9
    assert values["nll_gap"] == pytest.approx(0.2)  # 0.3 − 0.1
    assert values["noisy_mean_acc"] == pytest.approx(0.7)
    assert values["noise_acc_delta"] == pytest.approx(-0.3)  # g2 (the named one) − clean
    assert values["noise_retained"] == pytest.approx(0.6 / 0.9)
    assert values["test_nll_slope"] == pytest.approx(0.1)
    assert values["overfitting"] == 1.0  # the test NLL rose over the last 2 epochs
    assert (values["val_acc"], values["val_nll"]) == pytest.approx((0.8, 0.6))
    assert set(values) == set(metrics.METRICS)


def test_summary_leaves_diverged_runs_out_but_counts_them():
    tables = tidy_tables()
    runs = tables["runs"]
    assert (runs["status"] == "diverged").any(), "the sample study must have a diverged run"
    made = made_from(tables)
    acc = made["summary"][made["summary"]["metric"] == "final_test_acc"]
    acc = acc.set_index(["condition", "loss", "optimizer", "lr"])
    for keys, group in runs.groupby(["condition", "loss", "optimizer", "lr"]):
        finished = ((group["status"] == "ok") & ~group["underfit"]).sum()
        row = acc.loc[keys]
        assert (row["runs"], row["diverged"], row["n"]) == (
            len(group),
            (group["status"] == "diverged").sum(),
            finished,
        )
    # paired by seed: the diverged runs leave no pairs for their setting
    blowup = made["comparisons"][made["comparisons"]["optimizer"] == "blowup"]
    assert (blowup["n"] < 2).all() and (blowup["verdict"] == "undecided").all()
    assert set(made["comparisons"]["verdict"]) <= {
        "a better",
        "b better",
        "not beyond seed noise",
        "undecided",
    }


def test_both_answers_are_compared_where_the_study_tunes_a_rate():
    made = made_from(tidy_tables())
    sgd = made["comparisons"].query("optimizer == 'sgd'")
    assert set(sgd["answer"]) == {"fixed", "tuned"}
    assert (sgd.query("answer == 'fixed'")[["lr_a", "lr_b"]] == 0.1).all().all()
    chosen = made["selected_lr"].query("selected")
    assert len(chosen) == chosen[["condition", "loss"]].drop_duplicates().shape[0]
    tuned = sgd.query("answer == 'tuned'").merge(
        chosen.rename(columns={"loss": "loss_a", "lr": "lr_a"})[["condition", "loss_a", "lr_a"]]
    )
    assert len(tuned) == len(sgd.query("answer == 'tuned'"))  # each at its chosen rate


def test_comparisons_have_the_same_columns_with_and_without_pairs():
    tables = tidy_tables()
    comparisons = made_from(tables)["comparisons"]
    assert comparisons["mean_diff"].notna().any() and comparisons["p_value"].notna().any()
    one_loss = {name: t[t["loss"] == "ce"] for name, t in tables.items()}
    no_pairs = made_from(one_loss)["comparisons"]
    assert no_pairs.empty and list(no_pairs.columns) == list(comparisons.columns)


def test_benchmarks_table_names_rule_and_job():
    root = SAMPLE / "benchmarks"
    paths = sorted(str(p) for p in root.rglob("*.tsv"))
    table = compute_cost.table("digits", paths, str(root))
    train = table[table["rule"] == "train"]
    assert len(train) == 32 and "clean/ce/sgd/lr0.1/seed0" in set(train["job"])
    assert (table.loc[table["rule"] == "aggregate", "job"] == "").all()
    assert (table["seconds"] > 0).all()
    # memory is sampled, so sub-second jobs may show 0; a training job holds torch (> 50 MB)
    assert (table["max_rss_mb"] >= 0).all() and (train["max_rss_mb"] > 50).all()
    per_rule = compute_cost.per_rule(table).set_index("rule")
    assert per_rule.loc["train", "jobs"] == 32
    assert per_rule.loc["train", "total_s"] == pytest.approx(train["seconds"].sum())


def schema():
    return yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


def test_analysis_defaults_are_filled_in():
    filled = config.fill_defaults(dict(TINY_CONFIG), schema())
    assert filled["analysis"] == {"convergence_target": 0.98, "resolve": 0.005, "slope_epochs": 5}


def test_bad_analysis_value_is_one_clear_message():
    bad = {**TINY_CONFIG, "analysis": {"slope_epochs": 1}}
    with pytest.raises(ConfigError, match=r"analysis\.slope_epochs = 1 .*allowed: a number >= 2"):
        config.validate(bad, schema())
