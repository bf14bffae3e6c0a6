"""Torch optimizers from one phase of a config ``optimizers`` entry (see ``study.phases``)."""

from __future__ import annotations

import torch

_OPTIONS = {
    "sgd": ("lr", "momentum", "weight_decay", "nesterov"),
    "adam": ("lr", "betas", "eps", "weight_decay"),
}
_CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}


def build(spec: dict, parameters) -> torch.optim.Optimizer:
    """A torch optimizer for one phase; options not given keep torch's defaults."""
    kind = spec["type"]
    options = {k: spec[k] for k in _OPTIONS[kind] if k in spec}
    if "betas" in options:
        options["betas"] = tuple(options["betas"])
    return _CLASSES[kind](parameters, **options)
