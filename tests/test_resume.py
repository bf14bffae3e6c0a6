"""A training job killed with SIGKILL resumes from its checkpoint to byte-identical results.

The kill is real: Snakemake and its job die together (the whole process group), as when a
node fails or a batch system kills the allocation. The rerun must continue from the last
complete epoch and end with the very bytes of a run that was never interrupted.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

from conftest import SNAKEMAKE_ENV, TINY_CONFIG, snakemake, snakemake_command, write_config

#: small batches make the 30 epochs take seconds, long enough to kill the job in the middle;
#: adam keeps per-parameter state, so a resume that lost the optimizer would differ
CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}},
    "optimizers": {"adam": {"type": "adam"}},
    "epochs": 30,
    "batch_size": 4,
}
RUN = "results/digits/runs/clean/ce/adam/lr0.001/seed0"
LOG = "results/digits/logs/train/clean/ce/adam/lr0.001/seed0.log"
OUTPUTS = ("history.csv", "weights.pt", "status.json")


def _epoch_lines(log) -> int:
    return len(re.findall(r"^epoch \d+/30 ", log.read_text(), re.MULTILINE)) if log.exists() else 0


def _kill_after_epochs(workdir, epochs: int, timeout: float = 300) -> int:
    """Start the train job, SIGKILL Snakemake's process group after ``epochs`` epochs logged."""
    command = snakemake_command(workdir, f"{RUN}/history.csv", configfile=workdir / "config.yaml")
    process = subprocess.Popen(
        command,
        env=SNAKEMAKE_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    log, deadline = workdir / LOG, time.monotonic() + timeout
    try:
        while _epoch_lines(log) < epochs:
            assert process.poll() is None, "snakemake ended before the kill"
            assert time.monotonic() < deadline, "no training progress"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return _epoch_lines(log)


def test_killed_training_resumes_to_identical_bytes(tmp_path):
    killed, uninterrupted = tmp_path / "killed", tmp_path / "uninterrupted"
    for workdir in (killed, uninterrupted):
        workdir.mkdir()
        write_config(workdir, CONFIG)

    logged = _kill_after_epochs(killed, epochs=3)
    time.sleep(1)
    assert _epoch_lines(killed / LOG) == logged, "the job outlived the kill"
    assert 3 <= logged < 30
    assert (killed / RUN / "checkpoint.pt").exists()
    assert not any((killed / RUN / name).exists() for name in OUTPUTS)

    snakemake(killed, "--unlock", configfile=killed / "config.yaml")  # the kill left a lock
    snakemake(killed, f"{RUN}/history.csv", configfile=killed / "config.yaml")
    resumed = re.search(r"^resuming from epoch (\d+)$", (killed / LOG).read_text(), re.MULTILINE)
    assert resumed, (killed / LOG).read_text()
    # the checkpoint is written right after an epoch's log line: the kill may fall in between
    assert logged - 1 <= int(resumed[1]) <= logged
    print(f"killed after {logged} logged epochs; resumed from epoch {resumed[1]}")

    snakemake(uninterrupted, f"{RUN}/history.csv", configfile=uninterrupted / "config.yaml")
    assert "resuming" not in (uninterrupted / LOG).read_text()
    for name in OUTPUTS:
        assert (killed / RUN / name).read_bytes() == (uninterrupted / RUN / name).read_bytes(), name
    for workdir in (killed, uninterrupted):
        assert not (workdir / RUN / "checkpoint.pt").exists()


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
