"""The studies beyond the default: sequential optimizers, and comparing datasets."""

import copy

import pandas as pd
import yaml
from test_datasets import write_mnist_like

from conftest import REPO, TINY_CONFIG, snakemake, write_config
from lossbench import study


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
