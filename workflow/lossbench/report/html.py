"""One self-contained HTML report per dataset: what was run, findings, tables and figures.

Everything comes from the tables and figures the workflow made; images are embedded as data
URIs so the file can be mailed or archived alone. Versions are read with importlib.metadata,
so the report job never imports torch.
"""

from __future__ import annotations

import base64
import importlib.metadata
import math
import os
import platform
from pathlib import Path

import jinja2
import pandas as pd
import yaml

from ..analysis import selection
from ..analysis.metrics import GROUP_KEYS, KEY_METRICS, METRICS
from . import compute_cost, findings, which_loss_when

PACKAGES = ["torch", "torchvision", "snakemake", "pandas", "numpy", "scipy", "matplotlib"]

#: the figures across conditions, by the report section that shows them
STUDY_SECTIONS = {
    "when": ["best_loss_by_condition", "accuracy_vs_label_noise", "memorisation"]
    + ["accuracy_vs_imbalance"],
    "learning_rates": ["lr_sensitivity"],
}

#: the four questions, each with the figures that answer it, in report order
SECTIONS = {
    "accuracy": (
        "Which loss is most accurate (and best calibrated)?",
        ["test_accuracy", "test_accuracy_by_optimizer", "calibration", "summary_heatmap"],
    ),
    "convergence": (
        "Which loss converges fastest?",
        ["loss_change_rate", "loss_change_rate_by_optimizer", "convergence_epochs"],
    ),
    "generalization": (
        "Which loss generalizes best?",
        ["train_vs_test_loss", "generalization_gap"],
    ),
    "noise": (
        "Which loss is least sensitive to input noise?",
        ["noise_delta", "noise_delta_by_optimizer", "robustness_curve"],
    ),
}


def environment() -> dict:
    """Package versions and the hardware of the machine that wrote the report."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    hardware = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu count": os.cpu_count(),
    }
    return {"versions": versions, "hardware": hardware}


def cell(row: pd.Series | None, metric: str) -> dict:
    """A summary cell: 'mean ± sd' and its 95 % CI as a tooltip."""
    if row is None or not math.isfinite(row["mean"]):
        return {"text": "–", "title": "no usable run has this metric"}
    scale = METRICS[metric].scale
    text = findings.number(row["mean"] * scale)
    if math.isfinite(row["std"]):
        text += f" ± {findings.number(row['std'] * scale)}"
    title = f"n = {row['n']:.0f}"
    if math.isfinite(row["ci_low"]):
        title += f"; 95 % CI {row['ci_low'] * scale:.2f} to {row['ci_high'] * scale:.2f}"
    return {"text": text, "title": title}


def summary_rows(summary: pd.DataFrame, runs: pd.DataFrame, judged: pd.DataFrame) -> list[dict]:
    """One row per condition x loss x optimizer x lr an answer judges (``judged``: its
    groups and answers), in config order, with the key metrics."""
    indexed = summary.set_index(["condition", "loss", "optimizer", "lr", "metric"])
    answers = judged.groupby(GROUP_KEYS)["answer"].agg(lambda a: " & ".join(sorted(set(a))))
    rows = []
    for (condition, loss, optimizer, lr), group in runs.merge(
        judged[GROUP_KEYS].drop_duplicates(), on=GROUP_KEYS
    ).groupby(["condition", "loss", "optimizer", "lr"], sort=False):
        cells = []
        for metric in KEY_METRICS:
            key = (condition, loss, optimizer, lr, metric)
            cells.append(cell(indexed.loc[key] if key in indexed.index else None, metric))
        rows.append(
            {
                "condition": condition,
                "loss": loss,
                "optimizer": optimizer,
                "lr": lr,
                "answer": answers[(group["dataset"].iloc[0], condition, loss, optimizer, lr)],
                "runs": len(group),
                "diverged": int((group["status"] == "diverged").sum()),
                "underfit": int(((group["status"] == "ok") & group["underfit"]).sum()),
                "cells": cells,
            }
        )
    return rows


def data_uri(path: str | Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


def figure_items(names: list[str], files: dict[str, str], captions: dict[str, str]) -> list:
    return [
        {"name": n, "src": data_uri(files[n]), "caption": captions[n]} for n in names if n in files
    ]


def figure_sections(figures: dict[str, str], captions: dict[str, str]) -> list[dict]:
    """The figures by question; any figure no question claims goes to a last section."""
    claimed = {name for _, names in SECTIONS.values() for name in names}
    sections = [
        {"key": key, "title": title, "figures": [n for n in names if n in figures]}
        for key, (title, names) in SECTIONS.items()
    ]
    rest = [name for name in figures if name not in claimed]
    if rest:
        sections.append({"key": "other", "title": "Other figures", "figures": rest})
    for section in sections:
        section["figures"] = figure_items(section["figures"], figures, captions)
    return sections


def differences(comparisons: pd.DataFrame) -> list[dict]:
    """The paired differences beyond seed noise, each in its metric's display unit."""
    beyond = comparisons[comparisons["verdict"].isin(["a better", "b better"])]
    return [
        r._asdict()
        | {
            "difference": findings.difference(r.metric, r.mean_diff),
            "interval": findings.interval(r.metric, r.ci_low, r.ci_high),
        }
        for r in beyond.itertuples(index=False)
    ]


def cost_summary(bench: pd.DataFrame) -> dict:
    """Per-rule cost and the totals the report's header quotes."""
    longest = bench.loc[bench["seconds"].idxmax()]
    return {
        "rules": compute_cost.per_rule(bench).to_dict("records"),
        "total_s": float(bench["seconds"].sum()),
        "jobs": len(bench),
        "longest": f"{longest['rule']} {longest['job']}".strip(),
        "longest_s": float(longest["seconds"]),
    }


def render(
    *,
    dataset: str,
    config: dict,
    template: str | Path,
    tables: dict[str, pd.DataFrame],
    bench: pd.DataFrame,
    figures: dict[str, dict[str, str]],
    study_figures: dict[str, str],
    captions: dict[str, str],
    fixed: dict[str, float | None],
) -> str:
    """The report as one HTML string. ``tables``: summary, selected_lr, comparisons, runs and
    evaluation; ``figures`` maps each condition to its figures' files, ``study_figures`` the
    figures across conditions; ``fixed`` each optimizer's fixed learning rate."""
    summary, comparisons, runs = tables["summary"], tables["comparisons"], tables["runs"]
    selected = tables["selected_lr"]
    analysis = config["analysis"]
    judged = selection.answers(runs, selected, fixed)
    found = findings.findings(
        summary,
        comparisons,
        runs,
        selected,
        judged,
        tables["evaluation"],
        noisy=config["history_testset"],
        k=analysis["slope_epochs"],
        difference=analysis["resolve"],
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    page = env.from_string(Path(template).read_text())
    return page.render(
        dataset=dataset,
        config=config,
        config_yaml=yaml.safe_dump(config, sort_keys=False),
        environment=environment(),
        cost=cost_summary(bench),
        runs=runs,
        findings=found,
        when=which_loss_when.sentences(summary, comparisons, judged),
        study_sections={
            key: figure_items(names, study_figures, captions)
            for key, names in STUDY_SECTIONS.items()
        },
        selected=selected,
        conditions=[
            {"name": condition, "sections": figure_sections(of_condition, captions)}
            for condition, of_condition in figures.items()
        ],
        summary_columns=[METRICS[m] for m in KEY_METRICS],
        summary_rows=summary_rows(summary, runs, judged),
        differences=differences(comparisons),
    )
