"""Concurrent jobs on a machine with several GPUs each get one of their own.

Snakemake assigns no GPU ids, so each job claims one from a pool of lock files
(``runtime.claim``). Tested on the CPU with a fake list of device identifiers: real
processes, as Snakemake's jobs are, and a SIGKILL, which must free its GPU.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import REPO

FAKE_GPUS = ["GPU-aaaa", "GPU-bbbb"]


def start_job(pool) -> subprocess.Popen:
    """A process that claims a GPU from ``pool``, prints which, and holds it until killed."""
    code = (
        "import sys, time; from pathlib import Path; from lossbench.train import runtime; "
        f"runtime.claim({FAKE_GPUS!r}, Path(sys.argv[1]), poll=0.02); time.sleep(600)"
    )
    return subprocess.Popen(
        [sys.executable, "-u", "-c", code, str(pool)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "workflow")},
    )


def test_each_job_gets_its_own_gpu_and_a_killed_job_frees_its_own(tmp_path):
    pool = tmp_path / "gpus"
    jobs = [start_job(pool) for _ in range(3)]
    try:
        # each says at once what it got: two hold both GPUs, one each; the third waits
        lines = [job.stdout.readline() for job in jobs]
        waiting = [i for i, line in enumerate(lines) if line.startswith("all 2 GPUs are held")]
        assert len(waiting) == 1, lines
        holders = [i for i in range(3) if i not in waiting]
        assert sorted(lines[i].split()[2] for i in holders) == ["(GPU-aaaa)", "(GPU-bbbb)"]
        time.sleep(0.3)
        assert jobs[waiting[0]].poll() is None
        # a job killed outright (as by SIGKILL or a node's end) frees its GPU
        freed = lines[holders[0]].split()[2]
        jobs[holders[0]].send_signal(signal.SIGKILL)
        jobs[holders[0]].wait()
        assert jobs[waiting[0]].stdout.readline().split()[2] == freed
    finally:
        for job in jobs:
            job.kill()
            job.wait()
