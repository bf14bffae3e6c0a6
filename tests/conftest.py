"""Shared test helpers: the repository, a tiny study config, and Snakemake in a temp dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))
BIN = Path(sys.executable).parent

from lossbench.plumbing import numerics  # noqa: E402

# Before anything imports torch: tests that train in-process run on the portable code paths
# of the default `deterministic: portable`, as the workflow's jobs and the committed samples do.
numerics.pin("portable")

#: the tiny study of the end-to-end tests: digits, 2 epochs, 1 seed, 2 losses, 2 optimizers
TINY_CONFIG = {
    "datasets": ["digits"],
    "losses": {"ce": {"type": "cross_entropy"}, "focal_g2": {"type": "focal", "gamma": 2.0}},
    "optimizers": {
        "sgd": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
        "adam": {"type": "adam"},
    },
    "epochs": 2,
    "batch_size": 128,
    "seeds": [0],
    "testsets": {
        "clean": {"type": "clean"},
        "gaussian": {"type": "gaussian", "sigma": 1.0},
        "salt_pepper_0.1": {"type": "salt_pepper", "fraction": 0.1},
    },
    "device": "cpu",
}


def write_config(directory: Path, config: dict, name: str = "config.yaml") -> Path:
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


#: the environment of every Snakemake the tests start: the venv's tools come first on PATH
SNAKEMAKE_ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def snakemake_command(workdir: Path, *args: str, configfile: Path | None = None) -> list[str]:
    """The command line that runs the repository's workflow in ``workdir`` (with SNAKEMAKE_ENV)."""
    command = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "--directory", str(workdir)]
    if configfile is not None:
        command += ["--configfile", str(configfile)]
    return [*command, "--cores", "2", *args]


def snakemake(workdir: Path, *args: str, configfile: Path | None = None, check: bool = True):
    """Run the repository's workflow with ``workdir`` as its working directory."""
    command = snakemake_command(workdir, *args, configfile=configfile)
    result = subprocess.run(command, capture_output=True, text=True, env=SNAKEMAKE_ENV)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, TINY_CONFIG)
