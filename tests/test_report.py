"""Findings written from the numbers, the HTML report, and the analysis rules end to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import BIN, REPO, TINY_CONFIG, write_config
from lossbench.analysis import summary
from lossbench.config import fill_defaults
from lossbench.report import compute_cost, figures, findings, html

ANALYSIS = Path(__file__).parent / "data" / "analysis"
TEMPLATE = REPO / "workflow" / "report" / "report.html.j2"


def stats_row(loss, mean, std, n=3, metric="final_test_acc", optimizer="sgd"):
    return {
        "dataset": "d",
        "condition": "clean",
        "loss": loss,
        "optimizer": optimizer,
        "lr": 0.1,
        "runs": n,
        "diverged": 0,
        "metric": metric,
        "n": n,
        "mean": mean,
        "std": std,
    }


def test_ranking_names_the_best_loss_and_judges_each_difference_by_its_ci():
    table = pd.DataFrame(
        [
            stats_row("mae", 0.80, 0.02),
            stats_row("ce", 0.973, 0.004),
            stats_row("focal", 0.97, 0.01),
        ]
    )
    comparisons = pd.DataFrame(
        {
            "condition": "clean",
            "optimizer": "sgd",
            "lr": 0.1,
            "metric": "final_test_acc",
            "loss_a": ["mae", "mae", "ce"],
            "loss_b": ["ce", "focal", "focal"],
            "ci_low": [-0.2, -0.19, -0.002],
            "ci_high": [-0.15, -0.14, 0.005],
            "verdict": ["b better", "b better", "within seed noise"],
        }
    )
    sentence = findings.ranking(
        table, comparisons, ("clean", "sgd", 0.1), "final_test_acc", "is most accurate"
    )
    assert sentence == (
        "Under sgd, ce is most accurate (97.3 % ± 0.40, 3 seeds); "
        "vs mae: better beyond seed noise (paired 95 % CI 15.0 to 20.0 pp); "
        "vs focal: within seed noise (paired 95 % CI −0.20 to 0.50 pp)."
    )
    # lower is better for NLL: the smallest mean is named
    nll = pd.DataFrame(
        [stats_row("mae", 1.3, 0.1, metric="nll"), stats_row("ce", 0.2, 0.1, metric="nll")]
    )
    assert findings.ranking(nll, comparisons.iloc[:0], ("clean", "sgd", 0.1), "nll", "wins") == (
        "Under sgd, ce wins (0.20 nats ± 0.10, 3 seeds)."
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample study's tables, its summary, every figure and the benchmark table."""
    out = tmp_path_factory.mktemp("report")
    tables = {
        n: pd.read_csv(ANALYSIS / "tables" / f"{n}.csv")
        for n in ("history", "evaluation", "calibration", "runs")
    }
    tables["summary"], tables["comparisons"] = summary.tables(
        tables["history"], tables["evaluation"], tables["runs"], threshold=0.01, k=5
    )
    paths = {}
    for name, spec in figures.FIGURES.items():
        paths[name] = str(out / f"{name}.png")
        figures.render(name, {t: tables[t] for t in spec.tables}, paths[name])
    root = ANALYSIS / "benchmarks"
    tables["bench"] = compute_cost.table("digits", [str(p) for p in root.rglob("*.tsv")], str(root))
    return tables, paths


def test_findings_follow_the_numbers(sample):
    tables, _ = sample
    config = yaml.safe_load((ANALYSIS / "config.yaml").read_text())
    found = findings.findings(tables["summary"], tables["comparisons"], tables["runs"], 0.01, 5)
    assert set(found) == {"accuracy", "convergence", "generalization", "noise", "runs"}
    acc = tables["summary"][tables["summary"]["metric"] == "final_test_acc"]
    for optimizer in config["optimizers"]:
        best = acc[acc["optimizer"] == optimizer].sort_values("mean").iloc[-1]["loss"]
        assert f"Under {optimizer}, {best} is most accurate" in " ".join(found["accuracy"])
    bad = tables["runs"][tables["runs"]["status"] == "diverged"].iloc[0]
    assert any(
        f"{bad['loss']}/{bad['optimizer']} seed {bad['seed']}: diverged" in s for s in found["runs"]
    )


def test_report_holds_every_figure_the_summary_and_the_cost(sample):
    tables, paths = sample
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    config = fill_defaults(yaml.safe_load((ANALYSIS / "config.yaml").read_text()), schema)
    page = html.render(
        dataset="digits",
        config=config,
        template=TEMPLATE,
        summary=tables["summary"],
        comparisons=tables["comparisons"],
        runs=tables["runs"],
        bench=tables["bench"],
        figures={"clean": paths},
        captions={name: f"caption of {name}" for name in paths},
    )
    for name in figures.FIGURES:
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
    # imports report.findings): editing it reruns the report alone
    edit(code.parent / "findings.py")
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
