"""The training loop in-process: seeds, fresh models, threads, phases, history."""

import numpy as np
import pytest
import torch

from lossbench import study
from lossbench.data import datasets, testsets
from lossbench.plumbing.errors import ConfigError
from lossbench.train import loop, models, runtime


@pytest.fixture(scope="module")
def digits():
    data = datasets.load("digits")
    noisy = testsets.make(data, {"type": "gaussian", "sigma": 1.0}, 0)
    return data, noisy


MLP = {"type": "mlp", "hidden": [32]}
SGD = {"type": "sgd", "lr": 0.1, "momentum": 0.9}


def run(digits, phases, seed=0, loss=None, **kwargs):
    data, noisy = digits
    return loop.train(
        data=data,
        noisy_x=noisy,
        model_spec=kwargs.pop("model", MLP),
        loss_spec=loss or {"type": "cross_entropy"},
        phases=phases,
        batch_size=128,
        seed=seed,
        device=torch.device("cpu"),
        log=lambda line: None,
        **kwargs,
    )


def test_history_has_the_studys_series_per_epoch(digits):
    outcome = run(digits, study.phases(SGD, 3))
    assert [row["epoch"] for row in outcome.history] == [1, 2, 3]
    assert list(outcome.history[0]) == loop.HISTORY_COLUMNS
    last = outcome.history[-1]
    assert last["test_acc"] > 0.85  # digits learns fast
    assert last["noisy_acc"] < last["test_acc"]  # sigma = 1 noise hurts
    final = outcome.status.pop("final")
    assert outcome.status == {"status": "ok", "epochs_planned": 3, "epochs_completed": 3}
    # the final weights scored on the whole training set, not the epoch's running average
    assert 0.85 < final["train_acc"] <= 1 and final["train_acc"] != last["train_acc"]
    assert final["train_nll"] == final["train_loss"] > 0  # the loss is cross-entropy
    # clean labels: the true labels are the labels it trained on
    assert (final["true_acc"], final["true_nll"]) == (final["train_acc"], final["train_nll"])


def test_same_seed_same_numbers_other_seed_other_numbers(digits):
    a, b = run(digits, study.phases(SGD, 2)), run(digits, study.phases(SGD, 2))
    c = run(digits, study.phases(SGD, 2), seed=1)
    assert a.history == b.history
    assert a.history != c.history
    for key in a.state_dict:
        assert torch.equal(a.state_dict[key], b.state_dict[key])


def test_every_optimizer_starts_from_a_fresh_model_built_from_the_seed(digits):
    """The original study reused one trained model across optimizers; here none is reused."""
    adam = {"type": "adam"}
    alone = run(digits, study.phases(adam, 2))
    run(digits, study.phases(SGD, 2))  # training another optimizer first changes nothing
    again = run(digits, study.phases(adam, 2))
    assert alone.history == again.history
    torch.manual_seed(0)
    initial = models.build(MLP, (1, 8, 8), 10).state_dict()
    assert not torch.equal(initial["1.weight"], alone.state_dict["1.weight"])


def test_phases_continue_one_model_with_a_new_optimizer(digits):
    plan = [{**SGD, "epochs": 2}, {"type": "adam", "epochs": 2}]
    outcome = run(digits, plan)
    assert [r["phase"] for r in outcome.history] == [1, 1, 2, 2]
    assert [r["phase_optimizer"] for r in outcome.history] == ["sgd", "sgd", "adam", "adam"]
    first_phase = run(digits, plan[:1])
    assert outcome.history[:2] == first_phase.history  # phase 2 starts from phase 1's model


def test_configure_honours_the_thread_count():
    before = torch.get_num_threads()
    try:
        runtime.configure(1, deterministic=False)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_cnn_trains_on_image_shaped_data(digits):
    outcome = run(
        digits, study.phases(SGD, 1), model={"type": "cnn", "channels": [4], "hidden": 16}
    )
    assert np.isfinite(outcome.history[0]["train_loss"])


def test_auto_device_is_cpu_without_cuda():
    if torch.cuda.is_available():
        assert runtime.resolve_device("auto").type == "cuda"
    else:
        assert runtime.resolve_device("auto").type == "cpu"
        with pytest.raises(ConfigError, match="no CUDA device"):
            runtime.resolve_device("cuda")


class PixelClass(torch.nn.Module):
    """Predicts the class written into an image's first pixel (value 20 x class): a model
    whose every prediction the test fixes."""

    def forward(self, x):
        return -(x.flatten(1)[:, :1] * 255 / 20 - torch.arange(10)).abs()


def test_memorisation_counts_the_corrupted_examples_fitted_to_each_label():
    predicted = [1, 2, 7, 0]  # of the corrupted training images 0-3
    images = torch.tensor([20 * c for c in predicted], dtype=torch.float).reshape(4, 1, 1, 1)
    logits = PixelClass()(images / 255)
    noisy_labels, true_labels = torch.tensor([1, 2, 3, 4]), torch.tensor([5, 6, 7, 8])
    # a run with corrupted labels, and one of a pack where nothing is corrupted
    fitted, nothing = loop.corrupted_fit(
        [logits, None], (noisy_labels, true_labels), torch.device("cpu")
    )
    # images 0 and 1 predicted as their corrupted label, image 2 as its true one, 3 as neither
    assert fitted.tolist() == [0.5, 0.25]
    assert torch.isnan(nothing).all()
