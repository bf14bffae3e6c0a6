"""Which numeric code paths torch's CPU kernels take: pinned, so that results travel.

torch's CPU kernels choose their instructions on the CPU at hand: ATen's vectorised kernels
(softmax, reductions, element-wise maths) AVX2 or AVX-512, MKL's matrix products and vector
maths a branch per vendor and instruction set, oneDNN's convolutions their own. Each choice
rounds differently, so the same seed gives other bytes on another CPU. ``deterministic``:

* ``portable`` (the default): before torch is imported, every job pins ATen to its AVX2
  kernels, MKL to its ``COMPATIBLE`` branch (the one MKL keeps identical on Intel and AMD;
  its ``AVX2`` branch is ignored on AMD CPUs) and oneDNN to AVX2. Same bytes on any x86-64
  CPU with AVX2, for the same thread count and library versions. MKL's vector square root
  is not portable in any branch (it refines a hardware estimate that Intel and AMD round
  differently), so the training code never calls ``torch.sqrt`` on the CPU: Adam is torch's
  fused kernel, whose square root is the correctly rounded instruction.
* ``machine``: the CPU's fastest paths; same bytes on reruns on the same machine only.
* ``false``: no deterministic algorithms either (GPUs may then pick faster, racy kernels).

This module imports no torch: :func:`pin` must run before torch does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

from .errors import LossbenchError

#: the environment that pins every CPU code path torch takes (read when torch loads them)
PORTABLE_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}

#: allowed values of the config's ``deterministic``; ``true`` is an older spelling of portable
MODES = ("portable", "machine", False)


def mode(value: str | bool) -> str | bool:
    """The canonical mode of a config value (``True`` means ``portable``)."""
    if value is True:
        return "portable"
    if value not in MODES:
        raise ValueError(f"deterministic = {value!r}; allowed: portable, machine, false")
    return value


def pinned(environ: MutableMapping[str, str] = os.environ) -> bool:
    return all(environ.get(key) == value for key, value in PORTABLE_ENV.items())


def pin(value: str | bool, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set :data:`PORTABLE_ENV` in ``environ`` when ``value`` asks for portable results.

    Child processes (every Snakemake job) inherit it. Too late once torch is imported in this
    process, so that is an error rather than a silent, unpinned run.
    """
    if mode(value) != "portable" or pinned(environ):
        return
    if environ is os.environ and "torch" in sys.modules:
        raise RuntimeError(
            "lossbench.plumbing.numerics.pin('portable') must run before torch is imported: "
            f"set {' '.join(f'{k}={v}' for k, v in PORTABLE_ENV.items())} first"
        )
    environ.update(PORTABLE_ENV)


def describe() -> str:
    """The code paths this process's torch takes, for a job's log."""
    import torch

    paths = ", ".join(f"{key}={os.environ.get(key, 'unset')}" for key in PORTABLE_ENV)
    return f"ATen CPU capability {torch.backends.cpu.get_cpu_capability()} ({paths})"


def check(value: str | bool) -> str:
    """:func:`describe`, after making sure a ``portable`` job really runs pinned.

    A pin applied after torch loaded its kernels would be silently ignored; that is an error.
    A CPU without AVX2 (or not x86-64) cannot run the pinned kernels at all: the job goes on
    with a warning, and its numbers are only reproducible on such a machine.
    """
    import torch

    text = describe()
    if mode(value) != "portable":
        return text
    capability = torch.backends.cpu.get_cpu_capability()
    if not pinned() or capability.startswith("AVX512"):
        raise LossbenchError(
            f"deterministic: portable, but this process runs unpinned ({text}); jobs of the "
            f"workflow are pinned by the Snakefile, other callers call "
            f"lossbench.plumbing.numerics.pin('portable') before importing torch"
        )
    if capability != "AVX2":
        return (
            f"{text}; warning: this CPU has no AVX2, so the portable paths are not available "
            f"and its results may differ from those of x86-64 machines with AVX2"
        )
    return text
