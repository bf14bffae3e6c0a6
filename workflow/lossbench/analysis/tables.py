"""Tidy tables over all runs of a dataset, built from the per-run files only.

``history.csv``: one row per run x epoch x split x metric (split: train, val, test, noisy, and
corrupted: the training examples whose label the condition corrupted, empty under clean).
``evaluation.csv``: one row per run x test set x metric.
``calibration.csv``: one row per run x test set x confidence bin.
``runs.csv``: one row per run with its status (ok or diverged, where and why).
Figures and the report read these tables, never the runs. Every run's files are read with
their shape checked (:func:`read_run`), so a damaged one is named, not aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.conditions import level as condition_level
from ..train.ece import ECE_BINS
from . import checked

RUN_KEYS = ["dataset", "condition", "loss", "optimizer", "lr", "seed"]
STATUS_KEYS = {"status", "epochs_planned", "epochs_completed"}
#: what names a test set in evaluation.csv: its name, noise type, level as given and as a share
#: of the pixel intensity range
EVALUATION_KEYS = ["testset", "noise", "level", "intensity"]


@dataclass(frozen=True)
class RunFiles:
    """Where one run's outputs are, and which run it is."""

    dataset: str
    condition: str
    loss: str
    optimizer: str
    lr: float
    seed: int
    history: str
    status: str
    evaluation: str
    calibration: str

    def keys(self) -> dict:
        return {key: getattr(self, key) for key in RUN_KEYS}


def _tagged(frame: pd.DataFrame, run: RunFiles) -> pd.DataFrame:
    return frame.assign(**run.keys())[[*RUN_KEYS, *frame.columns]]


@dataclass(frozen=True)
class RunTables:
    """One run's files, read and checked against each other and the study's test sets."""

    run: RunFiles
    status: dict
    history: pd.DataFrame
    evaluation: pd.DataFrame
    calibration: pd.DataFrame


def read_run(run: RunFiles, testsets: list[str]) -> RunTables:
    """A run's four files; a garbled or short one is named with the fix (delete, rerun)."""
    status = checked.read_json(run.status)
    if not isinstance(status, dict) or not STATUS_KEYS <= set(status):
        raise checked.damaged(run.status, f"lacks one of the keys {', '.join(sorted(STATUS_KEYS))}")
    history = checked.read_csv(run.history, ["epoch", "phase", "phase_optimizer"])
    if history["epoch"].tolist() != list(range(1, status["epochs_completed"] + 1)):
        raise checked.damaged(
            run.history,
            f"holds {len(history)} epochs; its status.json says {status['epochs_completed']}",
        )
    evaluation = checked.read_csv(run.evaluation, EVALUATION_KEYS)
    if evaluation["testset"].tolist() != testsets:
        raise checked.damaged(run.evaluation, f"does not hold one row per test set ({testsets})")
    calibration = checked.read_csv(run.calibration, checked.COLUMNS["calibration"][len(RUN_KEYS) :])
    if len(calibration) != len(testsets) * ECE_BINS:
        raise checked.damaged(
            run.calibration, f"holds {len(calibration)} bins, not {ECE_BINS} per test set"
        )
    return RunTables(run, status, history, evaluation, calibration)


def history(runs: list[RunTables]) -> pd.DataFrame:
    frames = []
    for read in runs:
        long = read.history.melt(
            id_vars=["epoch", "phase", "phase_optimizer"], var_name="series", value_name="value"
        )
        # not expand=True: a run that diverged in its first epoch has no rows to split
        parts = long.pop("series").str.split("_", n=1)
        long["split"], long["metric"] = parts.str[0], parts.str[1]
        frames.append(
            _tagged(
                long[["epoch", "phase", "phase_optimizer", "split", "metric", "value"]], read.run
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(
        [*RUN_KEYS, "epoch", "split", "metric"], kind="stable"
    )


def evaluation(runs: list[RunTables]) -> pd.DataFrame:
    frames = []
    for read in runs:
        long = read.evaluation.melt(id_vars=EVALUATION_KEYS, var_name="metric", value_name="value")
        frames.append(_tagged(long, read.run))
    return pd.concat(frames, ignore_index=True)


def calibration(runs: list[RunTables]) -> pd.DataFrame:
    return pd.concat([_tagged(read.calibration, read.run) for read in runs], ignore_index=True)


def min_recall(read: RunTables) -> float:
    """The lowest per-class recall of a run's final weights on the clean test set."""
    clean = read.evaluation[read.evaluation["noise"] == "clean"]
    return float(clean["min_recall"].min())


def underfit(runs: list[RunTables]) -> list[bool]:
    """Runs that never recognise some class of the clean test set (a per-class recall of 0)
    while most runs of their dataset and condition recognise every class: they stopped
    learning below the study's others, and are named rather than ranked (they would read as
    robust to noise and as generalising well). Where most runs miss a class (a rare class of a
    long-tailed training set, say), missing it is the condition's effect, not underfitting."""
    recall = [min_recall(read) for read in runs]
    by_setting: dict[tuple, list[float]] = {}
    for read, value in zip(runs, recall, strict=True):
        by_setting.setdefault((read.run.dataset, read.run.condition), []).append(value)
    typical = {key: float(np.median(values)) for key, values in by_setting.items()}
    return [
        value == 0 and typical[(read.run.dataset, read.run.condition)] > 0
        for read, value in zip(runs, recall, strict=True)
    ]


def statuses(runs: list[RunTables], conditions: dict[str, dict]) -> pd.DataFrame:
    """One row per run: its condition's type and level (``conditions``: name -> spec), status,
    epochs, divergence, underfitting, and the final weights' accuracy and NLL on the whole
    training set: with the labels it trained on, and with the true labels (the train side of
    a generalization gap)."""
    flagged = underfit(runs)
    rows = [
        {
            **read.run.keys(),
            "condition_type": conditions[read.run.condition]["type"],
            "condition_level": condition_level(conditions[read.run.condition]),
            "status": read.status["status"],
            "epochs_planned": read.status["epochs_planned"],
            "epochs_completed": read.status["epochs_completed"],
            "diverged_epoch": read.status.get("diverged_epoch"),
            "reason": read.status.get("reason", ""),
            "underfit": bad,
            "final_train_acc": read.status.get("final", {}).get("train_acc"),
            "final_train_nll": read.status.get("final", {}).get("train_nll"),
            "final_true_acc": read.status.get("final", {}).get("true_acc"),
            "final_true_nll": read.status.get("final", {}).get("true_nll"),
        }
        for read, bad in zip(runs, flagged, strict=True)
    ]
    # an epoch number stays an integer (not 3.0) although runs that did not diverge have none
    return pd.DataFrame(rows).astype({"diverged_epoch": "Int64"})
