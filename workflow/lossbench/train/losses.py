"""Loss functions, one registry from config ``type`` to constructor.

Each loss maps (logits (N, C), integer targets (N,)) to a scalar, the mean over samples.
Adding a loss means one function here, one registry line and its tests; no rule changes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: below this, (1 - p_t) is clamped: (1 - p_t)^gamma has an infinite derivative at 0 for gamma < 1
_FOCAL_EPS = 1e-12


def mae(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over samples of ||softmax(z) - onehot(y)||_1 (a sum over classes; range [0, 2]).

    Computed on probabilities, never on raw logits: the L1 distance of a distribution to the
    one-hot target, the bounded loss known for its robustness to label noise.
    """
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, num_classes=logits.shape[1]).to(probs.dtype)
    return (probs - onehot).abs().sum(dim=1).mean()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, target)


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
    log_pt = logits.log_softmax(dim=1).gather(1, target[:, None]).squeeze(1)
    one_minus_pt = (-torch.expm1(log_pt)).clamp_min(_FOCAL_EPS)
    exponent = torch.full((1,), gamma, dtype=log_pt.dtype, device=log_pt.device)
    loss = one_minus_pt.pow(exponent) * (-log_pt)
    if alpha is not None:
        loss = alpha.to(loss.device, loss.dtype)[target] * loss
    return loss.mean()


def _build_focal(spec: dict) -> LossFn:
    gamma = float(spec["gamma"])
    alpha = spec.get("alpha")
    alpha_t = None if alpha is None else torch.tensor(alpha, dtype=torch.float32)

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return focal(logits, target, gamma, alpha_t)

    return loss


REGISTRY: dict[str, Callable[[dict], LossFn]] = {
    "mae": lambda spec: mae,
    "cross_entropy": lambda spec: cross_entropy,
    "focal": _build_focal,
}


def build(spec: dict) -> LossFn:
    """The loss function a config entry (``{type: ..., params...}``) describes."""
    try:
        factory = REGISTRY[spec["type"]]
    except KeyError:
        raise ValueError(
            f"unknown loss type '{spec['type']}'; allowed: {', '.join(REGISTRY)}"
        ) from None
    return factory(spec)
