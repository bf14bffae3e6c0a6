"""End to end: the tiny study runs, a second run has nothing to do, reruns are exact."""

import copy
import re

import pytest

from conftest import TINY_CONFIG, snakemake, write_config


def planned_jobs(output: str) -> dict[str, int]:
    """Job counts by rule from the 'Job stats' table of a (dry) run."""
    table = output.split("Job stats:", 1)[1] if "Job stats:" in output else ""
    return {
        rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M) if rule != "total"
    }


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("study")
    config = write_config(workdir, TINY_CONFIG)
    result = snakemake(workdir, configfile=config)
    return workdir, result


def dry_run(workdir, config: dict) -> dict[str, int]:
    path = write_config(workdir, config, name="changed.yaml")
    return planned_jobs(snakemake(workdir, "-n", configfile=path).stdout)


def test_tiny_study_runs_every_job(finished_study):
    workdir, result = finished_study
    jobs = planned_jobs(result.stdout + result.stderr)
    assert jobs["train"] == 4 and jobs["prepare_data"] == 1 and jobs["make_testset"] == 3
    for loss in TINY_CONFIG["losses"]:
        for optimizer in TINY_CONFIG["optimizers"]:
            run = workdir / f"results/digits/runs/{loss}/{optimizer}/seed0"
            assert (run / "history.csv").exists() and (run / "evaluation.csv").exists()
    assert (workdir / "results/digits/tables/history.csv").exists()


def test_second_invocation_has_nothing_to_do(finished_study):
    workdir, _ = finished_study
    result = snakemake(workdir, "-n", configfile=workdir / "config.yaml")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_changing_one_loss_retrains_only_that_loss(finished_study):
    workdir, _ = finished_study
    config = copy.deepcopy(TINY_CONFIG)
    config["losses"]["focal_g2"]["gamma"] = 3.0
    jobs = dry_run(workdir, config)
    assert jobs["train"] == 2  # focal_g2 under sgd and adam; ce untouched
    assert "prepare_data" not in jobs and "make_testset" not in jobs


def test_changing_epochs_retrains_everything(finished_study):
    workdir, _ = finished_study
    config = {**copy.deepcopy(TINY_CONFIG), "epochs": 3}
    assert dry_run(workdir, config)["train"] == 4


def test_changing_one_optimizer_retrains_only_its_runs(finished_study):
    workdir, _ = finished_study
    config = copy.deepcopy(TINY_CONFIG)
    config["optimizers"]["adam"]["lr"] = 0.01
    assert dry_run(workdir, config)["train"] == 2


@pytest.mark.parametrize(
    "name,spec",
    [
        ("gaussian_0.5", {"type": "gaussian", "sigma": 0.5}),  # a new test set
        ("salt_pepper_0.1", {"type": "salt_pepper", "fraction": 0.2}),  # a changed one
    ],
    ids=["added", "changed"],
)
def test_a_test_set_change_remakes_it_and_reevaluates_but_never_retrains(
    finished_study, name, spec
):
    workdir, _ = finished_study
    config = copy.deepcopy(TINY_CONFIG)
    config["testsets"][name] = spec
    jobs = dry_run(workdir, config)
    assert "train" not in jobs
    assert jobs["make_testset"] == 1 and jobs["evaluate"] >= 1


def test_changing_the_history_test_set_retrains(finished_study):
    """The noisy series recorded every epoch comes from it, so training depends on it."""
    workdir, _ = finished_study
    config = copy.deepcopy(TINY_CONFIG)
    config["testsets"]["gaussian"]["sigma"] = 0.75
    assert dry_run(workdir, config)["train"] == 4


def test_threads_change_no_numbers_and_rerun_nothing(finished_study):
    workdir, _ = finished_study
    config = {**copy.deepcopy(TINY_CONFIG), "threads": 2}
    assert dry_run(workdir, config) == {}
