"""Snakemake's own report of a finished study (`snakemake --report report.zip`) is whole and
holds every figure the study draws, byte for byte.

Usage: ``python tests/report_zip.py [WORKDIR]`` (CI runs it) makes the tiny study of
tests/conftest.py in WORKDIR (a new temporary folder by default; an existing study there is
completed, not redone), builds the zip and checks it. The test suite calls :func:`check` on
the study it has already made (tests/test_workflow.py).
"""

from __future__ import annotations

import copy
import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

from conftest import REPO, TINY_CONFIG, snakemake, write_config
from lossbench.config import validate
from lossbench.report.figures import FIGURES

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def figures(workdir: Path, config: dict) -> list[Path]:
    """Every figure the study of ``config`` draws in ``workdir`` (the figure rule's outputs)."""
    study = validate(copy.deepcopy(config), SCHEMA)
    paths = [
        workdir / f"results/{dataset}/figures/{condition}/{figure}.png"
        for dataset in study["datasets"]
        for condition in study["conditions"]
        for figure in FIGURES
    ]
    if len(study["datasets"]) > 1:
        paths.append(workdir / "results/comparison/ranking.png")
    return paths


def build(workdir: Path, configfile: Path) -> Path:
    """``workdir``'s report.zip, built by `snakemake --report` from its finished study."""
    report = workdir / "report.zip"
    snakemake(workdir, "--report", str(report), configfile=configfile)
    return report


def check(report: Path, workdir: Path, config: dict) -> str:
    """What ``report`` holds, in one line; AssertionError if it is damaged or lacks a figure."""
    with zipfile.ZipFile(report) as archive:
        damaged = archive.testzip()
        assert damaged is None, f"{report}: {damaged} fails its CRC check"
        names = archive.namelist()
        assert "report/report.html" in names, f"{report} has no report/report.html: {names}"
        held = {
            hashlib.sha256(archive.read(name)).hexdigest()
            for name in names
            if name.endswith(".png")
        }
    expected = figures(workdir, config)
    missing = [
        str(path.relative_to(workdir))
        for path in expected
        if hashlib.sha256(path.read_bytes()).hexdigest() not in held
    ]
    assert not missing, f"{report} lacks the figures {', '.join(missing)}"
    return f"{report}: {len(names)} files, all {len(expected)} figures of the study"


def main(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir / "config.yaml"
    if not configfile.exists():
        write_config(workdir, TINY_CONFIG)
    snakemake(workdir, configfile=configfile)
    config = yaml.safe_load(configfile.read_text())
    print(check(build(workdir, configfile), workdir, config))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="report_zip") as temporary:
            main(Path(temporary))
