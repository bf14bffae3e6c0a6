"""Test sets: fixed noise, the right amount of it, on the normalised input."""

import numpy as np
import pytest

from lossbench.data import datasets, testsets


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


def test_clean_is_the_normalised_test_split(digits):
    clean = testsets.make(digits, {"type": "clean"}, noise_seed=0)
    expected = datasets.normalise(digits["test_x"], digits["mean"], digits["std"])
    np.testing.assert_array_equal(clean, expected)
    assert clean.dtype == np.float32


def test_noise_is_fixed_by_the_seed_and_the_spec(digits):
    spec = {"type": "gaussian", "sigma": 1.0}
    a, b = testsets.make(digits, spec, 7), testsets.make(digits, spec, 7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, testsets.make(digits, spec, 8))
    other = testsets.make(digits, {"type": "gaussian", "sigma": 0.5}, 7)
    clean = testsets.make(digits, {"type": "clean"}, 7)
    assert not np.allclose((a - clean) / 1.0, (other - clean) / 0.5)


@pytest.mark.parametrize("sigma", [0.1, 1.0])
def test_gaussian_noise_is_added_to_the_normalised_input_with_sigma(digits, sigma):
    clean = testsets.make(digits, {"type": "clean"}, 0)
    noisy = testsets.make(digits, {"type": "gaussian", "sigma": sigma}, 0)
    delta = noisy - clean
    assert delta.std() == pytest.approx(sigma, rel=0.02)
    assert abs(delta.mean()) < 0.01 * sigma + 0.005


@pytest.mark.parametrize("fraction", [0.05, 0.1])
def test_salt_pepper_sets_a_fraction_of_pixels_to_black_or_white(digits, fraction):
    clean = testsets.make(digits, {"type": "clean"}, 0)
    noisy = testsets.make(digits, {"type": "salt_pepper", "fraction": fraction}, 0)
    low = (0 - digits["mean"][0]) / digits["std"][0]
    high = (1 - digits["mean"][0]) / digits["std"][0]
    changed = noisy != clean
    assert np.isin(noisy[changed], np.float32([low, high])).all()
    hit = np.isclose(noisy, low) | np.isclose(noisy, high)
    # pixels already black stay black when hit by pepper, so count hits, not changes
    assert hit.mean() >= fraction * 0.9
    assert changed.mean() <= fraction * 1.1


def test_level_of_each_type():
    assert testsets.level({"type": "clean"}) == 0.0
    assert testsets.level({"type": "gaussian", "sigma": 0.25}) == 0.25
    assert testsets.level({"type": "salt_pepper", "fraction": 0.1}) == 0.1
