"""Damaged cached files: a clear message naming the file and the fix, never a deep traceback.

One tiny study is built once; each case damages one file in a copy of it and reruns the job
that reads the file. A damaged checkpoint is different: it is only a shortcut, so training
discards it with a warning and starts from scratch.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import TINY_CONFIG, snakemake, write_config

CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}},
    "optimizers": {"adam": {"type": "adam"}},
    "testsets": {"clean": {"type": "clean"}, "gaussian": {"type": "gaussian", "sigma": 1.0}},
}
RUN = "results/digits/runs/ce/adam/seed0"
TRAIN_LOG = "results/digits/logs/train/ce/adam/seed0.log"


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupted(data: bytes) -> bytes:
    """The same length, with 16 bytes in the middle inverted (what a bad disk sector does)."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workdir with the tiny study's tables and everything they come from."""
    workdir = tmp_path_factory.mktemp("damaged") / "built"
    workdir.mkdir()
    snakemake(workdir, "results/digits/tables/runs.csv", configfile=write_config(workdir, CONFIG))
    return workdir


@pytest.fixture
def workdir(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy, symlinks=True)  # keeps mtimes and Snakemake's metadata
    return copy


@pytest.mark.parametrize(
    ("damaged", "damage", "target"),
    [
        ("results/digits/data.npz", truncated, "results/digits/testsets/clean.npz"),
        ("results/digits/testsets/gaussian.npz", corrupted, f"{RUN}/evaluation.csv"),
        (f"{RUN}/weights.pt", truncated, f"{RUN}/evaluation.csv"),
        (f"{RUN}/weights.pt", corrupted, f"{RUN}/evaluation.csv"),
    ],
)
def test_damaged_file_is_named_with_the_fix(workdir, damaged, damage, target):
    path = workdir / damaged
    path.write_bytes(damage(path.read_bytes()))
    result = snakemake(workdir, target, configfile=workdir / "config.yaml", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"cannot read '{damaged}'" in output or f"cannot read weights '{damaged}'" in output
    assert "delete it and rerun" in output
    assert "Traceback" not in output
    logs = [log.read_text() for log in (workdir / "results/digits/logs").rglob("*.log")]
    failed = [text for text in logs if "error: cannot read" in text]
    assert failed, "no job log names the damaged file"
    assert all("Traceback" not in text and damaged in text for text in failed)


def test_damaged_checkpoint_is_discarded_and_training_restarts(built, workdir):
    checkpoint = workdir / RUN / "checkpoint.pt"
    checkpoint.write_bytes(corrupted((workdir / RUN / "weights.pt").read_bytes()))
    snakemake(
        workdir, f"{RUN}/history.csv", "--forcerun", "train", configfile=workdir / "config.yaml"
    )
    log = (workdir / TRAIN_LOG).read_text()
    assert f"warning: checkpoint '{RUN}/checkpoint.pt' is damaged" in log
    assert "training from scratch" in log
    assert "resuming" not in log
    assert not checkpoint.exists()
    for name in ("history.csv", "weights.pt"):
        assert (workdir / RUN / name).read_bytes() == (built / RUN / name).read_bytes(), name


def test_weights_of_another_architecture_are_named_with_the_fix(tmp_path):
    from lossbench.plumbing.errors import DamagedFileError
    from lossbench.train import models, weights

    path = tmp_path / "weights.pt"
    weights.save(path, models.build({"type": "mlp", "hidden": [16]}, (1, 8, 8), 10).state_dict())
    other = models.build({"type": "mlp", "hidden": [32]}, (1, 8, 8), 10)
    with pytest.raises(DamagedFileError, match="do not fit the configured model") as error:
        weights.load_into(other, path)
    assert str(path) in str(error.value) and "delete the file and rerun" in str(error.value)
