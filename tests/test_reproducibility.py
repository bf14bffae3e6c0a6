"""Same config, same seed: byte-identical results on the CPU, whatever the workdir."""

from __future__ import annotations

import torch

from conftest import TINY_CONFIG, snakemake, write_config

#: the tiny study with one loss (focal, the numerically delicate one) to keep the test short
CONFIG = {**TINY_CONFIG, "losses": {"focal_g2": TINY_CONFIG["losses"]["focal_g2"]}}


def test_two_workdirs_give_identical_results(tmp_path):
    workdirs = [tmp_path / "first", tmp_path / "second"]
    for workdir in workdirs:
        workdir.mkdir()
        snakemake(
            workdir, "results/digits/tables/runs.csv", configfile=write_config(workdir, CONFIG)
        )
    first, second = (workdir / "results" for workdir in workdirs)
    files = sorted(
        path.relative_to(first)
        for path in first.rglob("*")
        if path.suffix in {".csv", ".json", ".npz", ".pt"}
    )
    runs = [path.parent for path in files if path.name == "weights.pt"]
    assert len(runs) == 2  # 1 loss x 2 optimizers x 1 seed
    for run in runs:
        for name in ("history.csv", "evaluation.csv", "calibration.csv", "status.json"):
            assert run / name in files
    assert len([path for path in files if path.parent.name == "testsets"]) == 3
    for path in files:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path
    for run in runs:
        a, b = (
            torch.load(root / run / "weights.pt", weights_only=True) for root in (first, second)
        )
        assert a.keys() == b.keys()
        assert all(torch.equal(a[key], b[key]) for key in a), run
