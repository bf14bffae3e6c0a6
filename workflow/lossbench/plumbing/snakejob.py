"""What every workflow script shares: its log, and errors as messages rather than tracebacks.

Scripts under ``workflow/scripts/`` are thin adapters; each wraps its work in :func:`job`.
Every error ends up in the job's log: a known one as its message, any other with its
traceback; the console gets one line that says which.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import traceback
from collections.abc import Iterator

from .errors import LossbenchError


def _in_a_snakemake_job() -> bool:
    """Snakemake's script preamble defines ``snakemake`` in ``__main__`` before the script's
    own imports run."""
    return "snakemake" in vars(sys.modules["__main__"])


if _in_a_snakemake_job():
    # Ctrl-C reaches every running job (the terminal signals the whole process group). A job
    # then ends at once and quietly, and Snakemake says what it stopped: a KeyboardInterrupt
    # traceback from each job (most of them inside `import torch`) would bury that. Nothing is
    # left half-written, since every output is written atomically. Set here, on import, since
    # the scripts import this module before any module that imports torch.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def job(snakemake) -> Iterator[None]:
    """Send stdout/stderr to the rule's log (line by line); any error is exit 1, logged."""
    log = open(snakemake.log[0], "w", buffering=1) if snakemake.log else None  # noqa: SIM115
    with contextlib.ExitStack() as stack:
        if log is not None:
            stack.enter_context(log)
            stack.enter_context(contextlib.redirect_stdout(log))
            stack.enter_context(contextlib.redirect_stderr(log))
        try:
            yield
        except LossbenchError as err:
            print(f"error: {err}", file=sys.stderr)
            if log is not None:
                print(f"error: {err}", file=sys.__stderr__)
            raise SystemExit(1) from None
        except Exception as err:  # a bug, or a library's error we did not foresee
            traceback.print_exc()
            if log is not None:
                print(
                    f"error: {type(err).__name__}: {err} (traceback in {snakemake.log[0]})",
                    file=sys.__stderr__,
                )
            raise SystemExit(1) from None
