"""Training conditions: the training set's labels (and which images it keeps) under label noise
or class imbalance. Test sets are never touched.

A condition is made once per dataset with ``condition_seed`` and the condition's type and
level (not its name), so every loss, optimizer and seed trains on the very same labels and
paired comparisons stay valid. It is stored as indices and labels, not images:

* ``indices``: the training images kept (all of them, but under ``imbalance``);
* ``labels``: the labels training uses; ``true``: the dataset's labels of those images;
* ``corrupted``: where the two differ.

The definitions are the literature's, with exact per-class counts (easier to reason about and
to test than sampling a flip per example):

* ``symmetric`` (rate r): exactly round(r·n_c) labels of each class c move to a *different*
  class drawn uniformly, so the fraction of wrong labels is r (Ma et al. 2020's code does this
  per class); r < (C−1)/C, or a wrong label would be likelier than the right one.
* ``asymmetric`` (rate r, pairs source→target): exactly round(r·n_c) labels of each source
  class move to its target, the class-conditional noise of Patrini et al. 2017 (digits:
  7→1, 2→7, 5→6, 6→5, 3→8; CIFAR-10: truck→automobile, bird→airplane, deer→horse, cat↔dog).
* ``imbalance`` (ratio ρ ≥ 1): class c keeps round(n_max·ρ^(−c/(C−1))) images, a random
  subset (the exponential long tail of Cui et al. 2019); n_max is the smallest class's size,
  so that every class can keep its share, and class C−1 keeps n_max/ρ.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..plumbing.errors import ConfigError
from .datasets import DATASETS

#: the keys of a condition file: for the training split, and (``val_``) the validation split
KEYS = ("indices", "labels", "true", "corrupted")
ALL_KEYS = (*KEYS, *(f"val_{key}" for key in KEYS))

#: per condition type, the parameter that sets its level (the x axis of its figures)
LEVEL_KEY = {"clean": None, "symmetric": "rate", "asymmetric": "rate", "imbalance": "ratio"}


def level(spec: dict) -> float:
    """How strong a condition is: its rate or ratio (0 for clean, 1 for no imbalance)."""
    key = LEVEL_KEY[spec["type"]]
    return (1.0 if spec["type"] == "imbalance" else 0.0) if key is None else float(spec[key])


def _rng(spec: dict, seed: int, pairs) -> np.random.Generator:
    """The condition's generator: from the seed, its type, level and pairs (not its name)."""
    tag = zlib.crc32(f"{spec['type']}:{level(spec)!r}:{sorted((pairs or {}).items())}".encode())
    return np.random.default_rng([seed, tag])


def symmetric(labels: np.ndarray, classes: int, rate: float, rng) -> np.ndarray:
    """``labels`` with exactly round(rate·n_c) of each class c moved to another class."""
    noisy = labels.copy()
    for c in range(classes):
        members = np.flatnonzero(labels == c)
        flipped = rng.choice(members, size=round(rate * len(members)), replace=False)
        # uniform over the C-1 other classes: draw from 0..C-2 and skip c
        other = rng.integers(0, classes - 1, size=len(flipped))
        noisy[np.sort(flipped)] = other + (other >= c)
    return noisy


def asymmetric(labels: np.ndarray, rate: float, pairs: dict[int, int], rng) -> np.ndarray:
    """``labels`` with exactly round(rate·n_s) of each source class s moved to its target."""
    noisy = labels.copy()
    for source, target in sorted(pairs.items()):
        members = np.flatnonzero(labels == source)
        flipped = rng.choice(members, size=round(rate * len(members)), replace=False)
        noisy[flipped] = target
    return noisy


def imbalance_counts(counts: np.ndarray, ratio: float) -> np.ndarray:
    """Images kept per class: round(n_max·ratio^(−c/(C−1))), n_max the smallest class."""
    classes = len(counts)
    n_max = int(counts.min())
    exponents = np.arange(classes) / max(classes - 1, 1)
    return np.rint(n_max * float(ratio) ** -exponents).astype(np.int64)


def imbalance(
    labels: np.ndarray, classes: int, ratio: float, rng, allow_empty: bool = False
) -> np.ndarray:
    """Sorted indices of the images kept: a random subset of each class, long-tailed. Only a
    validation split (``allow_empty``) may lose a class altogether."""
    counts = np.bincount(labels, minlength=classes)
    keep = imbalance_counts(counts, ratio)
    if keep.min() < 1 and not allow_empty:
        empty = int(np.flatnonzero(keep < 1)[0])
        raise ConfigError(
            f"an imbalance of ratio {ratio} leaves class {empty} without training images "
            f"({counts.min()} in the smallest class); allowed: a ratio below {counts.min() * 2}"
        )
    kept = [
        rng.choice(np.flatnonzero(labels == c), size=keep[c], replace=False) for c in range(classes)
    ]
    return np.sort(np.concatenate(kept))


