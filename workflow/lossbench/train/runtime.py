"""Where and how a job computes: its device, its thread count and its determinism.

Every job that runs torch calls :func:`configure` first and logs what it returns.
"""

from __future__ import annotations

import os

import torch

from ..plumbing import numerics
from ..plumbing.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` means CUDA when present, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device = cuda, but torch sees no CUDA device here; allowed here: auto or cpu "
            "(e.g. snakemake --config device=auto)"
        )
    return torch.device(name)


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
