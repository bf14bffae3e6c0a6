"""Losses against their formulas, and focal loss where the naive form breaks."""

import math

import pytest
import torch
import torch.nn.functional as F

from lossbench.train import losses


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 10, generator=generator, dtype=torch.float64) * 3
    target = torch.randint(0, 10, (64,), generator=generator)
    return logits, target


def focal_by_formula(logits, target, gamma, alpha=None):
    p = logits.softmax(dim=1)[torch.arange(len(target)), target]
    weight = 1.0 if alpha is None else alpha[target]
    return (weight * (1 - p) ** gamma * -torch.log(p)).mean()


def test_focal_with_gamma_zero_is_cross_entropy(batch):
    logits, target = batch
    focal = losses.build({"type": "focal", "gamma": 0.0})
    torch.testing.assert_close(focal(logits, target), F.cross_entropy(logits, target))


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("with_alpha", [False, True])
def test_focal_matches_its_formula(batch, gamma, with_alpha):
    logits, target = batch
    alpha = torch.linspace(0.1, 1.0, 10, dtype=torch.float64) if with_alpha else None
    spec = {"type": "focal", "gamma": gamma}
    if with_alpha:
        spec["alpha"] = alpha.tolist()
    got = losses.build(spec)(logits.float(), target)
    expected = focal_by_formula(logits.float().double(), target, gamma, alpha)
    torch.testing.assert_close(got.double(), expected, rtol=1e-5, atol=1e-6)


def test_alpha_reweights_classes(batch):
    logits, target = batch
    plain = losses.build({"type": "focal", "gamma": 2.0})(logits, target)
    doubled = losses.build({"type": "focal", "gamma": 2.0, "alpha": [2.0] * 10})(logits, target)
    torch.testing.assert_close(doubled, 2 * plain)


def test_mae_is_l1_between_probabilities_and_onehot(batch):
    logits, target = batch
    probs = logits.softmax(dim=1)
    onehot = torch.zeros_like(probs)
    onehot[torch.arange(len(target)), target] = 1
    expected = (probs - onehot).abs().sum(dim=1).mean()
    got = losses.build({"type": "mae"})(logits, target)
    torch.testing.assert_close(got, expected)
    # on probabilities: the L1 distance of a distribution to a one-hot is 2 (1 - p_y)
    p_y = probs[torch.arange(len(target)), target]
    torch.testing.assert_close(got, (2 * (1 - p_y)).mean())


def test_mae_is_bounded_by_two():
    logits = torch.tensor([[1e4, -1e4, 0.0]])
    assert losses.mae(logits, torch.tensor([1])).item() == pytest.approx(2.0)


def test_cross_entropy_is_torchs(batch):
    logits, target = batch
    torch.testing.assert_close(
        losses.build({"type": "cross_entropy"})(logits, target), F.cross_entropy(logits, target)
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_focal_is_finite_with_finite_gradients_on_saturated_logits(gamma, scale):
    logits = torch.zeros(8, 10)
    logits[:, 3] = scale  # p_t rounds to 1 (scale > 0, target 3) or to 0 (scale < 0)
    logits.requires_grad_(True)
    target = torch.full((8,), 3)
    loss = losses.build({"type": "focal", "gamma": gamma})(logits, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all()


def test_naive_focal_form_is_what_breaks():
    """The original pt = exp(-ce) form yields NaN gradients for gamma = 0.5 at saturation."""
    logits = torch.zeros(4, 10)
    logits[:, 3] = 1e4
    logits.requires_grad_(True)
    ce = F.cross_entropy(logits, torch.full((4,), 3), reduction="none")
    ((1 - torch.exp(-ce)) ** 0.5 * ce).mean().backward()
    assert not torch.isfinite(logits.grad).all()


def test_unknown_loss_type_names_the_choices():
    with pytest.raises(ValueError, match="allowed: mae, cross_entropy, focal"):
        losses.build({"type": "hinge"})


# The losses of the noisy-label literature, each against its formula at a hand-computed point:
# logits [log 2, 0, 0] give p = [0.5, 0.25, 0.25]; the target is class 0 (p_y = 0.5).
POINT = torch.tensor([[math.log(2.0), 0.0, 0.0]], dtype=torch.float64)
TARGET = torch.tensor([0])
BY_HAND = {
    "gce": ({"type": "gce", "q": 0.7}, (1 - 0.5**0.7) / 0.7),
    # alpha CE + beta RCE, RCE = -A (1 - p_y) with A = -4
    "sce": ({"type": "sce", "alpha": 0.1, "beta": 1.0}, 0.1 * math.log(2) + 4 * 0.5),
    # NCE = -log p_y / -sum_k log p_k = log 2 / (log 2 + 2 log 4) = 0.2
    "nce_rce": ({"type": "nce_rce", "alpha": 1.0, "beta": 1.0}, 0.2 + 4 * 0.5),
    # CE against (1 - eps) onehot + eps / C: -(0.9 + 0.1/3) log 0.5 - 2 (0.1/3) log 0.25
    "label_smoothing": (
        {"type": "label_smoothing", "epsilon": 0.1},
        -(0.9 + 0.1 / 3) * math.log(0.5) - 2 * (0.1 / 3) * math.log(0.25),
    ),
    "poly1": ({"type": "poly1", "epsilon": 1.0}, math.log(2) + 0.5),
    "mae": ({"type": "mae"}, 2 * 0.5),
}


@pytest.mark.parametrize("name", BY_HAND)
def test_noisy_label_losses_match_their_formulas_by_hand(name):
    spec, expected = BY_HAND[name]
    assert losses.build(spec)(POINT, TARGET).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", BY_HAND)
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_every_loss_is_finite_with_finite_gradients_on_saturated_logits(name, scale):
    logits = torch.zeros(8, 10)
    logits[:, 3] = scale  # p_y rounds to 1 (scale > 0) or to 0 (scale < 0)
    logits.requires_grad_(True)
    loss = losses.build(BY_HAND[name][0])(logits, torch.full((8,), 3))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_gce_tends_to_cross_entropy_as_q_goes_to_zero(batch):
    logits, target = batch
    gce = losses.build({"type": "gce", "q": 1e-6})(logits, target)
    torch.testing.assert_close(gce, F.cross_entropy(logits, target), rtol=1e-4, atol=1e-5)


def test_balanced_alpha_weighs_classes_by_inverse_frequency(batch):
    logits, target = batch
    counts = [10, 30, 60, 100, 5, 5, 50, 40, 20, 80]
    weights = losses.class_weights({"alpha": "balanced"}, counts)
    expected = torch.tensor([400 / (10 * c) for c in counts], dtype=torch.float32)
    torch.testing.assert_close(weights, expected)
    # every class contributes alike in expectation: sum over classes of n_c w_c is n each
    assert (torch.tensor(counts) * weights).tolist() == pytest.approx([40.0] * 10)
    ce = losses.build({"type": "cross_entropy", "alpha": "balanced"}, counts)(logits, target)
    per_sample = F.cross_entropy(logits, target, reduction="none")
    torch.testing.assert_close(ce, (weights.double()[target] * per_sample).mean())
    focal = losses.build({"type": "focal", "gamma": 0.0, "alpha": "balanced"}, counts)
    torch.testing.assert_close(focal(logits, target), ce)
