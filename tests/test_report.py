"""Findings written from the numbers, the HTML report, and the analysis rules end to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sample_analysis
from conftest import BIN, REPO, TINY_CONFIG, write_config
from lossbench.analysis import selection
from lossbench.report import compute_cost, figures, findings, html, which_loss_when

TEMPLATE = REPO / "workflow" / "report" / "report.html.j2"


def stats_row(loss, mean, n=3, metric="final_test_acc", lr=0.1):
    keys = {"dataset": "d", "condition": "clean", "loss": loss, "optimizer": "sgd", "lr": lr}
    return (
        keys
        | {"runs": n, "diverged": 0, "underfit": 0, "metric": metric, "n": n}
        | {
            "mean": mean,
            "std": 0.01,
        }
    )


def comparison(a, b, low, high, p_holm, verdict, metric="final_test_acc", n=3):
    keys = {"answer": "fixed", "dataset": "d", "condition": "clean", "optimizer": "sgd"}
    return (
        keys
        | {"metric": metric, "loss_a": a, "lr_a": 0.1, "loss_b": b, "lr_b": 0.1}
        | {
            "n": n,
            "mean_diff": (low + high) / 2,
            "ci_low": low,
            "ci_high": high,
            "p_holm": p_holm,
            "verdict": verdict,
        }
    )


def judged_at(lr, losses):
    return pd.DataFrame(
        [
            {"answer": "fixed", "dataset": "d", "condition": "clean", "optimizer": "sgd"}
            | {"loss": loss, "lr": lr}
            for loss in losses
        ]
    )


def accuracy_verdict(summary, comparisons):
    judged = judged_at(0.1, summary["loss"].unique())
    table = findings.verdicts(summary, comparisons, judged)
    (row,) = [r for r in table if r["question"] == "accuracy"]
    return row


def test_the_verdict_names_the_best_loss_and_judges_the_runner_up_by_holm():
    summary = pd.DataFrame(
        [stats_row("mae", 0.80), stats_row("ce", 0.973), stats_row("focal", 0.97)]
    )
    # stored as a − b in either order: the verdict reads them from the best loss's side
    comparisons = pd.DataFrame(
        [
            comparison("mae", "ce", -0.2, -0.15, 0.001, "b better"),
            comparison("focal", "ce", -0.005, 0.002, 0.4, "not beyond seed noise"),
        ]
    )
    row = accuracy_verdict(summary, comparisons)
    assert (row["best"], row["value"], row["runner_up"]) == ("ce", "97.3 %", "focal")
    assert (row["interval"], row["p_holm"]) == ("−0.20 to 0.50 pp", 0.4)
    assert row["verdict"] == findings.WITHIN
    beyond = pd.DataFrame([comparison("ce", "focal", 0.001, 0.005, 0.01, "a better")])
    assert accuracy_verdict(summary, beyond)["verdict"] == findings.BEYOND


def test_lower_is_better_names_the_smallest_mean():
    summary = pd.DataFrame(
        [stats_row("mae", 1.3, metric="ece"), stats_row("ce", 0.2, metric="ece")]
    )
    comparisons = pd.DataFrame([comparison("ce", "mae", -1.2, -1.0, 0.01, "a better", "ece")])
    table = findings.verdicts(summary, comparisons, judged_at(0.1, ["ce", "mae"]))
    (row,) = [r for r in table if r["question"] == "calibration"]
    assert (row["best"], row["value"], row["verdict"]) == ("ce", "20.0 %", findings.BEYOND)


def test_a_best_loss_on_one_seed_is_undecided():
    summary = pd.DataFrame([stats_row("ce", 0.99, n=1), stats_row("mae", 0.5)])
    row = accuracy_verdict(
        summary, pd.DataFrame([comparison("ce", "mae", 0.4, 0.5, 0.01, "a better", n=1)])
    )
    assert row["verdict"] == findings.UNDECIDED


def test_which_loss_when_names_the_winner_and_judges_the_others():
    underfit = stats_row("sce", 0.99, n=2) | {"runs": 3, "underfit": 1}  # best on 2 of 3 seeds
    summary = pd.DataFrame(
        [stats_row("ce", 0.97), stats_row("mae", 0.80), stats_row("gce", 0.969), underfit]
    )
    comparisons = pd.DataFrame(
        [
            comparison("ce", "mae", 0.15, 0.19, 0.001, "a better"),
            comparison("gce", "ce", -0.004, 0.002, 0.5, "not beyond seed noise"),
        ]
    )
    judged = judged_at(0.1, ["ce", "mae", "gce", "sce"])
    (sentence,) = which_loss_when.winners(summary, comparisons, judged)
    assert sentence == (
        "With clean, under sgd: ce is most accurate (97.0 %, lr 0.1, 3 seeds); "
        "gce not beyond seed noise (−0.10 pp, Holm p 0.5); "
        "mae worse beyond seed noise (−17.0 pp, Holm p 0.001); "
        "not ranked: sce (1 underfit of 3 runs)."
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample study's tables, every figure of each condition and across them, and the
    benchmark table."""
    out = tmp_path_factory.mktemp("report")
    tables = sample_analysis.analysed()
    paths = {}  # condition -> figure -> file
    for condition in sample_analysis.CONFIG["conditions"]:
        for name in figures.FIGURES:
            path = out / f"{condition}-{name}.png"
            figures.render(name, sample_analysis.figure_tables(tables, condition), path)
            paths.setdefault(condition, {})[name] = str(path)
    across = {}
    for name in figures.study_figures(sample_analysis.CONFIG):
        across[name] = str(out / f"{name}.png")
        figures.render(name, sample_analysis.figure_tables(tables, None), across[name])
    root = sample_analysis.ANALYSIS / "benchmarks"
    tables["bench"] = compute_cost.table("digits", [str(p) for p in root.rglob("*.tsv")], str(root))
    return tables, paths, across


