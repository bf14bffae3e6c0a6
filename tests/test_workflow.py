"""End to end: the tiny study runs, a second run has nothing to do, reruns are exact."""

import copy
import re

import pandas as pd
import pytest
import report_zip

from conftest import REPO, TINY_CONFIG, snakemake, write_config


def planned_jobs(output: str) -> dict[str, int]:
    """Job counts by rule from the 'Job stats' table of a (dry) run; the train jobs of packs
    (a rule each, train_pack_0, ...) count as `train`."""
    table = (
        output.split("Job stats:", 1)[1].split("\ntotal", 1)[0] if "Job stats:" in output else ""
    )
    jobs: dict[str, int] = {}
    for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M):
        rule = "train" if rule.startswith("train_pack_") else rule
        jobs[rule] = jobs.get(rule, 0) + int(n)
    return jobs


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("study")
    config = write_config(workdir, TINY_CONFIG)
    result = snakemake(workdir, configfile=config)
    return workdir, result


#: the tiny study under label noise: clean and symmetric 40 %, with GCE beside the two losses
NOISY_CONFIG = {
    **TINY_CONFIG,
    "losses": {**TINY_CONFIG["losses"], "gce": {"type": "gce", "q": 0.7}},
    "conditions": {"clean": {"type": "clean"}, "symmetric_0.4": {"type": "symmetric", "rate": 0.4}},
}


@pytest.fixture(scope="module")
def noisy_study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("noisy_study")
    result = snakemake(workdir, configfile=write_config(workdir, NOISY_CONFIG))
    return workdir, result


def test_tiny_label_noise_study_end_to_end(noisy_study):
    workdir, result = noisy_study
    jobs = planned_jobs(result.stdout + result.stderr)
    # 12 runs: a pack of 3 losses per condition and optimizer
    assert (jobs["make_condition"], jobs["train"], jobs["figure"]) == (2, 4, 24)
    results = workdir / "results/digits"
    history = pd.read_csv(results / "tables/history.csv")
    assert set(history["condition"]) == {"clean", "symmetric_0.4"}
    fitted = history[history["metric"].isin(["memorised", "true"])]
    fitted = fitted.query("split == 'corrupted'").dropna(subset=["value"])
    assert set(fitted["condition"]) == {"symmetric_0.4"}  # clean runs have nothing corrupted
    assert fitted["value"].between(0, 1).all() and len(fitted) == 6 * 2 * 2  # runs x epochs x 2
    for name in ("accuracy_vs_label_noise", "memorisation", "best_loss_by_condition"):
        assert (results / f"figures/{name}.png").stat().st_size > 15_000
    assert not (results / "figures/accuracy_vs_imbalance.png").exists()
    report = (results / "report.html").read_text()
    assert "Which loss when" in report and "With symmetric_0.4, under sgd:" in report


def dry_run(workdir, config: dict) -> dict[str, int]:
    path = write_config(workdir, config, name="changed.yaml")
    return planned_jobs(snakemake(workdir, "-n", configfile=path).stdout)


def test_tiny_study_runs_every_job(finished_study):
    workdir, result = finished_study
    jobs = planned_jobs(result.stdout + result.stderr)
    # one pack per optimizer: both losses (pack: 12, the default, holds more than 2 runs)
    assert jobs["train"] == 2 and jobs["prepare_data"] == 1 and jobs["make_testset"] == 3
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


def changed(*edits, base=TINY_CONFIG):
    """The tiny config with ``edits``: (key path, value), e.g. (("losses", "ce", "gamma"), 3)."""
    config = copy.deepcopy(base)
    for (*parents, key), value in edits:
        place = config
        for parent in parents:
            place = place.setdefault(parent, {})
        place[key] = value
    return config


#: what a change upstream of the tables reruns after its own jobs
DOWNSTREAM = {
    "aggregate": 1,
    "select_lr": 1,
    "summarize": 1,
    "figure": 12,
    "benchmarks": 1,
    "report": 1,
}
ALL = {"all": 1}

#: what a change upstream of the tables reruns in the noisy study (two conditions, so the
#: figures across conditions too)
NOISY_DOWNSTREAM = {**DOWNSTREAM, "figure": 24, "study_figure": 3}


def noisy(*edits):
    """The noisy study's config with ``edits`` (see :func:`changed`)."""
    return changed(*edits, base=NOISY_CONFIG)


