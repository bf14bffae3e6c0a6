"""Where and how a job computes: its device, its thread count and its determinism.

Every job that runs torch calls :func:`configure` first and logs what it returns.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

import torch

from ..plumbing import numerics
from ..plumbing.errors import ConfigError

#: where the jobs of a workdir claim GPUs (see :func:`claim`)
GPU_POOL = Path(".snakemake/lossbench-gpus")


def resolve_device(name: str, pool: Path | None = None, log: Callable = print) -> torch.device:
    """``auto`` means CUDA when present, else the CPU. With several GPUs and a ``pool``
    folder, the job takes a GPU that no other job of the pool holds (:func:`claim`):
    Snakemake gives its jobs no GPU ids, so two jobs would otherwise share GPU 0."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device = cuda, but torch sees no CUDA device here; allowed here: auto or cpu "
            "(e.g. snakemake --config device=auto)"
        )
    if name != "cuda" or pool is None or torch.cuda.device_count() < 2:
        return torch.device(name)
    gpus = [str(torch.cuda.get_device_properties(i).uuid) for i in range(torch.cuda.device_count())]
    index = claim(gpus, pool, log)
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


#: the lock files this process holds: a claim lasts as long as the process
_HELD: list = []


def claim(devices: list[str], pool: Path, log: Callable = print, poll: float = 0.5) -> int:
    """The index in ``devices`` (identifiers of the GPUs this process sees) of one that no
    other process holds, waiting while all are held; the process holds it until it ends.

    A lock file per device under ``pool``, named by its identifier (the GPU's UUID, the same
    whatever ``CUDA_VISIBLE_DEVICES`` numbers it), is locked with ``flock``, which the system
    releases when the holder ends, however it ends (a killed job frees its GPU).
    """
    pool.mkdir(parents=True, exist_ok=True)
    waiting = False
    while True:
        for index, device in enumerate(devices):
            handle = open(pool / f"{device}.lock", "w")  # noqa: SIM115 - held until exit
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _HELD.append(handle)
            log(f"GPU {index} ({device}) is this job's")
            return index
        if not waiting:
            log(f"all {len(devices)} GPUs are held by other jobs; waiting for one")
            waiting = True
        time.sleep(poll)


def configure(threads: int, deterministic: str | bool) -> str:
    """Honour the job's thread count and make results repeatable.

    Returns the numeric code paths this process runs (``lossbench.plumbing.numerics``), for
    the job's log.
    """
    torch.set_num_threads(threads)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        # = use_deterministic_algorithms(True), minus its import of torch._inductor (~1 s/job)
        torch.set_deterministic_debug_mode("error")
        torch.backends.cudnn.benchmark = False
    return numerics.check(deterministic)
