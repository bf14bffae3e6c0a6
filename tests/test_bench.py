"""The benchmark (``python -m lossbench.bench``) on tiny sizes: its JSON holds sane figures.

Not a timing test: the machine is shared, so only relations that hold at any speed are checked.
"""

import json
import math

import pytest

from lossbench import bench

KEYS = {"homework_s_per_epoch", "lossbench_s_per_epoch", "speedup", "gflops", "fraction_of_peak"}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    printed = bench.main(
        ["--quick", "--threads", "1", "--train", "2048", "--test", "1024", "--json", str(path)]
    )
    written = json.loads(path.read_text())
    assert written == printed
    return written


def test_json_has_every_figure_of_the_issue(result):
    assert {"mlp", "cnn", "gemm_peak_gflops"} <= set(result)
    for model in ("mlp", "cnn"):
        assert KEYS <= set(result[model])
        assert all(math.isfinite(v) and v > 0 for v in result[model].values())
    assert (result["threads"], result["epochs"], result["n_train"]) == (1, 1, 512)


def test_figures_are_consistent(result):
    peak = result["gemm_peak_gflops"]
    assert 1 < peak < 10_000
    for model in ("mlp", "cnn"):
        r = result[model]
        assert r["speedup"] == pytest.approx(r["homework_s_per_epoch"] / r["lossbench_s_per_epoch"])
        assert r["gflops"] == pytest.approx(r["gflop_per_epoch"] / r["lossbench_s_per_epoch"])
        assert r["fraction_of_peak"] == pytest.approx(r["gflops"] / peak)


def test_the_flop_count_is_the_mlps_arithmetic(result):
    """784-256-10 MLP: forward 2(784*256 + 256*10) per image; training adds the weight
    gradients (as much again) and the gradient into the hidden layer, not into the input."""
    forward = 2 * (784 * 256 + 256 * 10)
    train = 2 * forward + 2 * 256 * 10
    expected = 512 * train + 2 * 256 * forward  # training images, then clean + noisy test
    assert result["mlp"]["gflop_per_epoch"] * 1e9 == pytest.approx(expected)
