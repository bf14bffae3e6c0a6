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
        first = [jobs[i].stdout.readline() for i in range(2)]
        # the two first jobs hold both GPUs, one each
        assert sorted(line.split()[2] for line in first) == ["(GPU-aaaa)", "(GPU-bbbb)"]
        # the third waits, and says so
        assert jobs[2].stdout.readline().startswith("all 2 GPUs are held by other jobs")
        time.sleep(0.3)
        assert jobs[2].poll() is None
        # a job killed outright (as by SIGKILL or a node's end) frees its GPU
        freed = first[0].split()[2]
        jobs[0].send_signal(signal.SIGKILL)
        jobs[0].wait()
        assert jobs[2].stdout.readline().split()[2] == freed
    finally:
        for job in jobs:
            job.kill()
            job.wait()
