"""Loss functions, one registry from config ``type`` to constructor.

Each loss maps (logits (N, C), integer targets (N,)) to a scalar, the mean over samples.
Adding a loss means one function here, one registry line and its tests; no rule changes.
Everything is computed from ``log_softmax``/``softmax`` of the logits, so every loss and its
gradient stay finite at saturated logits. Probabilities p_k = softmax(z)_k; y is the target.

* ``mae``: Σ_k |p_k − onehot_k| = 2(1 − p_y) (Ghosh et al. 2017; some papers' code uses
  1 − p_y, half the gradient).
* ``cross_entropy``: −log p_y; ``alpha`` weighs each sample by its class.
* ``focal`` (γ, α): α_y (1 − p_y)^γ (−log p_y) (Lin et al. 2017).
* ``gce`` (q): (1 − p_y^q)/q, generalized cross-entropy (Zhang & Sabuncu 2018): CE as q → 0,
  MAE's half as q = 1.
* ``sce`` (α, β): α·CE + β·RCE, symmetric cross-entropy (Wang et al. 2019). RCE =
  −Σ_k p_k log q_k against the one-hot label q, with log 0 clamped to A = −4 as in the paper,
  so RCE = −A(1 − p_y) = 4(1 − p_y). (The Active-Passive code clamps the one-hot at 1e-4,
  A = log 1e-4 ≈ −9.21: the same loss with β 2.3 times larger.)
* ``nce_rce`` (α, β): α·NCE + β·RCE, NCE = (−log p_y) / (−Σ_k log p_k), the normalized
  cross-entropy of the Active-Passive losses (Ma et al. 2020); RCE as in ``sce``.
* ``label_smoothing`` (ε): CE against (1 − ε)·onehot + ε/C.
* ``poly1`` (ε): CE + ε(1 − p_y) (Leng et al. 2022).

``alpha: balanced`` (cross-entropy and focal) weighs class c by n / (C·n_c), the inverse
frequency of the run's own training labels (``class_counts``), so that every class contributes
equally in expectation (scikit-learn's "balanced").
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: below this, (1 - p_t) is clamped: (1 - p_t)^gamma has an infinite derivative at 0 for gamma < 1
_FOCAL_EPS = 1e-12
#: log 0 in the reverse cross-entropy, as Wang et al. 2019 clamp it
RCE_LOG_ZERO = -4.0


def _log_p_y(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return logits.log_softmax(dim=1).gather(1, target[:, None]).squeeze(1)


def _p_y(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return logits.softmax(dim=1).gather(1, target[:, None]).squeeze(1)


def _weighted_mean(loss: torch.Tensor, target: torch.Tensor, alpha) -> torch.Tensor:
    if alpha is not None:
        loss = alpha.to(loss.device, loss.dtype)[target] * loss
    return loss.mean()


def mae(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over samples of ||softmax(z) - onehot(y)||_1 (a sum over classes; range [0, 2]).

    Computed on probabilities, never on raw logits: the L1 distance of a distribution to the
    one-hot target, the bounded loss known for its robustness to label noise.
    """
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, num_classes=logits.shape[1]).to(probs.dtype)
    return (probs - onehot).abs().sum(dim=1).mean()


def cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, alpha: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of α_y·(−log p_y) over samples (plain cross-entropy without ``alpha``)."""
    if alpha is None:
        return F.cross_entropy(logits, target)
    return _weighted_mean(-_log_p_y(logits, target), target, alpha)


def focal(
    logits: torch.Tensor,
    target: torch.Tensor,
    gamma: float,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """Focal loss, mean over samples of alpha_t (1 - p_t)^gamma (-log p_t).

    Works from log-softmax so it stays finite for saturated logits: 1 - p_t is computed as
    -expm1(log p_t), which keeps precision where p_t rounds to 1, and it is clamped away from 0
    so the gradient of (1 - p_t)^gamma stays finite for 0 < gamma < 1 (the original
    ``pt = exp(-ce)`` form diverges to NaN there). The power takes ``gamma`` as a tensor: with
    a Python number torch computes gamma = 0.5 with MKL's vector square root, which rounds
    differently on Intel and AMD CPUs (see ``lossbench.plumbing.numerics``).
    """
    log_pt = _log_p_y(logits, target)
    one_minus_pt = (-torch.expm1(log_pt)).clamp_min(_FOCAL_EPS)
    exponent = torch.full((1,), gamma, dtype=log_pt.dtype, device=log_pt.device)
    return _weighted_mean(one_minus_pt.pow(exponent) * (-log_pt), target, alpha)


def gce(logits: torch.Tensor, target: torch.Tensor, q: float) -> torch.Tensor:
    """Mean of (1 − p_y^q)/q, with p_y^q = exp(q log p_y): finite gradient as p_y → 0."""
    return ((1 - torch.exp(q * _log_p_y(logits, target))) / q).mean()


def rce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean reverse cross-entropy −Σ_k p_k log q_k = −A(1 − p_y), log 0 clamped to A."""
    return (-RCE_LOG_ZERO * (1 - _p_y(logits, target))).mean()


