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

from ..analysis.metrics import KEY_METRICS, METRICS
from . import compute_cost, findings

PACKAGES = ["torch", "torchvision", "snakemake", "pandas", "numpy", "scipy", "matplotlib"]

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
        return {"text": "–", "title": "no finished run has this metric"}
    scale = METRICS[metric].scale
    text = findings.number(row["mean"] * scale)
    if math.isfinite(row["std"]):
        text += f" ± {findings.number(row['std'] * scale)}"
    title = f"n = {row['n']:.0f}"
    if math.isfinite(row["ci_low"]):
        title += f"; 95 % CI {row['ci_low'] * scale:.2f} to {row['ci_high'] * scale:.2f}"
    return {"text": text, "title": title}


def summary_rows(summary: pd.DataFrame, runs: pd.DataFrame) -> list[dict]:
    """One row per condition x loss x optimizer x lr, in config order, with the key metrics."""
    indexed = summary.set_index(["condition", "loss", "optimizer", "lr", "metric"])
    rows = []
    for (condition, loss, optimizer, lr), group in runs.groupby(
        ["condition", "loss", "optimizer", "lr"], sort=False
    ):
        cells = []
        for metric in KEY_METRICS:
            key = (condition, loss, optimizer, lr, metric)
            cells.append(cell(indexed.loc[key] if key in indexed.index else None, metric))
        diverged = int((group["status"] == "diverged").sum())
        rows.append(
            {
                "condition": condition,
                "loss": loss,
                "optimizer": optimizer,
                "lr": lr,
                "runs": len(group),
                "diverged": diverged,
                "cells": cells,
            }
        )
    return rows


def data_uri(path: str | Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


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
        section["figures"] = [
            {"name": n, "src": data_uri(figures[n]), "caption": captions[n]}
            for n in section["figures"]
        ]
    return sections


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
    summary: pd.DataFrame,
    comparisons: pd.DataFrame,
    runs: pd.DataFrame,
    bench: pd.DataFrame,
    figures: dict[str, dict[str, str]],
    captions: dict[str, str],
) -> str:
    """The report as one HTML string; ``figures`` maps each condition to its figures' files."""
    analysis = config["analysis"]
    found = findings.findings(
        summary, comparisons, runs, analysis["convergence_threshold"], analysis["slope_epochs"]
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
        conditions=[
            {"name": condition, "sections": figure_sections(of_condition, captions)}
            for condition, of_condition in figures.items()
        ],
        summary_columns=[METRICS[m] for m in KEY_METRICS],
        summary_rows=summary_rows(summary, runs),
        comparisons=comparisons[comparisons["verdict"].isin(["a better", "b better"])],
    )
