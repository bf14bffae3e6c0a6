"""The CPU half of tests/gpu/check.sh, and its refusal without a CUDA device."""

from __future__ import annotations

import itertools
import os
import subprocess

import gpucheck
import pytest
import torch

from conftest import REPO, TINY_CONFIG


@pytest.fixture(scope="module", params=["mlp", "cnn"])
def cpu_rows(request) -> list[dict]:
    return gpucheck.measure("cpu", epochs=3, model=request.param)


def test_cpu_half_trains_every_run_of_the_tiny_study(cpu_rows):
    grid = itertools.product(*(TINY_CONFIG[k] for k in ("losses", "optimizers", "seeds")))
    runs = [f"{loss}/{optimizer}/seed{seed}" for loss, optimizer, seed in grid]
    assert [row["run"] for row in cpu_rows] == runs
    for row in cpu_rows:
        assert row["accuracy"] > 0.7, row  # digits after 3 epochs, far above chance (0.1)
        assert 0 < row["seconds_per_epoch"] < 10, row


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_cpu_half_is_repeatable(model):
    first, second = (gpucheck.measure("cpu", epochs=3, model=model) for _ in range(2))
    assert gpucheck.mismatches(first, second, tolerance=0.0) == []


def test_accuracies_beyond_the_tolerance_are_reported(cpu_rows):
    shifted = [dict(cpu_rows[0], accuracy=cpu_rows[0]["accuracy"] - 0.05), *cpu_rows[1:]]
    assert gpucheck.mismatches(shifted, cpu_rows, tolerance=0.1) == []
    [message] = gpucheck.mismatches(shifted, cpu_rows, tolerance=0.02)
    assert message.startswith(f"{cpu_rows[0]['run']}: cuda ")


def test_main_without_cuda_exits_2_with_a_message(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpucheck.main(["--epochs", "1"]) == gpucheck.NO_CUDA
    assert "no CUDA device" in capsys.readouterr().err


def test_check_script_refuses_when_cuda_is_hidden():
    result = subprocess.run(
        [str(REPO / "tests/gpu/check.sh"), "--epochs", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == gpucheck.NO_CUDA, result.stderr
    assert "gpucheck: no CUDA device" in result.stderr
