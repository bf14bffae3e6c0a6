"""Saving and loading model weights as a plain ``state_dict`` (``weights_only=True`` safe)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch

from ..plumbing.atomic import atomic_path
from ..plumbing.errors import DamagedFileError, delete_and_rerun


def save(path: str | Path, state_dict: dict) -> None:
    """Write ``state_dict`` atomically; equal weights give equal bytes.

    Saving to a file object, not a path, keeps torch from naming the archive's inner folder
    after the (random) temporary file name.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(state_dict, handle)


def read_checked(path: str | Path):
    """``torch.load(weights_only=True)`` of ``path`` after checking every record's CRC-32.

    torch itself does not check them, so flipped bytes inside a tensor would load silently.
    """
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
    if bad is not None:
        raise ValueError(f"bad CRC-32 for record '{bad}'")
    return torch.load(path, map_location="cpu", weights_only=True)


def load(path: str | Path) -> dict:
    """The state_dict at ``path``; a damaged file is reported with the fix."""
    try:
        state = read_checked(path)
    except Exception as err:  # torch raises many types for a damaged pickle/zip
        raise DamagedFileError(
            f"cannot read weights '{path}' ({type(err).__name__}: {err}). The file is damaged: "
            f"{delete_and_rerun(path, 'that run is retrained')}."
        ) from None
    if not isinstance(state, dict):
        raise DamagedFileError(
            f"'{path}' holds no state_dict: {delete_and_rerun(path, 'that run is retrained')}."
        )
    return state


def load_into(model: torch.nn.Module, path: str | Path) -> torch.nn.Module:
    """``model`` with the weights at ``path``; weights of another architecture are named."""
    state = load(path)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if "\n" in str(err) else str(err)
        raise DamagedFileError(
            f"weights '{path}' do not fit the configured model ({first}); they were trained "
            f"with another model config: {delete_and_rerun(path, 'that run is retrained')}."
        ) from None
    return model
