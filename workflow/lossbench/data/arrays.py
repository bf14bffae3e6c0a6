"""Reading and writing the workflow's array files (``.npz``) safely and atomically.

numpy archives are read with ``allow_pickle=False``, so a cached file can never run code.
A truncated or corrupted file becomes a :class:`DamagedFileError` that names the file
and the fix instead of a traceback from deep inside numpy.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..plumbing.atomic import atomic_path
from ..plumbing.errors import DamagedFileError, delete_and_rerun


def save(path: str | Path, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load(path: str | Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Load ``keys`` from the archive at ``path``; any damage is reported as such."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise DamagedFileError(
            f"cannot read '{path}' ({type(err).__name__}: {err}). The file is damaged or from "
            f"another version: {delete_and_rerun(path)}."
        ) from None
