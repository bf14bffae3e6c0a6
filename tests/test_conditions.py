"""Training conditions: the literature's definitions with exact per-class counts, made from
the condition's own seed, never touching the test set."""

import numpy as np
import pytest

from lossbench.data import conditions, datasets

LABELS = np.repeat(np.arange(10), 50)  # 50 images of each of 10 classes
CLASSES = 10


def made(spec, seed=0, pairs=None, labels=LABELS):
    return conditions.make(labels, CLASSES, spec, seed, pairs)


@pytest.mark.parametrize("rate", [0.2, 0.4, 0.8])
def test_symmetric_noise_moves_exactly_its_share_of_each_class_to_another_class(rate):
    out = made({"type": "symmetric", "rate": rate})
    assert (out["true"] == LABELS).all() and (out["indices"] == np.arange(len(LABELS))).all()
    assert (out["corrupted"] == (out["labels"] != out["true"])).all()
    for c in range(CLASSES):
        mine = out["true"] == c
        assert out["corrupted"][mine].sum() == round(rate * 50)  # exact per class
    # never to itself, and over the other classes (each drawn at least once over 400 flips)
    moved = out["labels"][out["corrupted"]]
    assert (moved != out["true"][out["corrupted"]]).all()
    assert out["corrupted"].mean() == pytest.approx(rate)
    if rate == 0.8:
        assert set(moved) == set(range(CLASSES))


def test_asymmetric_noise_moves_only_source_classes_to_their_targets():
    pairs = {7: 1, 2: 7, 5: 6, 6: 5, 3: 8}
    out = made({"type": "asymmetric", "rate": 0.4}, pairs=pairs)
    for c in range(CLASSES):
        mine = out["true"] == c
        flipped = out["corrupted"] & mine
        if c in pairs:
            assert flipped.sum() == 20 and (out["labels"][flipped] == pairs[c]).all()
        else:
            assert flipped.sum() == 0


def test_the_condition_seed_alone_fixes_the_labels():
    spec = {"type": "symmetric", "rate": 0.4}
    a, b, c = made(spec, seed=3), made(spec, seed=3), made(spec, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in conditions.KEYS)
    assert not np.array_equal(a["labels"], c["labels"])
    # the name of a condition is no part of it: the same spec twice is the same labels


@pytest.mark.parametrize("ratio", [1, 10, 50])
def test_imbalance_keeps_exactly_the_long_tail_counts(ratio):
    labels = np.repeat(np.arange(10), [60, 55, 70, 50, 80, 65, 58, 52, 75, 90])
    out = made({"type": "imbalance", "ratio": ratio}, labels=labels)
    kept = np.bincount(out["labels"], minlength=CLASSES)
    expected = [round(50 * ratio ** (-c / 9)) for c in range(CLASSES)]  # n_max: smallest class
    assert kept.tolist() == expected
    assert not out["corrupted"].any() and (out["labels"] == labels[out["indices"]]).all()
    assert (np.diff(out["indices"]) > 0).all()  # sorted, no image twice


def test_an_imbalance_that_empties_a_training_class_is_a_clear_error():
    with pytest.raises(Exception, match="without training images"):
        made({"type": "imbalance", "ratio": 1000})


def test_the_validation_split_carries_the_same_condition():
    data = datasets.load("digits")
    params = {"spec": {"type": "symmetric", "rate": 0.4}, "seed": 0, "pairs": None}
    out = conditions.from_params(data["train_y"], data["val_y"], CLASSES, params)
    assert out["corrupted"].mean() == pytest.approx(0.4, abs=0.01)
    assert out["val_corrupted"].mean() == pytest.approx(0.4, abs=0.02)
    assert len(out["val_labels"]) == len(data["val_y"])


def test_clean_is_the_training_set_as_it_is():
    out = made({"type": "clean"}, seed=None)
    assert (out["labels"] == LABELS).all() and not out["corrupted"].any()


def test_class_pairs_by_name_or_index_and_their_mistakes():
    spec = {"type": "asymmetric", "rate": 0.2, "pairs": {"truck": "automobile", 3: 5}}
    assert conditions.pairs_for("a", spec, "cifar10") == {9: 1, 3: 5}
    assert conditions.pairs_for("a", {"type": "asymmetric", "rate": 0.2}, "digits")[7] == 1
    with pytest.raises(Exception, match="lacks"):
        conditions.pairs_for("a", {**spec, "pairs": {"zebra": 1}}, "cifar10")
    with pytest.raises(Exception, match="to itself"):
        conditions.pairs_for("a", {**spec, "pairs": {1: 1}}, "digits")
    with pytest.raises(Exception, match="no default pairs"):
        conditions.pairs_for("a", {"type": "asymmetric", "rate": 0.2}, "fashion_mnist")
