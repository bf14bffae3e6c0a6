"""`python -m lossbench.progress` on a study stopped halfway: every run's state and epochs, an
estimate of the time left, and not one file touched.

The study, really run, a run per job (`pack: 1`): one run finished, one diverged, one killed in
the middle of its training (as a node failure would), three never started. And in packs (the
default): one pack finished, one diverged, one killed in the middle, its two runs read from
the pack's log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from test_resume import _kill_after_epochs

from conftest import REPO, TINY_CONFIG, snakemake, write_config

CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}, "focal_g2": TINY_CONFIG["losses"]["focal_g2"]},
    "optimizers": {
        "sgd": TINY_CONFIG["optimizers"]["sgd"],
        "adam": {"type": "adam"},
        "absurd": {"type": "sgd", "lr": 1.0e6},  # diverges in its first epoch
    },
    "epochs": 30,  # small batches: seconds per run, long enough to stop one in the middle
    "batch_size": 4,
    "pack": 1,
}
RUNS = "results/digits/runs/clean"
LOGS = "results/digits/logs/train/clean"


def _tree(workdir) -> dict:
    """Every file and folder under ``workdir`` with its size and modification time."""
    return {path: (path.stat().st_size, path.stat().st_mtime_ns) for path in workdir.rglob("*")}


def _progress(workdir) -> str:
    """What `python -m lossbench.progress` prints in ``workdir``, checking it touched nothing."""
    before = _tree(workdir)
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    result = subprocess.run(
        [sys.executable, "-m", "lossbench.progress", "--configfile", "config.yaml"],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert _tree(workdir) == before, "progress changed files"
    print(result.stdout)
    return result.stdout


def _rows(out: str) -> dict:
    """(loss, optimizer, lr) → [runs, done, diverged, started, missing, epochs]."""
    return {tuple(line.split()[2:5]): line.split()[5:] for line in out.splitlines()[1:7]}


def test_progress_of_a_study_stopped_halfway(tmp_path):
    config = write_config(tmp_path, CONFIG)
    targets = [
        f"{RUNS}/ce/sgd/lr0.1/seed0/status.json",
        f"{RUNS}/ce/absurd/lr1e+06/seed0/status.json",
    ]
    snakemake(tmp_path, *targets, configfile=config)
    # the adam run's job killed with Snakemake after 3 logged epochs (test_resume's kill)
    target, log = f"{RUNS}/ce/adam/lr0.001/seed0/history.csv", f"{LOGS}/ce/adam/lr0.001/seed0.log"
    killed_after = _kill_after_epochs(tmp_path, 3, target, log)

    out = _progress(tmp_path)
    rows = _rows(out)
    assert rows["ce", "sgd", "0.1"] == ["1", "1", "0", "0", "0", "30/30"]
    assert rows["ce", "absurd", "1e+06"] == ["1", "0", "1", "0", "0", "0/30"]
    assert rows["ce", "adam", "0.001"][:5] == ["1", "0", "0", "1", "0"]
    assert rows["ce", "adam", "0.001"][5] == f"{killed_after}/30"
    for optimizer, lr in (("sgd", "0.1"), ("adam", "0.001"), ("absurd", "1e+06")):
        assert rows["focal_g2", optimizer, lr] == ["1", "0", "0", "0", "1", "0/30"]
    summary = f"6 runs: 1 done, 1 diverged, 1 started, 3 missing; epochs {30 + killed_after} of 180"
    assert summary in out
    # the time left from the finished job's benchmark: 120 - killed_after epochs to go
    estimate = re.search(r"time left: ~.* \((\d+) epochs at [\d.e+-]+ s each, from 1 ", out)
    assert estimate and int(estimate[1]) == 120 - killed_after, out


def test_progress_of_a_study_in_packs_stopped_halfway(tmp_path):
    config = write_config(tmp_path, {**CONFIG, "pack": 12})  # a pack per optimizer: 2 losses
    targets = [
        f"{RUNS}/ce/sgd/lr0.1/seed0/status.json",
        f"{RUNS}/ce/absurd/lr1e+06/seed0/status.json",
    ]
    snakemake(tmp_path, *targets, configfile=config)
    # the adam pack's job killed after 4 epoch lines of its two runs together
    target = f"{RUNS}/ce/adam/lr0.001/seed0/history.csv"
    log = f"{LOGS}/adam/lr0.001/ce..focal_g2/seed0.log"
    killed_after = _kill_after_epochs(tmp_path, 4, target, log)
    logged = (tmp_path / log).read_text()
    epochs = {
        loss: len(re.findall(rf"^clean/{loss}/adam/lr0.001/seed0: epoch ", logged, re.MULTILINE))
        for loss in CONFIG["losses"]
    }
    assert sum(epochs.values()) == killed_after and min(epochs.values()) >= 1, epochs

    out = _progress(tmp_path)
    rows = _rows(out)
    for loss in CONFIG["losses"]:
        assert rows[loss, "sgd", "0.1"] == ["1", "1", "0", "0", "0", "30/30"]
        assert rows[loss, "absurd", "1e+06"] == ["1", "0", "1", "0", "0", "0/30"]
        assert rows[loss, "adam", "0.001"] == ["1", "0", "0", "1", "0", f"{epochs[loss]}/30"]
    assert f"6 runs: 2 done, 2 diverged, 2 started, 0 missing; epochs {60 + killed_after}" in out
    # one job left (the adam pack), timed by the sgd pack's benchmark shared by its two runs
    estimate = re.search(
        r"time left: ~.* at 1 job\(s\) at a time \((\d+) epochs at [\d.e+-]+ s each, from 2 ", out
    )
    assert estimate and int(estimate[1]) == 60 - killed_after, out
