"""Regenerate the sample tables under tests/data/analysis/ by running a small real study.

The study is small but has what the analysis must cope with: two seeds (for confidence
intervals), two training conditions (clean, symmetric label noise), an optimizer with a list of
learning rates (the tuned answer) and a fixed one, an optimizer with two phases (SGD then Adam)
and one that diverges.
Run: ``.venv/bin/python tests/make_sample_tables.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import TINY_CONFIG, snakemake, write_config  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "analysis"

SAMPLE_CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}, "mae": {"type": "mae"}},
    "optimizers": {
        "sgd": {"type": "sgd", "lr": [0.03, 0.1], "fixed_lr": 0.1, "momentum": 0.9},
        "sgd_adam": [{"type": "sgd", "lr": 0.1, "epochs": 3}, {"type": "adam", "epochs": 3}],
        "blowup": {"type": "sgd", "lr": 1.0e4, "momentum": 0.9},
    },
    "epochs": 6,
    "seeds": [0, 1],
    "conditions": {"clean": {"type": "clean"}, "symmetric_0.4": {"type": "symmetric", "rate": 0.4}},
    "testsets": {
        "clean": {"type": "clean"},
        "gaussian": {"type": "gaussian", "sigma": 1.0},
        "gaussian_0.5": {"type": "gaussian", "sigma": 0.5},
        "salt_pepper_0.1": {"type": "salt_pepper", "fraction": 0.1},
    },
}

TABLES = ["history.csv", "evaluation.csv", "calibration.csv", "runs.csv"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = write_config(work, SAMPLE_CONFIG)
        snakemake(work, "results/digits/tables/runs.csv", configfile=config)
        (DATA / "tables").mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            shutil.copy(work / "results/digits/tables" / name, DATA / "tables" / name)
        shutil.rmtree(DATA / "benchmarks", ignore_errors=True)
        shutil.copytree(work / "results/digits/benchmarks", DATA / "benchmarks")
        write_config(DATA, SAMPLE_CONFIG)


if __name__ == "__main__":
    main()
