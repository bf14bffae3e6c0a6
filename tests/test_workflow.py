"""End to end: the tiny study runs, a second run has nothing to do, reruns are exact."""

import copy
import re

import pytest
import report_zip

from conftest import REPO, TINY_CONFIG, snakemake, write_config


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
        for optimizer, lr in (("sgd", 0.1), ("adam", 0.001)):
            run = workdir / f"results/digits/runs/clean/{loss}/{optimizer}/lr{lr}/seed0"
            assert (run / "history.csv").exists() and (run / "evaluation.csv").exists()
    assert (workdir / "results/digits/tables/history.csv").exists()


def test_the_console_names_no_shell_command_for_script_jobs(finished_study):
    """Script rules have none: `Shell command: None` once per job was noise."""
    _, result = finished_study
    assert "Shell command" not in result.stdout + result.stderr


def test_snakemakes_report_zip_holds_every_figure(finished_study):
    workdir, _ = finished_study
    config = workdir / "config.yaml"
    print(report_zip.check(report_zip.build(workdir, config), workdir, TINY_CONFIG))


def test_second_invocation_has_nothing_to_do(finished_study):
    workdir, _ = finished_study
    result = snakemake(workdir, "-n", configfile=workdir / "config.yaml")
    assert "Nothing to be done" in result.stdout + result.stderr


def changed(*edits):
    """The tiny config with ``edits``: (key path, value), e.g. (("losses", "ce", "gamma"), 3)."""
    config = copy.deepcopy(TINY_CONFIG)
    for (*parents, key), value in edits:
        place = config
        for parent in parents:
            place = place.setdefault(parent, {})
        place[key] = value
    return config


#: what a change upstream of the tables reruns after its own jobs
DOWNSTREAM = {"aggregate": 1, "summarize": 1, "figure": 12, "benchmarks": 1, "report": 1}
ALL = {"all": 1}

#: every row of config/README.md's rerun table: (a change of that row, the jobs it reruns)
RERUN_TABLE = {
    "a loss's parameters (e.g. `focal_g2.gamma`)": (
        changed((("losses", "focal_g2", "gamma"), 3.0)),
        {"train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "an optimizer entry": (
        changed((("optimizers", "adam", "lr"), 0.01)),
        {"train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`epochs`, `batch_size`, `model`, `device`, `deterministic`": (
        changed((("epochs",), 3)),
        {"train": 4, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "the spec of the `history_testset` (scored every epoch of training)": (
        changed((("testsets", "gaussian", "sigma"), 0.75)),
        {"make_testset": 1, "train": 4, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "the spec of another test set, or a new one": (
        changed((("testsets", "salt_pepper_0.1", "fraction"), 0.2)),
        {"make_testset": 1, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`noise_seed`": (
        changed((("noise_seed",), 7)),
        {"make_testset": 2, "train": 4, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`data.test_fraction`, `data.split_seed`": (
        changed((("data", "split_seed"), 1)),
        {
            "prepare_data": 1,
            "make_testset": 3,
            "make_condition": 1,
            "train": 4,
            "evaluate": 1,
            **DOWNSTREAM,
            **ALL,
        },
    ),
    "`analysis.convergence_threshold`, `analysis.slope_epochs`": (
        changed((("analysis", "slope_epochs"), 3)),
        {"summarize": 1, "figure": 2, "benchmarks": 1, "report": 1, **ALL},
    ),
    "`threads`, `data.download`, `data.root`": (
        changed((("threads",), 2), (("data", "root"), "elsewhere")),
        {},
    ),
    "writing out a default (e.g. `adam: {type: adam, lr: 0.001}`)": (
        changed(
            (("optimizers", "adam"), {"type": "adam", "lr": 0.001, "betas": [0.9, 0.999]}),
            (("optimizers", "sgd", "nesterov"), False),
            (("model",), {"default": {"type": "mlp", "hidden": [128]}}),
            (("deterministic",), "portable"),
        ),
        {},
    ),
}


def documented_rows() -> list[str]:
    """The first column of config/README.md's rerun table."""
    text = (REPO / "config" / "README.md").read_text()
    table = text.split("## What reruns when you change a key", 1)[1].split("\n## ", 1)[0]
    rows = [
        line.split(" | ")[0].lstrip("| ") for line in table.splitlines() if line.startswith("| ")
    ]
    return [row for row in rows if row not in ("change",)]


def test_every_row_of_the_documented_rerun_table_is_checked():
    assert documented_rows() == list(RERUN_TABLE)


@pytest.mark.parametrize("row", list(RERUN_TABLE))
def test_a_change_reruns_what_the_docs_say(finished_study, row):
    workdir, _ = finished_study
    config, expected = RERUN_TABLE[row]
    assert dry_run(workdir, config) == expected


def test_one_evaluation_csv_is_the_dataset_evaluation_job(finished_study):
    """As the README says: every run's evaluation.csv comes from one job that scores them all."""
    workdir, _ = finished_study
    target = "results/digits/runs/clean/ce/sgd/lr0.1/seed0/evaluation.csv"
    (workdir / target).unlink()
    config = workdir / "config.yaml"
    assert planned_jobs(snakemake(workdir, "-n", target, configfile=config).stdout) == {
        "evaluate": 1
    }
    snakemake(workdir, target, configfile=config)
