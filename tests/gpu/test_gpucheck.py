"""The CPU half of tests/gpu/check.sh, and its refusal without a CUDA device."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import gpucheck
import pytest
import torch

from conftest import REPO, TINY_CONFIG

#: digits accuracy each model passes after 3 epochs, far above chance (0.1)
AFTER_3_EPOCHS = {"mlp": 0.8, "cnn": 0.7}


@pytest.fixture(scope="module", params=sorted(AFTER_3_EPOCHS))
def cpu_rows(request) -> tuple[str, list[dict]]:
    return request.param, gpucheck.measure("cpu", epochs=3, model=request.param)


def test_cpu_half_trains_every_run_of_the_tiny_study(cpu_rows):
    grid = itertools.product(*(TINY_CONFIG[k] for k in ("losses", "optimizers", "seeds")))
    runs = [f"{loss}/{optimizer}/seed{seed}" for loss, optimizer, seed in grid]
    model, rows = cpu_rows
    assert [row["run"] for row in rows] == runs
    for row in rows:
        assert row["accuracy"] > AFTER_3_EPOCHS[model], row
        assert 0 < row["seconds_per_epoch"] < 10, row


@pytest.mark.parametrize("model", sorted(AFTER_3_EPOCHS))
def test_cpu_half_is_repeatable(model):
    first, second = (gpucheck.measure("cpu", epochs=3, model=model) for _ in range(2))
    assert gpucheck.mismatches(first, second, tolerance=0.0) == []


def test_cpu_half_in_packs_trains_each_run_as_alone(cpu_rows):
    """`--pack 2`: the tiny study's runs two at a time, the same accuracies as one by one."""
    model, rows = cpu_rows
    packed = gpucheck.measure("cpu", epochs=3, model=model, pack=2)
    assert [row["run"] for row in packed] == [row["run"] for row in rows]
    assert gpucheck.mismatches(packed, rows, tolerance=0.0) == []


def test_accuracies_beyond_the_tolerance_are_reported(cpu_rows):
    _, rows = cpu_rows
    shifted = [dict(rows[0], accuracy=rows[0]["accuracy"] - 0.05), *rows[1:]]
    assert gpucheck.mismatches(shifted, rows, tolerance=0.1) == []
    [message] = gpucheck.mismatches(shifted, rows, tolerance=0.02)
    assert message.startswith(f"{rows[0]['run']}: cuda ")


def test_main_without_cuda_exits_2_with_a_message(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpucheck.main(["--epochs", "1"]) == gpucheck.NO_CUDA
    assert "no CUDA device" in capsys.readouterr().err


def test_check_script_refuses_when_cuda_is_hidden():
    """Run with the interpreter running the tests, wherever it lives (not only a .venv)."""
    result = subprocess.run(
        [str(REPO / "tests/gpu/check.sh"), "--epochs", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHON": sys.executable},
    )
    assert result.returncode == gpucheck.NO_CUDA, result.stderr
    assert "gpucheck: no CUDA device" in result.stderr


def test_the_packs_script_refuses_when_cuda_is_hidden(tmp_path):
    """tests/gpu/packs.sh (every GPU figure of packs in one go) stops at its first check."""
    result = subprocess.run(
        [str(REPO / "tests/gpu/packs.sh"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHON": sys.executable},
    )
    assert result.returncode == gpucheck.NO_CUDA, result.stdout + result.stderr
    assert "Model name" in (tmp_path / "out" / "machine.txt").read_text()