def make(
    labels: np.ndarray,
    classes: int,
    spec: dict,
    seed: int | None,
    pairs=None,
    validation: bool = False,
) -> dict:
    """The condition ``spec`` of a training set with true ``labels`` (see the module's doc).

    ``pairs`` (source→target class indices) is the asymmetric noise's, already resolved;
    ``validation``: the labels are a validation split's (a tail class may vanish from it).
    """
    kind = spec["type"]
    rng = None if kind == "clean" else _rng(spec, seed, pairs)
    indices = np.arange(len(labels))
    noisy = labels.copy()
    if kind == "symmetric":
        noisy = symmetric(labels, classes, spec["rate"], rng)
    elif kind == "asymmetric":
        noisy = asymmetric(labels, spec["rate"], pairs, rng)
    elif kind == "imbalance":
        indices = imbalance(labels, classes, spec["ratio"], rng, allow_empty=validation)
        noisy = labels[indices]
    elif kind != "clean":
        raise ValueError(f"unknown condition type '{kind}'; allowed: {', '.join(LEVEL_KEY)}")
    true = labels[indices]
    return {
        "indices": indices.astype(np.int64),
        "labels": noisy.astype(np.int64),
        "true": true.astype(np.int64),
        "corrupted": noisy != true,
    }


def from_params(train_y: np.ndarray, val_y: np.ndarray, classes: int, params: dict) -> dict:
    """The condition of a job's parameters (``study.condition_params``) on both splits: a user
    with noisy labels (or few images of a class) has them in the validation split too. The two
    splits draw from two streams of the condition's generator (seed + 0, seed + 1)."""
    pairs = {int(s): int(t) for s, t in params["pairs"]} if params["pairs"] else None
    seed = params["seed"]
    made = make(train_y, classes, params["spec"], seed, pairs)
    val_seed = None if seed is None else seed + 1
    val = make(val_y, classes, params["spec"], val_seed, pairs, validation=True)
    return made | {f"val_{key}": value for key, value in val.items()}


def _class_index(value, dataset: str, where: str) -> int:
    """A class given by index (7) or name ('truck'; '7' for a digit) as its index."""
    names = DATASETS[dataset].names
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return value
    if str(value) in names:
        return names.index(str(value))
    raise ConfigError(
        f"{where} names the class {value!r}, which dataset '{dataset}' lacks; allowed: the "
        f"indices 0-{len(names) - 1} or the names {', '.join(names)}"
    )


def pairs_for(name: str, spec: dict, dataset: str) -> dict[int, int]:
    """The source -> target classes (indices) of the asymmetric condition ``name``."""
    where = f"conditions.{name}.pairs"
    given = spec.get("pairs")
    if given is None:
        if not DATASETS[dataset].pairs:
            raise ConfigError(
                f"{where} is missing: dataset '{dataset}' has no default pairs of similar "
                f"classes (only digits, mnist and cifar10 have); allowed: a mapping of source "
                f"to target classes, e.g. pairs: {{0: 6}}"
            )
        return dict(DATASETS[dataset].pairs)
    pairs = {
        _class_index(s, dataset, where): _class_index(t, dataset, where) for s, t in given.items()
    }
    same = [s for s, t in pairs.items() if s == t]
    if same:
        raise ConfigError(
            f"{where} maps class {DATASETS[dataset].names[same[0]]} to itself; allowed: pairs "
            f"of two different classes"
        )
    return pairs


def check(name: str, spec: dict, dataset: str, smallest_class: int) -> None:
    """The mistakes a condition can have that depend on the dataset, as a ConfigError.

    ``smallest_class`` is the training images of the dataset's smallest class, or a lower
    bound of it (the check runs before the data is loaded).
    """
    classes = DATASETS[dataset].classes
    if spec["type"] == "symmetric" and spec["rate"] >= (classes - 1) / classes:
        raise ConfigError(
            f"conditions.{name}.rate = {spec['rate']} is not allowed on '{dataset}': with "
            f"{classes} classes a wrong label would be as likely as the right one; allowed: "
            f"a number in [0, {(classes - 1) / classes:.3g})"
        )
    if spec["type"] == "asymmetric":
        pairs_for(name, spec, dataset)
    if spec["type"] == "imbalance":
        kept = imbalance_counts(np.array([smallest_class]), 1.0)[0] / spec["ratio"]
        if round(kept) < 1:
            raise ConfigError(
                f"conditions.{name}.ratio = {spec['ratio']} leaves the smallest class of "
                f"'{dataset}' without training images ({smallest_class} at most); allowed: a "
                f"ratio of at most {2 * smallest_class}"
            )
