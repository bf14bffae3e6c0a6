"""The source files a job runs: its modules and every lossbench module they import, transitively.

The rules pass a digest of these files as a parameter, so that editing any module a job
executes reruns that job, and editing one it never runs reruns nothing (as a parameter, not as
inputs: a job's header on the console stays short, and only a change of content counts).
Found by reading the imports (``ast``), not by importing: the Snakefile must not import torch
or matplotlib. Imports inside functions count too, and so does every package ``__init__`` on
the way to a module (Python runs them).
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import MutableMapping
from functools import cache
from pathlib import Path

#: the ``lossbench`` package directory
PACKAGE = Path(__file__).resolve().parents[1]


def path_of(module: str) -> Path | None:
    """The file of dotted ``module`` (``"train.loop"``, ``""`` for lossbench), or None."""
    base = PACKAGE.joinpath(*module.split(".")) if module else PACKAGE
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(module: str) -> str:
    """The package a module's relative imports start from."""
    is_package = path_of(module).name == "__init__.py"
    return module if is_package else module.rpartition(".")[0]


@cache
def imports(module: str) -> frozenset[str]:
    """The lossbench modules that ``module`` imports itself (dotted, relative to lossbench)."""
    return _imported(path_of(module), _package_of(module))


def script_imports(path: str | Path) -> frozenset[str]:
    """The lossbench modules a script outside the package imports (absolute imports)."""
    return _imported(Path(path), None)


def _imported(path: Path, package: str | None) -> frozenset[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            found |= {n.removeprefix("lossbench").lstrip(".") for n in names if _ours(n)}
        elif isinstance(node, ast.ImportFrom):
            if node.level and package is not None:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(filter(None, [*parts, node.module or ""]))
            elif not node.level and node.module and _ours(node.module):
                base = node.module.removeprefix("lossbench").lstrip(".")
            else:
                continue
            found.add(base)
            for alias in node.names:  # `from . import loop` imports a module, not a name
                sub = f"{base}.{alias.name}" if base else alias.name
                if path_of(sub) is not None:
                    found.add(sub)
    return frozenset(found)


def _ours(name: str) -> bool:
    return name == "lossbench" or name.startswith("lossbench.")


def closure(*modules: str) -> list[Path]:
    """Files of ``modules`` and of every lossbench module they import, with the ``__init__``
    of each package on the way, sorted."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        if path_of(module) is None:
            raise ValueError(f"no lossbench module '{module}' under {PACKAGE}")
        seen.add(module)
        parts = module.split(".") if module else []
        todo += [".".join(parts[:i]) for i in range(len(parts))]  # the packages on the way
        todo += imports(module)
    return sorted(path_of(module) for module in seen)


def digest(files: list[Path]) -> str:
    """A short digest of the files' paths (relative to the package) and contents."""
    hashed = hashlib.sha256()
    for path in sorted(files):
        hashed.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()[:16]


def jobs_import_this_package(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put this package's folder first on ``PYTHONPATH``, which child processes inherit.

    On a job's ``sys.path``, ``PYTHONPATH`` comes before site-packages, so every job imports
    the lossbench of the workflow it belongs to, whatever else is installed (an editable
    install of another checkout, say); Snakemake itself only appends a script's folder.
    """
    own = str(PACKAGE.parent)
    rest = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != own]
    environ["PYTHONPATH"] = os.pathsep.join([own, *rest])