#: every row of config/README.md's rerun table: (a change of that row, the jobs it reruns);
#: the changes made with :func:`noisy` are dry runs of the noisy study
RERUN_TABLE = {
    "a loss's parameters (e.g. `focal_g2.gamma`)": (
        changed((("losses", "focal_g2", "gamma"), 3.0)),
        {"train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "an optimizer entry": (
        changed((("optimizers", "adam", "lr"), 0.01)),
        {"train": 1, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "a new seed": (
        changed((("seeds",), [0, 1])),
        {"train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "a new loss": (
        changed((("losses", "mae"), {"type": "mae"})),
        {"train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`pack`": (
        changed((("pack",), 1)),
        {"train": 4, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`epochs`, `batch_size`, `model`, `device`, `deterministic`": (
        changed((("epochs",), 3)),
        {"train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "the spec of the `history_testset` (scored every epoch of training)": (
        changed((("testsets", "gaussian", "sigma"), 0.75)),
        {"make_testset": 1, "train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "the spec of another test set, or a new one": (
        changed((("testsets", "salt_pepper_0.1", "fraction"), 0.2)),
        {"make_testset": 1, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`noise_seed`": (
        changed((("noise_seed",), 7)),
        {"make_testset": 2, "train": 2, "evaluate": 1, **DOWNSTREAM, **ALL},
    ),
    "`data.test_fraction`, `data.validation_fraction`, `data.split_seed`": (
        changed((("data", "split_seed"), 1)),
        {
            "prepare_data": 1,
            "make_testset": 3,
            "make_condition": 1,
            "train": 2,
            "evaluate": 1,
            **DOWNSTREAM,
            **ALL,
        },
    ),
    "a condition's spec (e.g. `symmetric_0.4.rate`), or a new condition": (
        noisy((("conditions", "symmetric_0.4", "rate"), 0.3)),
        {"make_condition": 1, "train": 2, "evaluate": 1, **NOISY_DOWNSTREAM, **ALL},
    ),
    "`condition_seed`": (
        noisy((("condition_seed",), 5)),
        {"make_condition": 1, "train": 2, "evaluate": 1, **NOISY_DOWNSTREAM, **ALL},
    ),
    "a learning rate added to an optimizer's `lr` list": (
        changed(
            (("optimizers", "sgd", "lr"), [0.1, 0.3]), (("optimizers", "sgd", "fixed_lr"), 0.1)
        ),
        {"train": 1, "evaluate": 1, **DOWNSTREAM, "study_figure": 1, **ALL},
    ),
    "`analysis.convergence_target`, `analysis.slope_epochs`, `analysis.resolve`": (
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
def test_a_change_reruns_what_the_docs_say(row, request):
    config, expected = RERUN_TABLE[row]
    study = "noisy_study" if "conditions" in config else "finished_study"
    workdir, _ = request.getfixturevalue(study)
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


#: packs of 4 runs (2 losses x 2 seeds): seeds 0-1 fill one pack, seed 2 starts the next
PACKED = {
    **TINY_CONFIG,
    "optimizers": {"adam": {"type": "adam"}},
    "epochs": 1,
    "seeds": [0, 1, 2],
    "pack": 4,
}


def histories(config: dict) -> list[str]:
    return [
        f"results/digits/runs/clean/{loss}/adam/lr0.001/seed{seed}/history.csv"
        for loss in config["losses"]
        for seed in config["seeds"]
    ]


def train_jobs(output: str) -> list[set[str]]:
    """The outputs of every train job of a (dry) run's log, job by job."""
    blocks = re.findall(
        r"^(?:local)?rule train\w*:\n(?:\s+\w+: .*\n)*?\s+output: (.*)$", output, re.M
    )
    return [set(block.split(", ")) for block in blocks]


def test_a_new_seed_reruns_only_the_pack_that_holds_it(tmp_path):
    built = snakemake(tmp_path, *histories(PACKED), configfile=write_config(tmp_path, PACKED))
    # two packs for three seeds: a pack larger than what is left of the seeds works
    jobs = train_jobs(built.stdout + built.stderr)
    assert sorted(len(outputs) for outputs in jobs) == [3 * 2, 3 * 4]
    grown = {**PACKED, "seeds": [0, 1, 2, 3]}
    config = write_config(tmp_path, grown, name="grown.yaml")
    planned = snakemake(tmp_path, "-n", *histories(grown), configfile=config).stdout
    # seed 3 joins seed 2's pack: that pack trains again (both seeds), the full one does not
    [outputs] = train_jobs(planned)
    assert {path.split("/")[-2] for path in outputs} == {"seed2", "seed3"}
    assert {f"{path.split('/')[-2]}/{path.split('/')[-1]}" for path in outputs} >= {
        "seed3/history.csv",
        "seed2/weights.pt",
    }
