"""The studies beyond the default: sequential optimizers, comparing datasets, class imbalance
and each loss at its own learning rate (label noise: test_workflow's noisy study)."""

import copy

import numpy as np
import pandas as pd
import yaml
from test_datasets import write_mnist_like

from conftest import REPO, TINY_CONFIG, snakemake, write_config
from lossbench import config as config_module
from lossbench import study

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def layered(name: str) -> dict:
    """config/{name}.yaml over config/config.yaml, as `--configfile` layers it, validated."""
    merged = yaml.safe_load((REPO / "config/config.yaml").read_text())
    merged.update(yaml.safe_load((REPO / f"config/{name}.yaml").read_text()))
    return config_module.validate(merged, SCHEMA)


def test_the_studies_of_conditions_and_rates_are_the_issues_grids():
    noise = layered("label_noise")
    assert list(noise["losses"]) == ["mae", "ce", "focal_g0.5", "focal_g2", "gce", "sce", "nce_rce"]
    rates = {n: (c["type"], c.get("rate")) for n, c in noise["conditions"].items()}
    assert sorted(rates.values(), key=str) == sorted(
        [("clean", None)]
        + [("symmetric", r) for r in (0.2, 0.4, 0.6, 0.8)]
        + [("asymmetric", r) for r in (0.2, 0.4)],
        key=str,
    )
    imbalance = layered("imbalance")
    assert {c.get("ratio") for c in imbalance["conditions"].values()} == {None, 10, 100}
    assert sum(loss.get("alpha") == "balanced" for loss in imbalance["losses"].values()) == 3
    tuned = layered("tuned")
    assert study.learning_rates(tuned["optimizers"]["sgd"]) == [0.01, 0.03, 0.1, 0.3, 1.0]
    assert study.learning_rates(tuned["optimizers"]["adam"]) == [0.0003, 0.001, 0.003, 0.01]
    assert {study.fixed_lr(e) for e in tuned["optimizers"].values()} == {0.1, 0.001}


def test_shipped_study_configs_layer_over_the_default():
    default = yaml.safe_load((REPO / "config/config.yaml").read_text())
    sequential = yaml.safe_load((REPO / "config/sequential.yaml").read_text())
    phases = study.phases(sequential["optimizers"]["sgd_then_adam"], default["epochs"])
    assert [(p["type"], p["epochs"]) for p in phases] == [("sgd", 40), ("adam", 40)]
    mnist = yaml.safe_load((REPO / "config/mnist.yaml").read_text())
    assert mnist["datasets"] == ["mnist"] and mnist["model"]["mnist"]["type"] == "mlp"


def test_sequential_optimizer_trains_one_model_through_its_phases(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["losses"] = {"ce": {"type": "cross_entropy"}}
    config["optimizers"] = {
        "sgd": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
        "sgd_then_adam": [
            {"type": "sgd", "lr": 0.1, "momentum": 0.9, "epochs": 2},
            {"type": "adam", "epochs": 2},
        ],
    }
    snakemake(tmp_path, configfile=write_config(tmp_path, config))
    runs = tmp_path / "results/digits/runs/clean/ce"
    # a list of phases runs at its first phase's learning rate
    sequential = pd.read_csv(runs / "sgd_then_adam/lr0.1/seed0/history.csv")
    assert sequential["epoch"].tolist() == [1, 2, 3, 4]
    assert sequential["phase"].tolist() == [1, 1, 2, 2]
    assert sequential["phase_optimizer"].tolist() == ["sgd", "sgd", "adam", "adam"]
    # phase 1 is exactly the fresh SGD run; phase 2 continues from its weights
    alone = pd.read_csv(runs / "sgd/lr0.1/seed0/history.csv")
    pd.testing.assert_frame_equal(sequential.iloc[:2], alone)
    history = pd.read_csv(tmp_path / "results/digits/tables/history.csv")
    assert set(history.query("optimizer == 'sgd_then_adam'")["phase"]) == {1, 2}


def test_two_datasets_produce_the_comparison(tmp_path):
    write_mnist_like(tmp_path / "resources", "MNIST", n_train=200, n_test=60)
    config = copy.deepcopy(TINY_CONFIG)
    config["datasets"] = ["digits", "mnist"]
    config["model"] = {"default": {"type": "mlp", "hidden": [32]}}
    snakemake(tmp_path, configfile=write_config(tmp_path, config))
    ranks = pd.read_csv(tmp_path / "results/comparison/ranks.csv")
    assert set(ranks["dataset"]) == {"digits", "mnist"}
    assert len(ranks) == 2 * 2 * 2  # datasets x optimizers x losses
    assert ranks.groupby(["dataset", "optimizer"])["rank"].min().eq(1).all()
    figure = (tmp_path / "results/comparison/ranking.png").read_bytes()
    assert figure[:8] == b"\x89PNG\r\n\x1a\n" and len(figure) > 10_000
    findings = (tmp_path / "results/comparison/findings.md").read_text()
    assert findings.count("Under ") == 2 and "| dataset" in findings


def test_tiny_imbalance_study_end_to_end(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["losses"] = {
        "ce": {"type": "cross_entropy"},
        "ce_balanced": {"type": "cross_entropy", "alpha": "balanced"},
    }
    config["optimizers"] = {"sgd": TINY_CONFIG["optimizers"]["sgd"]}
    config["conditions"] = {"clean": {"type": "clean"}, "rho10": {"type": "imbalance", "ratio": 10}}
    snakemake(tmp_path, configfile=write_config(tmp_path, config))
    results = tmp_path / "results/digits"
    with np.load(results / "conditions/rho10.npz") as made, np.load(results / "data.npz") as data:
        counts = np.bincount(made["labels"], minlength=10)
        n_max = np.bincount(data["train_y"], minlength=10).min()  # every class can keep it
    # Cui et al. 2019's exponential profile: class c keeps n_max * rho^(-c / (C - 1))
    np.testing.assert_array_equal(counts, [np.rint(n_max * 10 ** (-c / 9)) for c in range(10)])
    summary = pd.read_csv(results / "tables/summary.csv")
    assert {"balanced_acc", "macro_f1"} <= set(summary["metric"])
    assert (results / "figures/accuracy_vs_imbalance.png").stat().st_size > 15_000
    assert not (results / "figures/memorisation.png").exists()
    report = (results / "report.html").read_text()
    assert "With rho10, under sgd:" in report and "balanced accuracy" in report


def test_tiny_tuned_study_ranks_both_ways(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["optimizers"]["sgd"] |= {"lr": [0.03, 0.1], "fixed_lr": 0.1}
    snakemake(tmp_path, configfile=write_config(tmp_path, config))
    tables = tmp_path / "results/digits/tables"
    selected = pd.read_csv(tables / "selected_lr.csv")
    assert len(selected) == 2 * 2 and set(selected["optimizer"]) == {"sgd"}  # losses x rates
    assert selected.groupby("loss")["selected"].sum().eq(1).all()
    assert selected["at_edge"].eq(selected["selected"]).all()  # a grid of two: both are edges
    comparisons = pd.read_csv(tables / "comparisons.csv")
    assert set(comparisons.query("optimizer == 'sgd'")["answer"]) == {"fixed", "tuned"}
    assert set(comparisons.query("optimizer == 'adam'")["answer"]) == {"fixed"}
    figure = tmp_path / "results/digits/figures/lr_sensitivity.png"
    assert figure.stat().st_size > 15_000
    report = (tmp_path / "results/digits/report.html").read_text()
    assert "the fixed and the tuned learning rates" in report
    assert "is at the edge of its grid" in report
