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
from lossbench.analysis import metrics, summary
from lossbench.plumbing.errors import ConfigError
from lossbench.report import compute_cost
from lossbench.train.ece import expected_calibration_error

SAMPLE = Path(__file__).parent / "data" / "analysis"
T_975_2DF = 4.302653  # Student's t, 97.5 % quantile, 2 degrees of freedom (from a t table)


def epochs(n):
    return pd.Series(range(1, n + 1))


def test_pct_change_is_relative_change_from_previous_epoch():
    got = metrics.pct_change(pd.Series([1.0, 0.5, 0.75]))
    assert math.isnan(got[0])
    assert got[1:].tolist() == pytest.approx([-0.5, 0.5])


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        # changes: -50 %, -0.4 %, -0.1 %, -0.02 %: below 1 % from epoch 3 on
        ([1.0, 0.5, 0.498, 0.4975, 0.4974], 3),
        # a jump at epoch 3 restarts the count: settled only from epoch 4
        ([1.0, 0.999, 0.5, 0.4999], 4),
        # still falling by half at the last epoch: not converged
        ([1.0, 0.5, 0.25], math.nan),
        # nothing moves after epoch 1: converged at the first change, epoch 2
        ([1.0, 1.0, 1.0], 2),
    ],
)
def test_epochs_to_converge(losses, expected):
    got = metrics.epochs_to_converge(pd.Series(losses), epochs(len(losses)), threshold=0.01)
    assert got == expected or (math.isnan(expected) and math.isnan(got))


def test_normalised_auc_by_trapezoids():
    # normalised curve 1, .5, .5: trapezoids .75 + .5 = 1.25 over a span of 2 epochs
    assert metrics.normalised_auc(pd.Series([2.0, 1.0, 1.0]), epochs(3)) == pytest.approx(0.625)


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
    got = metrics.seed_stats(pd.Series([1.0, 2.0, 3.0]))
    half = T_975_2DF * 1.0 / math.sqrt(3)
    assert got["n"] == 3
    assert (got["mean"], got["std"]) == pytest.approx((2.0, 1.0))
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-5)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx(
        stats.t.interval(0.95, 2, 2, 1 / 3**0.5)
    )


def test_paired_difference_ci_pairs_by_seed_and_drops_unpaired():
    a = pd.Series([0.9, 0.8, 0.7, 0.5], index=[0, 1, 2, 3])
    b = pd.Series([0.85, 0.78, 0.6], index=[0, 1, 2])  # seed 3 missing: not paired
    got = metrics.paired_difference(a, b)
    diffs = [0.05, 0.02, 0.1]
    mean = sum(diffs) / 3
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 2)
    half = T_975_2DF * sd / math.sqrt(3)
    assert got["n"] == 3
    assert got["mean_diff"] == pytest.approx(mean)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((mean - half, mean + half), rel=1e-5)
    assert metrics.verdict("final_test_acc", got["ci_low"], got["ci_high"]) == "within seed noise"
    assert got["p_value"] == pytest.approx(stats.ttest_rel(a[:3], b).pvalue)


@pytest.mark.parametrize(
    ("metric", "low", "high", "expected"),
    [
        ("final_test_acc", 0.01, 0.02, "a better"),
        ("nll", 0.01, 0.02, "b better"),
        ("nll", -0.02, -0.01, "a better"),
        ("ece", -0.01, 0.02, "within seed noise"),
        ("ece", math.nan, math.nan, "too few seeds"),
    ],
)
def test_verdict_needs_the_interval_to_exclude_zero(metric, low, high, expected):
    assert metrics.verdict(metric, low, high) == expected


def history_of_one_run() -> pd.DataFrame:
    """Three epochs of one run, tidy, as tables.history writes them."""
    wide = {
        "train_loss": [1.0, 0.5, 0.4],
        "train_acc": [0.5, 0.8, 0.95],
        "test_loss": [1.0, 0.6, 0.7],
        "test_acc": [0.5, 0.7, 0.9],
        "noisy_loss": [1.5, 1.0, 1.1],
        "noisy_acc": [0.4, 0.6, 0.6],
    }
    rows = [
        {
            "dataset": "d",
            "condition": "clean",
            "loss": "ce",
            "optimizer": "sgd",
            "lr": 0.1,
            "seed": 0,
            "epoch": e + 1,
            "phase": 1,
        }
        | {"phase_optimizer": "sgd", "split": name.split("_")[0], "metric": name.split("_")[1]}
        | {"value": values[e]}
        for name, values in wide.items()
        for e in range(3)
    ]
    return pd.DataFrame(rows)


