"""A run whose loss blows up is recorded as diverged, and the rest of the grid completes.

Two absurd optimizers (SGD with lr 1e6) sit in a grid beside a sane one: one diverges in its
very first epoch, the other after two sane Adam epochs, so it has finite epochs to keep.
"""

from __future__ import annotations

import csv
import json
import math

from conftest import TINY_CONFIG, snakemake, write_config

SERIES = ("train_", "test_", "noisy_")  # the history columns that hold numbers per epoch
TABLES = "results/digits/tables/runs.csv"  # aggregation of the whole grid
ABSURD = {"type": "sgd", "lr": 1.0e6}
CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}},
    "optimizers": {
        "adam": {"type": "adam"},
        "absurd": ABSURD,
        "adam_then_absurd": [{"type": "adam", "epochs": 2}, {**ABSURD, "epochs": 2}],
    },
    "epochs": 3,
    "testsets": {"clean": {"type": "clean"}, "gaussian": {"type": "gaussian", "sigma": 1.0}},
}


def _rows(path) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_diverged_runs_are_recorded_and_the_grid_completes(tmp_path):
    snakemake(tmp_path, TABLES, configfile=write_config(tmp_path, CONFIG))
    results = tmp_path / "results/digits"
    runs = {row["optimizer"]: row for row in _rows(results / "tables/runs.csv")}
    assert set(runs) == {"adam", "absurd", "adam_then_absurd"}

    expected = {
        "adam": ("ok", 3, ""),
        "absurd": ("diverged", 0, "1"),
        "adam_then_absurd": ("diverged", 2, "3"),
    }
    for optimizer, (status, completed, diverged_epoch) in expected.items():
        (run,) = results.glob(f"runs/clean/ce/{optimizer}/lr*/seed0")
        recorded = json.loads((run / "status.json").read_text())
        history = _rows(run / "history.csv")
        table = runs[optimizer]
        assert (recorded["status"], recorded["epochs_completed"]) == (status, completed)
        assert (table["status"], int(table["epochs_completed"])) == (status, completed)
        assert table["diverged_epoch"] == diverged_epoch
        assert [int(row["epoch"]) for row in history] == list(range(1, completed + 1))
        values = [v for row in history for k, v in row.items() if k.startswith(SERIES)]
        assert all(row["corrupted_memorised"] == "" for row in history)  # nothing corrupted
        assert len(values) == 8 * completed and all(math.isfinite(float(v)) for v in values)
        if status == "diverged":
            assert recorded["diverged_epoch"] == int(diverged_epoch)
            assert recorded["reason"] == table["reason"]
            assert f"at epoch {diverged_epoch}" in recorded["reason"]
            assert "nan" in recorded["reason"] or "inf" in recorded["reason"]
        assert (run / "evaluation.csv").exists()  # every run, diverged or not, is evaluated

    tabulated: dict[str, set[int]] = {}
    for row in _rows(results / "tables/history.csv"):
        tabulated.setdefault(row["optimizer"], set()).add(int(row["epoch"]))
    assert tabulated == {"adam": {1, 2, 3}, "adam_then_absurd": {1, 2}}  # finite epochs only