def sample_findings(tables):
    judged = selection.answers(tables["runs"], tables["selected_lr"], sample_analysis.FIXED)
    found = findings.findings(
        tables["summary"],
        tables["comparisons"],
        tables["runs"],
        tables["selected_lr"],
        judged,
        tables["evaluation"],
        noisy="gaussian",
        k=5,
        difference=0.005,
    )
    return found, judged


def test_findings_follow_the_numbers(sample):
    tables, _, _ = sample
    found, judged = sample_findings(tables)
    assert set(found) == {
        "table",
        "runs",
        "statistics",
        "learning_rates",
        "generalization",
        "noise",
    }
    acc = tables["summary"].query("metric == 'final_test_acc' and n == runs")  # ranked ones
    acc = acc.merge(judged.drop(columns="dataset"))
    rows = [r for r in found["table"] if r["question"] == "accuracy"]
    assert {r["answer"] for r in rows} == {"fixed", "tuned"}
    for row in rows:
        setting = acc.query(
            "answer == @row['answer'] and condition == @row['condition']"
            " and optimizer == @row['optimizer']"
        )
        assert row["best"] == setting.sort_values("mean").iloc[-1]["loss"]
    bad = tables["runs"][tables["runs"]["status"] == "diverged"].iloc[0]
    assert any(
        f"{bad['loss']}/{bad['optimizer']} lr {bad['lr']:g} seed {bad['seed']}: diverged" in s
        for s in found["runs"]
    )
    assert any("fixed and the tuned learning rates" in s for s in found["learning_rates"])
    assert "gaussian 1 in normalised units" in found["noise"][0]


def test_report_holds_every_figure_the_summary_and_the_cost(sample):
    tables, paths, across = sample
    page = html.render(
        dataset="digits",
        config=sample_analysis.CONFIG,
        template=TEMPLATE,
        tables=tables,
        bench=tables["bench"],
        figures=paths,
        study_figures=across,
        captions={name: f"caption of {name}" for name in figures.SPECS},
        fixed=sample_analysis.FIXED,
    )
    for condition in paths:
        for name in figures.FIGURES:
            found = re.search(
                rf'<figure id="{condition}-{name}">\s*<img src="data:image/png;base64,', page
            )
            assert found, (condition, name)
    for name in across:
        assert re.search(rf'<figure id="{name}">\s*<img src="data:image/png;base64,', page), name
        assert f"caption of {name}" in page
    assert "http" not in page.replace("https://", "")  # nothing to fetch: self-contained
    for run in tables["runs"].drop_duplicates(["loss", "optimizer"]).itertuples():
        assert f'<td class="name">{run.loss}</td><td class="name">{run.optimizer}</td>' in page
    assert 'class="diverged"' in page and "diverged after" in page
    for rule in ("train", "evaluate", "aggregate"):
        assert f'<td class="name">{rule}</td>' in page
    for package in ("torch", "snakemake"):
        assert f"{package} " in page


