"""Saving and loading model weights as a plain ``state_dict`` (``weights_only=True`` safe)."""

from __future__ import annotations

from pathlib import Path

import torch

from .atomic import atomic_path
from .errors import DamagedFileError


def save(path: str | Path, state_dict: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state_dict, tmp)


def load(path: str | Path) -> dict:
    """The state_dict at ``path``; a damaged file is reported with the fix."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged pickle/zip
        raise DamagedFileError(
            f"cannot read weights '{path}' ({type(err).__name__}: {err}). The file is damaged: "
            f"delete it and rerun snakemake to retrain that run."
        ) from None
    if not isinstance(state, dict):
        raise DamagedFileError(f"'{path}' holds no state_dict: delete it and rerun snakemake.")
    return state
