"""The study's figures: one module per figure, registered here by name.

Each figure is a Snakemake target of its own (``results/{dataset}/figures/{name}.png``). The
registry says which module draws it, with which options, from which tables, so the workflow
can make a figure depend on exactly its own code and inputs. Importing this package costs no
matplotlib; :func:`render` imports the one module it needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Snakefile imports the registry: keep that free of pandas/matplotlib
    import pandas as pd

CURVE_TABLES = ("history", "runs")


def always(config: dict) -> bool:
    return True


def label_noise(config: dict) -> bool:
    return any(c["type"] in ("symmetric", "asymmetric") for c in config["conditions"].values())


def imbalance(config: dict) -> bool:
    return any(c["type"] == "imbalance" for c in config["conditions"].values())


def several_conditions(config: dict) -> bool:
    return len(config["conditions"]) > 1


def tuned(config: dict) -> bool:
    entries = config["optimizers"].values()
    return any(
        isinstance(e, dict) and isinstance(e.get("lr"), list) and len(e["lr"]) > 1 for e in entries
    )


@dataclass(frozen=True)
class Spec:
    """Which module draws a figure, with which keyword options, from which tables; and for a
    figure across training conditions, which studies have it (``needs`` of the config)."""

    module: str
    tables: tuple[str, ...] = CURVE_TABLES
    options: dict = field(default_factory=dict)
    needs: Callable[[dict], bool] = always


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
    "summary_heatmap": Spec("summary_heatmap", ("summary", "comparisons", "runs")),
}

#: figures across the training conditions of a study (results/{dataset}/figures/{name}.png),
#: each present only when the study has the conditions (or learning rates) it needs
STUDY_FIGURES = {
    "accuracy_vs_label_noise": Spec(
        "accuracy_vs_condition", ("evaluation", "runs"), {"kind": "noise"}, label_noise
    ),
    "memorisation": Spec("memorisation", CURVE_TABLES, needs=label_noise),
    "accuracy_vs_imbalance": Spec(
        "accuracy_vs_condition", ("evaluation", "runs"), {"kind": "imbalance"}, imbalance
    ),
    "best_loss_by_condition": Spec(
        "best_loss_by_condition", ("summary", "comparisons", "runs"), needs=several_conditions
    ),
    "lr_sensitivity": Spec("lr_sensitivity", ("selected_lr", "runs"), needs=tuned),
}
SPECS = {**FIGURES, **STUDY_FIGURES}


def study_figures(config: dict) -> list[str]:
    """The across-condition figures a study has."""
    return [name for name, spec in STUDY_FIGURES.items() if spec.needs(config)]


def render(name: str, tables: dict[str, pd.DataFrame], path: str | PathLike) -> None:
    """Draw figure ``name`` from ``tables`` (name -> DataFrame) and write it as PNG to ``path``."""
    spec = SPECS[name]
    module = importlib.import_module(f".{spec.module}", __name__)
    style = importlib.import_module(".style", __name__)
    style.save(module.draw(tables, **spec.options), path)
