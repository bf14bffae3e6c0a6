"""What every workflow script shares: its log, and errors as messages rather than tracebacks.

Scripts under ``workflow/scripts/`` are thin adapters; each wraps its work in :func:`job`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from .errors import LossbenchError


@contextlib.contextmanager
def job(snakemake) -> Iterator[None]:
    """Send stdout/stderr to the rule's log (line by line) and turn known errors into exit 1."""
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