def copy_of_repo(tmp_path: Path) -> Path:
    """The workflow in a private copy, so edits of the real checkout cannot disturb the test."""
    keep = shutil.ignore_patterns(
        ".*", "results", "resources", "tests", "*.egg-info", "__pycache__", "profiles"
    )
    return Path(shutil.copytree(REPO, tmp_path / "repo", ignore=keep))


def run(repo: Path, workdir: Path, *args: str) -> str:
    command = [str(BIN / "snakemake"), "-s", str(repo / "Snakefile"), "--directory", str(workdir)]
    command += ["--configfile", str(workdir / "config.yaml"), "--cores", "2", *args]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def scheduled(dry_run: str) -> dict[str, int]:
    """The job counts of a dry run's 'Job stats' table."""
    table = dry_run.split("Job stats:")[1].split("total")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_figures_and_report_end_to_end_and_rerun_per_figure(tmp_path):
    repo, work = copy_of_repo(tmp_path), tmp_path / "work"
    work.mkdir()
    write_config(work, TINY_CONFIG)
    results = work / "results" / "digits"
    run(repo, work, "results/digits/figures/clean/test_accuracy.png")  # one figure alone
    assert (results / "figures" / "clean" / "test_accuracy.png").exists()
    assert not (results / "report.html").exists()
    run(repo, work)  # the default target: every figure and the report
    for name in figures.FIGURES:
        assert (results / "figures" / "clean" / f"{name}.png").stat().st_size > 15_000
    html = (results / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(figures.FIGURES)
    # the benchmark files of the other rules' jobs are inputs of the compute-cost table
    cost = pd.read_csv(results / "tables" / "benchmarks.csv")
    assert {"train", "evaluate", "aggregate", "summarize", "figure"} <= set(cost["rule"])
    assert "nothing to be done" in run(repo, work, "-n").lower()

    # Snakemake 9 reruns on changed content: a newer mtime with the recorded checksum of the
    # input (small files) is not a change, so the test edits the code, as a user would.
    code = repo / "workflow" / "lossbench" / "report" / "figures"
    # a module that no script imports itself, only through another module (report.html
    # imports report.which_loss_when): editing it reruns the report alone
    edit(code.parent / "which_loss_when.py")
    assert scheduled(run(repo, work, "-n")) == {"report": 1, "all": 1}
    edit(code / "calibration.py")
    dry = run(repo, work, "-n")
    # that figure, the compute-cost table (its benchmark file changes) and the report
    assert scheduled(dry) == {"figure": 1, "benchmarks": 1, "report": 1, "all": 1}
    assert "figure=calibration" in dry

    edit(code / "style.py")
    assert scheduled(run(repo, work, "-n"))["figure"] == len(figures.FIGURES)


def edit(path: Path) -> None:
    """Change a module's text (a comment line) and make it newer than every output."""
    path.write_text(path.read_text() + "# edited\n")
    later = time.time() + 5
    os.utime(path, (later, later))


def test_equal_counts_stored_as_float32_differ_by_nothing():
    """ce 436, 436, 434 and focal 436, 435, 435 correct of 450 on three seeds: the same 1306,
    but as float32 shares (as evaluation.csv stores them) the mean difference is ~3e-7, which
    the report once printed as '−3.3e−05 pp'."""
    share = lambda count: float(np.float32(count / 450))  # noqa: E731
    diff = np.mean([share(a) - share(b) for a, b in ((436, 436), (436, 435), (434, 435))])
    assert diff != 0
    assert findings.difference("final_test_acc", diff) == "0 pp"
    assert findings.difference("final_test_acc", share(436) - share(435)) == "0.22 pp"


def test_the_overfitting_flag_names_each_learning_rate():
    """A tuned study has a group per learning rate: 'mae/sgd in 1 of 2 runs; mae/sgd in 2 of 2
    runs' named nothing a reader could tell apart."""
    summary = pd.DataFrame(
        [
            stats_row("mae", 1 / 2, n=2, metric="overfitting", lr=0.1),
            stats_row("mae", 2 / 2, n=2, metric="overfitting", lr=0.3),
            stats_row("ce", 0.0, metric="overfitting", lr=0.1),
        ]
    )
    (sentence,) = findings.overfitting(summary, 5)
    assert sentence == (
        "Test NLL rose over the last 5 epochs (overfitting flag): "
        "mae/sgd lr 0.1 in 1 of 2 runs; mae/sgd lr 0.3 in 2 of 2 runs."
    )
