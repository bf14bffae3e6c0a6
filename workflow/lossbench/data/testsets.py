"""Clean and corrupted copies of a test set, made once with a fixed seed.

Every model of a study is evaluated on the very same noisy pixels: the noise comes from a
generator seeded by ``noise_seed`` and the corruption's type and level (not its name, so
renaming a test set does not change it). Corruptions act on the *normalised* input, as the
original study did (``image + torch.randn(image.size())``).
"""

from __future__ import annotations

import zlib

import numpy as np

from .datasets import normalise

#: corruption type -> the parameter that sets its strength (None for clean)
LEVEL_KEY = {"clean": None, "gaussian": "sigma", "salt_pepper": "fraction"}


def level(spec: dict) -> float:
    """The corruption strength of a test-set spec as given (0 for the clean set)."""
    key = LEVEL_KEY[spec["type"]]
    return 0.0 if key is None else float(spec[key])


def intensity(spec: dict, std: np.ndarray) -> float:
    """The strength as a share of the pixel intensity range, comparable across datasets: a
    Gaussian σ in normalised units is σ·std of the pixels (σ = 1 on digits is 0.376)."""
    if spec["type"] == "gaussian" and spec.get("units", "normalised") == "normalised":
        return float(spec["sigma"] * np.mean(std))
    return level(spec)


def sigma_normalised(spec: dict, std: np.ndarray) -> np.ndarray:
    """The Gaussian σ per channel in normalised units, however the spec states it."""
    sigma = np.float32(spec["sigma"])
    if spec.get("units", "normalised") == "intensity":
        return (sigma / std.astype(np.float32))[None, :, None, None]
    return sigma


def _rng(spec: dict, noise_seed: int) -> np.random.Generator:
    tag = zlib.crc32(f"{spec['type']}:{level(spec)!r}".encode())
    return np.random.default_rng([noise_seed, tag])


def make(data: dict[str, np.ndarray], spec: dict, noise_seed: int | None) -> np.ndarray:
    """The normalised float32 test images of ``data`` corrupted as ``spec`` says (the clean
    set needs no ``noise_seed``)."""
    mean, std = data["mean"], data["std"]
    clean = normalise(data["test_x"], mean, std)
    kind = spec["type"]
    if kind == "clean":
        return clean
    rng = _rng(spec, noise_seed)
    if kind == "gaussian":
        noise = rng.standard_normal(clean.shape, dtype=np.float32)
        return clean + sigma_normalised(spec, std) * noise
    if kind == "salt_pepper":
        n, _, h, w = clean.shape
        hit = rng.random((n, 1, h, w)) < spec["fraction"]  # same pixel on every channel
        salt = rng.random((n, 1, h, w)) < 0.5
        low = ((0.0 - mean) / std)[None, :, None, None].astype(np.float32)
        high = ((1.0 - mean) / std)[None, :, None, None].astype(np.float32)
        out = np.where(hit & salt, high, clean)
        return np.where(hit & ~salt, low, out).astype(np.float32)
    raise ValueError(f"unknown test-set type '{kind}'; allowed: {', '.join(LEVEL_KEY)}")
