"""Tidy tables over all runs of a dataset, built from the per-run files only.

``history.csv``: one row per run x epoch x split x metric (split: train, test, noisy).
``evaluation.csv``: one row per run x test set x metric.
``calibration.csv``: one row per run x test set x confidence bin.
``runs.csv``: one row per run with its status (ok or diverged, where and why).
Figures and the report read these tables, never the runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

RUN_KEYS = ["dataset", "loss", "optimizer", "seed"]


@dataclass(frozen=True)
class RunFiles:
    """Where one run's outputs are, and which run it is."""

    dataset: str
    loss: str
    optimizer: str
    seed: int
    history: str
    status: str
    evaluation: str
    calibration: str

    def keys(self) -> dict:
        return {
            "dataset": self.dataset,
            "loss": self.loss,
            "optimizer": self.optimizer,
            "seed": self.seed,
        }


def _tagged(frame: pd.DataFrame, run: RunFiles) -> pd.DataFrame:
    return frame.assign(**run.keys())[[*RUN_KEYS, *frame.columns]]


def history(runs: list[RunFiles]) -> pd.DataFrame:
    frames = []
    for run in runs:
        wide = pd.read_csv(run.history)
        long = wide.melt(
            id_vars=["epoch", "phase", "phase_optimizer"], var_name="series", value_name="value"
        )
        # not expand=True: a run that diverged in its first epoch has no rows to split
        parts = long.pop("series").str.split("_", n=1)
        long["split"], long["metric"] = parts.str[0], parts.str[1]
        frames.append(
            _tagged(long[["epoch", "phase", "phase_optimizer", "split", "metric", "value"]], run)
        )
    return pd.concat(frames, ignore_index=True).sort_values(
        [*RUN_KEYS, "epoch", "split", "metric"], kind="stable"
    )


def evaluation(runs: list[RunFiles]) -> pd.DataFrame:
    frames = []
    for run in runs:
        wide = pd.read_csv(run.evaluation)
        long = wide.melt(
            id_vars=["testset", "noise", "level"], var_name="metric", value_name="value"
        )
        frames.append(_tagged(long, run))
    return pd.concat(frames, ignore_index=True)


def calibration(runs: list[RunFiles]) -> pd.DataFrame:
    return pd.concat(
        [_tagged(pd.read_csv(run.calibration), run) for run in runs], ignore_index=True
    )


def statuses(runs: list[RunFiles]) -> pd.DataFrame:
    rows = []
    for run in runs:
        with open(run.status) as handle:
            status = json.load(handle)
        rows.append(
            {
                **run.keys(),
                "status": status["status"],
                "epochs_planned": status["epochs_planned"],
                "epochs_completed": status["epochs_completed"],
                "diverged_epoch": status.get("diverged_epoch"),
                "reason": status.get("reason", ""),
            }
        )
    # an epoch number stays an integer (not 3.0) although runs that did not diverge have none
    return pd.DataFrame(rows).astype({"diverged_epoch": "Int64"})
