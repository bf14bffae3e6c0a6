"""A training job killed with SIGKILL resumes from its checkpoints to byte-identical results.

The kill is real: Snakemake and its job die together (the whole process group), as when a
node fails or a batch system kills the allocation. The rerun must continue from the last
complete epoch and end with the very bytes of a run that was never interrupted: for one run
alone (`pack: 1`) and for a pack of two, whose runs checkpoint one after the other (the kill
may fall between them, and they resume an epoch apart).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from conftest import SNAKEMAKE_ENV, TINY_CONFIG, snakemake, snakemake_command, write_config

#: small batches make the 30 epochs take seconds, long enough to kill the job in the middle;
#: adam keeps per-parameter state, so a resume that lost the optimizer would differ
CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}},
    "optimizers": {"adam": {"type": "adam"}},
    "epochs": 30,
    "batch_size": 4,
    "pack": 1,
}
RUN = "results/digits/runs/clean/ce/adam/lr0.001/seed0"
LOG = "results/digits/logs/train/clean/ce/adam/lr0.001/seed0.log"
OUTPUTS = ("history.csv", "weights.pt", "status.json")
#: (config, the job's log, its runs, each run's prefix in the log)
CASES = {
    "alone": (CONFIG, LOG, [RUN], [""]),
    "pack": (
        {**CONFIG, "seeds": [0, 1], "pack": 2},
        "results/digits/logs/train/clean/adam/lr0.001/ce/seed0..1.log",
        [RUN, RUN.replace("seed0", "seed1")],
        ["clean/ce/adam/lr0.001/seed0: ", "clean/ce/adam/lr0.001/seed1: "],
    ),
}


def _epoch_lines(log, prefix: str | None = None) -> int:
    """Epoch lines in a train log: of the run with ``prefix``, or of every run (None)."""
    if not log.exists():
        return 0
    run = r"(?:\S+: )?" if prefix is None else re.escape(prefix)
    return len(re.findall(rf"^{run}epoch \d+/30 ", log.read_text(), re.MULTILINE))


def _kill_after_epochs(workdir, epochs: int, target: str, log: str, timeout: float = 300) -> int:
    """Start the train job, SIGKILL Snakemake's process group after ``epochs`` epochs logged."""
    command = snakemake_command(workdir, target, configfile=workdir / "config.yaml")
    process = subprocess.Popen(
        command,
        env=SNAKEMAKE_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    log, deadline = workdir / log, time.monotonic() + timeout
    try:
        while _epoch_lines(log) < epochs:
            assert process.poll() is None, "snakemake ended before the kill"
            assert time.monotonic() < deadline, "no training progress"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return _epoch_lines(log)


@pytest.mark.parametrize("case", sorted(CASES))
def test_killed_training_resumes_to_identical_bytes(tmp_path, case):
    config, log, runs, prefixes = CASES[case]
    target = f"{runs[-1]}/history.csv"
    killed, uninterrupted = tmp_path / "killed", tmp_path / "uninterrupted"
    for workdir in (killed, uninterrupted):
        workdir.mkdir()
        write_config(workdir, config)

    _kill_after_epochs(killed, 3 * len(runs), target, log)
    time.sleep(1)
    logged = [_epoch_lines(killed / log, prefix) for prefix in prefixes]
    assert sum(logged) == _epoch_lines(killed / log), "the job outlived the kill"
    assert all(3 <= n < 30 for n in logged), logged
    for run in runs:
        assert (killed / run / "checkpoint.pt").exists()
        assert not any((killed / run / name).exists() for name in OUTPUTS)

    snakemake(killed, "--unlock", configfile=killed / "config.yaml")  # the kill left a lock
    snakemake(killed, target, configfile=killed / "config.yaml")
    text = (killed / log).read_text()
    for prefix, n in zip(prefixes, logged, strict=True):
        resumed = re.search(rf"^{re.escape(prefix)}resuming from epoch (\d+)$", text, re.MULTILINE)
        assert resumed, text
        # a run checkpoints right after its epoch's log line: the kill may fall in between
        assert n - 1 <= int(resumed[1]) <= n
        print(f"{prefix or 'the run: '}killed after {n} logged epochs; resumed from {resumed[1]}")

    snakemake(uninterrupted, target, configfile=uninterrupted / "config.yaml")
    assert "resuming" not in (uninterrupted / log).read_text()
    for run in runs:
        for name in OUTPUTS:
            assert (killed / run / name).read_bytes() == (uninterrupted / run / name).read_bytes()
        for workdir in (killed, uninterrupted):
            assert not (workdir / run / "checkpoint.pt").exists()


def test_ctrl_c_stops_quietly_and_a_plain_rerun_finishes(tmp_path):
    """Ctrl-C signals the whole process group: Snakemake says which jobs it stopped, the jobs
    end without a traceback each (they used to bury it in hundreds of interleaved lines), and
    a plain rerun (resuming the checkpoint) finishes the study."""
    workdir = tmp_path / "study"
    workdir.mkdir()
    write_config(workdir, CONFIG)
    command = snakemake_command(workdir, f"{RUN}/history.csv", configfile=workdir / "config.yaml")
    process = subprocess.Popen(
        command,
        env=SNAKEMAKE_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while _epoch_lines(workdir / LOG) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no training progress"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    output = process.communicate(timeout=60)[0]
    assert process.returncode != 0
    after = output.split("Terminating processes on user request", 1)[1]
    assert "Traceback" not in after and "KeyboardInterrupt" not in after
    assert len(after.splitlines()) < 20, after
    assert "Error in rule train" in after  # which job it stopped
    snakemake(workdir, "--unlock", configfile=workdir / "config.yaml")
    snakemake(workdir, f"{RUN}/history.csv", configfile=workdir / "config.yaml")
    assert re.search(r"^resuming from epoch \d+$", (workdir / LOG).read_text(), re.MULTILINE)