def nce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean normalized cross-entropy (−log p_y) / (−Σ_k log p_k)."""
    log_p = logits.log_softmax(dim=1)
    return (log_p.gather(1, target[:, None]).squeeze(1) / log_p.sum(dim=1)).mean()


def label_smoothing(logits: torch.Tensor, target: torch.Tensor, epsilon: float) -> torch.Tensor:
    return F.cross_entropy(logits, target, label_smoothing=epsilon)


def poly1(logits: torch.Tensor, target: torch.Tensor, epsilon: float) -> torch.Tensor:
    """Mean of −log p_y + ε(1 − p_y)."""
    return (-_log_p_y(logits, target) + epsilon * (1 - _p_y(logits, target))).mean()


def class_weights(spec: dict, class_counts) -> torch.Tensor | None:
    """The per-class weights of a loss's ``alpha``: None, the given list, or ``balanced``."""
    alpha = spec.get("alpha")
    if alpha is None:
        return None
    if alpha == "balanced":
        if class_counts is None:
            raise ValueError("alpha: balanced needs the class counts of the training labels")
        counts = torch.as_tensor(class_counts, dtype=torch.float64).clamp_min(1)
        return (counts.sum() / (len(counts) * counts)).to(torch.float32)
    return torch.tensor(alpha, dtype=torch.float32)


#: each loss as (logits, targets, its config entry, its class weights or None) -> mean loss
REGISTRY: dict[str, Callable[..., torch.Tensor]] = {
    "mae": lambda z, y, spec, alpha: mae(z, y),
    "cross_entropy": lambda z, y, spec, alpha: cross_entropy(z, y, alpha),
    "focal": lambda z, y, spec, alpha: focal(z, y, float(spec["gamma"]), alpha),
    "gce": lambda z, y, spec, alpha: gce(z, y, float(spec["q"])),
    "sce": lambda z, y, spec, alpha: (
        spec["alpha"] * F.cross_entropy(z, y) + spec["beta"] * rce(z, y)
    ),
    "nce_rce": lambda z, y, spec, alpha: spec["alpha"] * nce(z, y) + spec["beta"] * rce(z, y),
    "label_smoothing": lambda z, y, spec, alpha: label_smoothing(z, y, spec["epsilon"]),
    "poly1": lambda z, y, spec, alpha: poly1(z, y, spec["epsilon"]),
}
#: the losses whose ``alpha`` weighs classes (sce's and nce_rce's weigh their two terms)
CLASS_WEIGHTED = ("cross_entropy", "focal")


def build(spec: dict, class_counts=None, device: torch.device | None = None) -> LossFn:
    """The loss function a config entry (``{type: ..., params...}``) describes.

    ``class_counts`` (labels per class of the run's training set) serve ``alpha: balanced``;
    the class weights are put on ``device`` once (a copy from the host at every step would
    wait for the GPU, and cannot be captured in a CUDA graph).
    Parameters left out take the schema's defaults (filled in with the config).
    """
    try:
        compute = REGISTRY[spec["type"]]
    except KeyError:
        raise ValueError(
            f"unknown loss type '{spec['type']}'; allowed: {', '.join(REGISTRY)}"
        ) from None
    weights = class_weights(spec, class_counts) if spec["type"] in CLASS_WEIGHTED else None
    if weights is not None and device is not None:
        weights = weights.to(device)

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return compute(logits, target, spec, weights)

    return loss
