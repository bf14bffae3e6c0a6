"""Datasets: digits offline, and the real torchvision loaders on small files the tests write."""

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from lossbench.data import datasets
from lossbench.plumbing.errors import LossbenchError


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) in the IDX format of MNIST's files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist_like(root: Path, folder: str, n_train: int = 30, n_test: int = 12, seed: int = 0):
    """Small IDX files where torchvision's MNIST-style loaders look for them."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        write_idx(root / folder / "raw" / f"{split}-images-idx3-ubyte", images)
        write_idx(root / folder / "raw" / f"{split}-labels-idx1-ubyte", labels)
        arrays[split] = (images, labels)
    return arrays


def test_digits_loads_offline_with_stratified_test_and_validation_splits():
    data = datasets.load("digits")
    assert data["train_x"].dtype == np.uint8 and data["train_x"].shape[1:] == (1, 8, 8)
    assert len(data["train_x"]) + len(data["val_x"]) + len(data["test_x"]) == 1797
    assert len(data["test_x"]) == pytest.approx(0.25 * 1797, abs=1)
    # the validation split is carved from the training set (the three add up to the dataset)
    assert len(data["val_x"]) == pytest.approx(0.1 * (1797 - len(data["test_x"])), abs=1)
    assert data["train_x"].max() == 255  # 16 ink levels scaled to the uint8 range
    # stratified: every class has (almost) the same share in all three splits
    shares = [np.bincount(data[f"{s}_y"]) / len(data[f"{s}_y"]) for s in ("train", "val", "test")]
    np.testing.assert_allclose(shares[0], shares[2], atol=0.01)
    np.testing.assert_allclose(shares[0], shares[1], atol=0.02)
    # normalisation constants come from the train split
    np.testing.assert_allclose(data["mean"], [data["train_x"].mean() / 255], rtol=1e-5)


def test_digits_split_is_fixed_by_its_seed():
    a, b = datasets.load("digits", split_seed=3), datasets.load("digits", split_seed=3)
    c = datasets.load("digits", split_seed=4)
    np.testing.assert_array_equal(a["test_y"], b["test_y"])
    assert not np.array_equal(a["test_x"], c["test_x"])


@pytest.mark.parametrize(
    "name,folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST"), ("kmnist", "KMNIST")]
)
def test_torchvision_reads_mnist_format_files(tmp_path, name, folder):
    written = write_mnist_like(tmp_path, folder)
    data = datasets.load(name, root=tmp_path, validation_fraction=1 / 3)
    assert data["train_x"].shape == (20, 1, 28, 28) and data["val_x"].shape == (10, 1, 28, 28)
    # the training file's images, split in two (one image of each class for validation)
    both = np.concatenate([data["train_x"][:, 0], data["val_x"][:, 0]])
    assert sorted(x.tobytes() for x in both) == sorted(x.tobytes() for x in written["train"][0])
    assert sorted(data["val_y"].tolist()) == list(range(10))
    np.testing.assert_array_equal(data["test_y"], written["t10k"][1])
    assert len(data["classes"]) == 10


def write_cifar_like(root: Path, per_batch: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    written = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for index, name in enumerate(names):
        data = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels = [(index * per_batch + i) % 10 for i in range(per_batch)]  # 3 of each class
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": data, "labels": labels}, handle)
        written[name] = (data, labels)
    label_names = ["airplane", "automobile", "bird", "cat", "deer"]
    label_names += ["dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": label_names}, handle)
    return written


def test_torchvision_reads_cifar_format_files(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    # Our files cannot match the real archive's checksums; everything else is the real loader.
    for attr in ("train_list", "test_list"):
        monkeypatch.setattr(CIFAR10, attr, [[name, None] for name, _ in getattr(CIFAR10, attr)])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": None})
    written = write_cifar_like(tmp_path)
    data = datasets.load("cifar10", root=tmp_path, validation_fraction=1 / 3)
    assert data["train_x"].shape == (20, 3, 32, 32) and data["val_x"].shape == (10, 3, 32, 32)
    first = written["data_batch_1"][0][0].reshape(3, 32, 32)
    both = np.concatenate([data["train_x"], data["val_x"]])
    assert any((image == first).all() for image in both)  # channels in torchvision's order
    assert data["test_y"].tolist() == written["test_batch"][1]
    assert data["mean"].shape == (3,)
    assert data["classes"][0] == "airplane"


def test_missing_offline_dataset_says_where_to_put_which_files(tmp_path):
    with pytest.raises(LossbenchError) as error:
        datasets.load("mnist", root=tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path / "MNIST/raw/train-images-idx3-ubyte") in message
    assert "data.download: true" in message


def test_normalise_uses_the_given_constants():
    images = np.array([[[[0, 255]]]], dtype=np.uint8)
    out = datasets.normalise(images, np.array([0.5], np.float32), np.array([0.5], np.float32))
    np.testing.assert_allclose(out.ravel(), [-1.0, 1.0])
