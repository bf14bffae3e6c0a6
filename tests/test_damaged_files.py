"""Damaged files: a clear message that names the file and the command that fixes it, and that
command works: doing exactly what the message says, then a plain rerun, rebuilds everything.

One tiny study is built once; each case damages one file in a copy of it, reruns the workflow
(the default target, as a user would), reads the advice out of the message, runs it, reruns,
and checks that every output of the study is back and the damaged file is whole again. A
damaged checkpoint is different: it is only a shortcut, so training discards it with a
warning and starts from scratch.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from conftest import TINY_CONFIG, snakemake, write_config

#: two seeds in one pack (the default `pack`): a damaged file of one run retrains the pack
CONFIG = {
    **TINY_CONFIG,
    "losses": {"ce": {"type": "cross_entropy"}},
    "optimizers": {"adam": {"type": "adam"}},
    "seeds": [0, 1],
    "testsets": {"clean": {"type": "clean"}, "gaussian": {"type": "gaussian", "sigma": 1.0}},
}
RUN = "results/digits/runs/clean/ce/adam/lr0.001/seed0"
TRAIN_LOG = "results/digits/logs/train/clean/adam/lr0.001/ce/seed0..1.log"
TABLES = "results/digits/tables"


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupted(data: bytes) -> bytes:
    """The same length, with 16 bytes in the middle inverted (what a bad disk sector does)."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


def garbled(data: bytes) -> bytes:
    """Binary junk where text was (an editor's crash, another file copied over it)."""
    return b'\x89PNG\r\n"\x00\xff' * 40


def a_third(data: bytes) -> bytes:
    """The header and the first third of the rows: a table cut short."""
    lines = data.splitlines(keepends=True)
    return b"".join(lines[: 1 + (len(lines) - 1) // 3])


def outputs(workdir) -> dict[str, bytes]:
    """Every file the study made (logs and Snakemake's benchmarks aside), by path."""
    results = workdir / "results"
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted(results.rglob("*"))
        if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(results).parts)
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workdir with the whole tiny study: every output of the default target."""
    workdir = tmp_path_factory.mktemp("damaged") / "built"
    workdir.mkdir()
    snakemake(workdir, configfile=write_config(workdir, CONFIG))
    return workdir


@pytest.fixture
def workdir(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy, symlinks=True)  # keeps mtimes and Snakemake's metadata
    return copy


#: (damaged file, damage, the job that reads it)
CASES = [
    ("results/digits/data.npz", truncated, "make_testset"),
    ("results/digits/testsets/gaussian.npz", corrupted, "evaluate"),
    (f"{RUN}/weights.pt", truncated, "evaluate"),
    (f"{RUN}/weights.pt", corrupted, "evaluate"),
    (f"{RUN}/history.csv", garbled, "aggregate"),
    (f"{RUN}/status.json", garbled, "aggregate"),
    (f"{RUN}/evaluation.csv", a_third, "aggregate"),
    (f"{TABLES}/history.csv", garbled, "summarize"),
    (f"{TABLES}/summary.csv", a_third, "report"),
    (f"{TABLES}/runs.csv", a_third, "summarize"),
    (f"{TABLES}/comparisons.csv", garbled, "report"),
    ("results/digits/benchmarks/aggregate.tsv", garbled, "benchmarks"),
]


@pytest.mark.parametrize(
    ("damaged", "damage", "reader"), CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in CASES]
)
def test_the_advice_in_the_message_repairs_everything(built, workdir, damaged, damage, reader):
    path = workdir / damaged
    path.write_bytes(damage(path.read_bytes()))
    config = workdir / "config.yaml"
    failed = snakemake(workdir, configfile=config, check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Traceback" not in output
    # the reading job's log names the file and says what to do, and so does the console
    logs = [log.read_text() for log in (workdir / "results/digits/logs").rglob("*.log")]
    failed_logs = [text for text in logs if "error: " in text]
    assert failed_logs and all("Traceback" not in text for text in failed_logs)
    advice = re.search(r"delete it \((rm '[^']+')\) and rerun snakemake", output)
    assert advice, output[-3000:]
    assert shlex.split(advice[1])[1] == damaged, advice[1]
    assert any(damaged in text for text in failed_logs)

    subprocess.run(shlex.split(advice[1]), cwd=workdir, check=True)  # exactly what it says
    snakemake(workdir, configfile=config)  # then rerun snakemake as before
    repaired = outputs(workdir)
    assert repaired.keys() == outputs(built).keys()
    # the data and every number made from it are back, byte for byte
    for name, data in outputs(built).items():
        if name.endswith((".npz", ".pt", ".csv", ".json")) and "benchmarks" not in name:
            assert repaired[name] == data, name
    assert "nothing to be done" in snakemake(workdir, "-n", configfile=config).stdout.lower()


def test_damaged_checkpoint_is_discarded_and_training_restarts(built, workdir):
    checkpoint = workdir / RUN / "checkpoint.pt"
    checkpoint.write_bytes(corrupted((workdir / RUN / "weights.pt").read_bytes()))
    snakemake(
        workdir,
        f"{RUN}/history.csv",
        "--forcerun",
        "train_pack_0",
        configfile=workdir / "config.yaml",
    )
    log = (workdir / TRAIN_LOG).read_text()
    assert f"warning: checkpoint '{RUN}/checkpoint.pt' is damaged" in log
    assert "training from scratch" in log
    assert "resuming" not in log
    assert not checkpoint.exists()
    for run in (RUN, RUN.replace("seed0", "seed1")):
        for name in ("history.csv", "weights.pt"):
            assert (workdir / run / name).read_bytes() == (built / run / name).read_bytes(), name


def test_weights_of_another_architecture_are_named_with_the_fix(tmp_path):
    from lossbench.plumbing.errors import DamagedFileError
    from lossbench.train import models, weights

    path = tmp_path / "weights.pt"
    weights.save(path, models.build({"type": "mlp", "hidden": [16]}, (1, 8, 8), 10).state_dict())
    other = models.build({"type": "mlp", "hidden": [32]}, (1, 8, 8), 10)
    with pytest.raises(DamagedFileError, match="do not fit the configured model") as error:
        weights.load_into(other, path)
    assert f"delete it (rm '{path}') and rerun snakemake" in str(error.value)
