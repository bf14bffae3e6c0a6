"""The benchmark (``python -m lossbench.bench``) on tiny sizes: its JSON holds sane figures.

Not a timing test: the machine is shared, so only relations that hold at any speed are checked.
"""

import json
import math
import os
import subprocess
import sys

import pytest

from conftest import REPO
from lossbench import bench

KEYS = {"homework_s_per_epoch", "lossbench_s_per_epoch", "speedup", "gflops", "fraction_of_peak"}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    options = "--quick --threads 1 --train 2048 --test 1024 --repeats 3 --profile --packs 1,3"
    options = [*options.split(), "--json"]
    printed = bench.main([*options, str(path)])
    written = json.loads(path.read_text())
    assert written == printed
    return written


def test_json_has_every_figure_of_the_issue(result):
    assert {"mlp", "cnn", "gemm_peak_gflops"} <= set(result)
    for model in ("mlp", "cnn"):
        assert KEYS <= set(result[model])
        figures = {
            k: v for k, v in result[model].items() if k not in ("profile", "spread", "packs")
        }
        assert all(math.isfinite(v) and v > 0 for v in figures.values())
    assert (result["threads"], result["epochs"], result["n_train"]) == (1, 1, 512)
    assert result["device"] == "cpu"


def test_figures_are_consistent(result):
    peak = result["gemm_peak_gflops"]
    assert 1 < peak < 10_000
    for model in ("mlp", "cnn"):
        r = result[model]
        # medians of 3 timings, each inside its own spread
        for key in ("homework_s_per_epoch", "lossbench_s_per_epoch", "speedup"):
            low, high = r["spread"][key]
            assert low <= r[key] <= high, key
        assert r["gflops"] == pytest.approx(r["gflop_per_epoch"] / r["lossbench_s_per_epoch"])
        assert r["fraction_of_peak"] == pytest.approx(r["gflops"] / peak)


def test_packs_have_their_figures(result):
    """Per model and pack size: seconds per run-epoch (median inside its spread), the speedup
    over a pack of 1, and GFLOP/s and fraction of peak from the same seconds."""
    peak = result["gemm_peak_gflops"]
    for model in ("mlp", "cnn"):
        packs = result[model]["packs"]
        assert list(packs) == ["1", "3"]
        for r in packs.values():
            for key in ("s_per_run_epoch", "speedup"):
                low, high = r["spread"][key]
                assert 0 < low <= r[key] <= high, key
            assert r["gflops"] == pytest.approx(
                result[model]["gflop_per_epoch"] / r["s_per_run_epoch"]
            )
            assert r["fraction_of_peak"] == pytest.approx(r["gflops"] / peak)
            assert "gpu_busy" not in r  # on CUDA only
        assert packs["1"]["spread"]["speedup"] == [1.0, 1.0]


def test_the_flop_count_is_the_mlps_arithmetic(result):
    """784-256-10 MLP: forward 2(784*256 + 256*10) per image; training adds the weight
    gradients (as much again) and the gradient into the hidden layer, not into the input."""
    forward = 2 * (784 * 256 + 256 * 10)
    train = 2 * forward + 2 * 256 * 10
    # training images, then validation (a tenth as many) and clean + noisy test
    expected = 512 * train + (51 + 2 * 256) * forward
    assert result["mlp"]["gflop_per_epoch"] * 1e9 == pytest.approx(expected)


def test_profile_says_how_much_of_an_epoch_is_dense_arithmetic(result):
    for model, dense_op in (("mlp", "aten::addmm"), ("cnn", "aten::mkldnn_convolution")):
        p = result[model]["profile"]
        assert 0 < p["dense_s"] < p["all_ops_s"]
        assert p["dense_gflops"] == pytest.approx(result[model]["gflop_per_epoch"] / p["dense_s"])
        assert dense_op in p["table"]


def test_cuda_without_a_gpu_is_a_clear_usage_error(monkeypatch, capsys):
    monkeypatch.setattr(bench.torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--device", "cuda", "--quick"])
    assert exit_info.value.code == 2
    assert "--device cuda: torch" in capsys.readouterr().err


def test_machine_paths_are_measured_unpinned(tmp_path):
    """The tests run pinned (portable); asking for `machine` restarts the benchmark unpinned."""
    path = tmp_path / "bench.json"
    command = [sys.executable, "-m", "lossbench.bench", "--deterministic", "machine", "--json"]
    sizes = "--quick --threads 1 --train 1024 --test 512".split()
    subprocess.run(
        [*command, str(path), *sizes],
        cwd=REPO / "workflow",
        env={**os.environ, "PYTHONPATH": str(REPO / "workflow")},
        check=True,
        capture_output=True,
    )
    result = json.loads(path.read_text())
    assert result["deterministic"] == "machine"
    assert "MKL_CBWR=unset" in result["numerics"]


def test_portable_paths_are_the_default(result):
    assert result["deterministic"] == "portable"
    assert "ATen CPU capability AVX2" in result["numerics"]
    assert "MKL_CBWR=COMPATIBLE" in result["numerics"]
