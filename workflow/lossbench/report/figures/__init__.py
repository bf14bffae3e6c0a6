"""The study's figures: one module per figure, registered here by name.

Each figure is a Snakemake target of its own (``results/{dataset}/figures/{name}.png``). The
registry says which module draws it, with which options, from which tables, so the workflow
can make a figure depend on exactly its own code and inputs. Importing this package costs no
matplotlib; :func:`render` imports the one module it needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Snakefile imports the registry: keep that free of pandas/matplotlib
    import pandas as pd

CURVE_TABLES = ("history", "runs")


@dataclass(frozen=True)
class Spec:
    """Which module draws a figure, with which keyword options, from which tables."""

    module: str
    tables: tuple[str, ...] = CURVE_TABLES
    options: dict = field(default_factory=dict)


FIGURES = {
    "test_accuracy": Spec("test_accuracy"),
    "test_accuracy_by_optimizer": Spec("test_accuracy", options={"by_optimizer": True}),
    "loss_change_rate": Spec("loss_change_rate"),
    "loss_change_rate_by_optimizer": Spec("loss_change_rate", options={"by_optimizer": True}),
    "train_vs_test_loss": Spec("train_vs_test_loss"),
    "generalization_gap": Spec("generalization_gap"),
    "noise_delta": Spec("noise_delta"),
    "noise_delta_by_optimizer": Spec("noise_delta", options={"by_optimizer": True}),
    "robustness_curve": Spec("robustness_curve", ("evaluation", "runs")),
    "calibration": Spec("calibration", ("calibration", "runs")),
    "convergence_epochs": Spec("convergence_epochs", ("summary", "runs")),
    "summary_heatmap": Spec("summary_heatmap", ("summary", "runs")),
}


def render(name: str, tables: dict[str, pd.DataFrame], path: str | PathLike) -> None:
    """Draw figure ``name`` from ``tables`` (name -> DataFrame) and write it as PNG to ``path``."""
    spec = FIGURES[name]
    module = importlib.import_module(f".{spec.module}", __name__)
    style = importlib.import_module(".style", __name__)
    style.save(module.draw(tables, **spec.options), path)
