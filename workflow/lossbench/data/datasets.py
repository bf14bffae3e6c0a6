"""Datasets as plain uint8 arrays, cached once per dataset.

``digits`` is scikit-learn's embedded 8x8 handwritten digits (no network, the default);
the others come through ``torchvision.datasets``. Every dataset becomes the same thing:
uint8 images shaped (N, C, H, W), int64 labels, and per-channel normalisation constants
computed on the train split only. A stratified ``validation_fraction`` of the training set is
held out as the validation split (``val_x``, ``val_y``), the same for every run: the study makes
its choices (learning rate, best epoch) there, never on a test set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..plumbing.errors import LossbenchError


@dataclass(frozen=True)
class DatasetInfo:
    shape: tuple[int, int, int]  # (channels, height, width)
    names: tuple[str, ...]  # the class names, in label order
    torchvision_class: str | None  # None: built in, no files needed
    files: tuple[str, ...] = ()  # what torchvision needs under data.root when offline
    #: images of the smallest class in the whole training split (before any held-out part)
    smallest_class: int = 0
    #: asymmetric label noise's default source -> target classes (the literature's), if any
    pairs: tuple[tuple[int, int], ...] = ()

    @property
    def classes(self) -> int:
        return len(self.names)


#: similar digits: 7->1, 2->7, 5->6, 6->5, 3->8 (Patrini et al. 2017; used by SCE, GCE, APL)
_DIGIT_PAIRS = ((7, 1), (2, 7), (5, 6), (6, 5), (3, 8))
_DIGITS = tuple(str(c) for c in range(10))
_CIFAR10 = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"
)  # fmt: skip


_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

DATASETS: dict[str, DatasetInfo] = {
    # 1797 images, 174 of them 8s, of which a test_fraction is held out
    "digits": DatasetInfo((1, 8, 8), _DIGITS, None, smallest_class=174, pairs=_DIGIT_PAIRS),
    "mnist": DatasetInfo(
        (1, 28, 28),
        tuple(
            f"{c} - {w}"
            for c, w in enumerate("zero one two three four five six seven eight nine".split())
        ),
        "MNIST",
        tuple(f"MNIST/raw/{f}" for f in _MNIST_FILES),
        smallest_class=5421,
        pairs=_DIGIT_PAIRS,
    ),
    "fashion_mnist": DatasetInfo(
        (1, 28, 28),
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        "FashionMNIST",
        tuple(f"FashionMNIST/raw/{f}" for f in _MNIST_FILES),
        smallest_class=6000,
    ),
    "kmnist": DatasetInfo(
        (1, 28, 28),
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        "KMNIST",
        tuple(f"KMNIST/raw/{f}" for f in _MNIST_FILES),
        smallest_class=6000,
    ),
    "cifar10": DatasetInfo(
        (3, 32, 32),
        _CIFAR10,
        "CIFAR10",
        tuple(
            f"cifar-10-batches-py/{f}"
            for f in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta"]
        ),
        smallest_class=5000,
        # truck->automobile, bird->airplane, deer->horse, cat->dog, dog->cat
        pairs=((9, 1), (2, 0), (4, 7), (3, 5), (5, 3)),
    ),
}


def missing_files(name: str, root: str | Path) -> list[Path]:
    """Files torchvision would need under ``root`` for ``name`` that are not there."""
    return [Path(root) / f for f in DATASETS[name].files if not (Path(root) / f).exists()]


def offline_help(name: str, root: str | Path) -> str:
    missing = missing_files(name, root)
    listing = "\n".join(f"  {p}" for p in missing)
    return (
        f"dataset '{name}' is not available offline: these files are missing under "
        f"data.root='{root}':\n{listing}\n"
        f"Put the files there (uncompressed, as torchvision's download leaves them), "
        f"or set data.download: true to let torchvision download them."
    )


def _load_digits(test_fraction: float, split_seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    # 0..16 ink levels -> 0..255, so every dataset is uint8 on the same scale.
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=split_seed
    )
    classes = [str(c) for c in range(10)]
    return x_train, y_train, x_test, y_test, classes


def _as_nchw(data) -> np.ndarray:
    array = np.asarray(data, dtype=np.uint8)
    if array.ndim == 3:  # (N, H, W) grey images
        return array[:, None, :, :]
    return np.ascontiguousarray(array.transpose(0, 3, 1, 2))  # CIFAR: (N, H, W, C)


def _load_torchvision(name: str, root: str | Path, download: bool):
    import torchvision.datasets as tvd

    info = DATASETS[name]
    if not download and missing_files(name, root):
        raise LossbenchError(offline_help(name, root))
    cls = getattr(tvd, info.torchvision_class)
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except RuntimeError as err:  # torchvision's "Dataset not found or corrupted"
        raise LossbenchError(f"{offline_help(name, root)}\n(torchvision said: {err})") from None
    x_train, x_test = _as_nchw(train.data), _as_nchw(test.data)
    y_train = np.asarray(train.targets, dtype=np.int64)
    y_test = np.asarray(test.targets, dtype=np.int64)
    return x_train, y_train, x_test, y_test, [str(c) for c in train.classes]


def validation_split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """(train x, train y, validation x, validation y): a stratified ``fraction`` of the
    training set held out for every choice the study makes (never the test set)."""
    from sklearn.model_selection import train_test_split

    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=fraction, stratify=y, random_state=seed
    )
    return x_train, y_train, x_val, y_val


def load(
    name: str,
    root: str | Path = "resources",
    download: bool = False,
    test_fraction: float = 0.25,
    validation_fraction: float = 0.1,
    split_seed: int = 0,
) -> dict[str, np.ndarray]:
    """Load dataset ``name`` as a dict of arrays (see module docstring)."""
    if name not in DATASETS:
        raise LossbenchError(f"unknown dataset '{name}'; allowed: {', '.join(DATASETS)}")
    if DATASETS[name].torchvision_class is None:
        x_train, y_train, x_test, y_test, classes = _load_digits(test_fraction, split_seed)
    else:
        x_train, y_train, x_test, y_test, classes = _load_torchvision(name, root, download)
    x_train, y_train, x_val, y_val = validation_split(
        x_train, y_train, validation_fraction, split_seed
    )
    scaled = x_train.astype(np.float64) / 255.0
    mean = scaled.mean(axis=(0, 2, 3)).astype(np.float32)
    std = scaled.std(axis=(0, 2, 3)).astype(np.float32)
    return {
        "train_x": x_train,
        "train_y": y_train,
        "val_x": x_val,
        "val_y": y_val,
        "test_x": x_test,
        "test_y": y_test,
        "mean": mean,
        "std": std,
        "classes": np.asarray(classes),
    }


def normalise(images: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """uint8 (N, C, H, W) -> float32 standardised with the train split's constants."""
    scaled = images.astype(np.float32) / np.float32(255.0)
    return (scaled - mean[None, :, None, None]) / std[None, :, None, None]