def test_run_metrics_of_a_hand_made_run():
    evaluation = pd.DataFrame(
        {
            "dataset": "d",
            "condition": "clean",
            "loss": "ce",
            "optimizer": "sgd",
            "lr": 0.1,
            "seed": 0,
            "testset": ["clean", "clean", "g1", "g2"],
            "noise": ["clean", "clean", "gaussian", "gaussian"],
            "level": [0, 0, 0.5, 1.0],
            "metric": ["nll", "accuracy", "accuracy", "accuracy"],
            "value": [0.3, 0.9, 0.8, 0.6],
        }
    )
    got = metrics.run_metrics(history_of_one_run(), evaluation, threshold=0.01, k=2)
    values = dict(zip(got["metric"], got["value"], strict=True))
    assert values["final_test_acc"] == pytest.approx(0.9)
    assert values["best_test_acc"] == pytest.approx(0.9)
    assert values["acc_gap"] == pytest.approx(0.05)
    assert values["loss_gap"] == pytest.approx(-0.3)
    assert values["noise_acc_delta"] == pytest.approx(-0.3)
    assert values["noise_loss_delta"] == pytest.approx(0.4)
    assert values["test_loss_slope"] == pytest.approx(0.1)
    assert values["overfitting"] == 1.0  # the test loss rose over the last 2 epochs
    assert math.isnan(values["epochs_to_converge"])  # +16.7 % at the end
    assert values["nll"] == pytest.approx(0.3)
    assert values["noisy_mean_acc"] == pytest.approx(0.7)
    assert set(values) <= set(metrics.METRICS)


def read_sample():
    return {
        n: pd.read_csv(SAMPLE / "tables" / f"{n}.csv") for n in ("history", "evaluation", "runs")
    }


def test_summary_leaves_diverged_runs_out_but_counts_them():
    tables = read_sample()
    runs = tables["runs"]
    assert (runs["status"] == "diverged").any(), "the sample study must have a diverged run"
    table, comparisons = summary.tables(**tables, threshold=0.01, k=5)
    acc = table[table["metric"] == "final_test_acc"].set_index(["loss", "optimizer"])
    for (loss, optimizer), group in runs.groupby(["loss", "optimizer"]):
        row = acc.loc[(loss, optimizer)]
        finished = (group["status"] == "ok").sum()
        assert (row["runs"], row["diverged"], row["n"]) == (
            len(group),
            len(group) - finished,
            finished,
        )
    # paired by seed: the diverged seed leaves fewer pairs for its group
    blowup = comparisons[(comparisons["optimizer"] == "blowup")]
    assert (blowup["n"] < 2).all() and (blowup["verdict"] == "too few seeds").all()
    assert set(comparisons["verdict"]) <= {
        "a better",
        "b better",
        "within seed noise",
        "too few seeds",
    }


def test_comparisons_have_the_same_columns_with_and_without_pairs():
    tables = read_sample()
    _, comparisons = summary.tables(**tables, threshold=0.01, k=5)
    assert comparisons["mean_diff"].notna().any() and comparisons["p_value"].notna().any()
    one_loss = {name: t[t["loss"] == "ce"] for name, t in tables.items()}
    _, no_pairs = summary.tables(**one_loss, threshold=0.01, k=5)
    assert no_pairs.empty and list(no_pairs.columns) == list(comparisons.columns)


def test_benchmarks_table_names_rule_and_job():
    root = SAMPLE / "benchmarks"
    paths = sorted(str(p) for p in root.rglob("*.tsv"))
    table = compute_cost.table("digits", paths, str(root))
    train = table[table["rule"] == "train"]
    assert len(train) == 12 and "clean/ce/sgd/lr0.1/seed0" in set(train["job"])
    assert (table.loc[table["rule"] == "aggregate", "job"] == "").all()
    assert (table["seconds"] > 0).all()
    # memory is sampled, so sub-second jobs may show 0; a training job holds torch (> 50 MB)
    assert (table["max_rss_mb"] >= 0).all() and (train["max_rss_mb"] > 50).all()
    per_rule = compute_cost.per_rule(table).set_index("rule")
    assert per_rule.loc["train", "jobs"] == 12
    assert per_rule.loc["train", "total_s"] == pytest.approx(train["seconds"].sum())


def schema():
    return yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


def test_analysis_defaults_are_filled_in():
    filled = config.fill_defaults(dict(TINY_CONFIG), schema())
    assert filled["analysis"] == {"convergence_threshold": 0.01, "slope_epochs": 5}


def test_bad_analysis_value_is_one_clear_message():
    bad = {**TINY_CONFIG, "analysis": {"slope_epochs": 1}}
    with pytest.raises(ConfigError, match=r"analysis\.slope_epochs = 1 .*allowed: a number >= 2"):
        config.validate(bad, schema())
