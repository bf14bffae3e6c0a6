"""Optimizers from one phase of a config ``optimizers`` entry (see ``study.phases``).

SGD (with momentum) is written out here with exactly the arithmetic of torch's single-tensor
implementation, and Adam calls torch's own fused Adam kernel, as ``torch.optim.Adam(
fused=True)`` does (same results bit for bit, tested), because every ``torch.optim``
optimizer imports ``torch._dynamo`` on first use: about one second of start-up in every
training job, more than a digits run's whole training. The fused kernel, not the
single-tensor Adam, because on the CPU the latter's ``sqrt`` is MKL's vector square root,
which rounds differently on Intel and AMD CPUs (see ``lossbench.plumbing.numerics``); the fused
kernel's is the correctly rounded instruction. No per-step hooks either.
"""

from __future__ import annotations

import torch

_OPTIONS = {
    "sgd": ("lr", "momentum", "weight_decay", "nesterov"),
    "adam": ("lr", "betas", "eps", "weight_decay"),
}


class _Optimizer:
    """The part of ``torch.optim.Optimizer`` the training loop uses; state is a dict of lists."""

    def __init__(self, parameters, state: dict):
        self.params = list(parameters)
        self.state = state

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.params:
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.zero_()

    def state_dict(self) -> dict:
        return {k: list(v) if isinstance(v, list) else v for k, v in self.state.items()}

    def load_state_dict(self, state: dict) -> None:
        if set(state) != set(self.state):
            raise ValueError(f"optimizer state has keys {sorted(state)}, not {sorted(self.state)}")
        self.state = {k: list(v) if isinstance(v, list) else v for k, v in state.items()}


class SGD(_Optimizer):
    def __init__(self, parameters, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(parameters, {})
        self.state["momentum_buffer"] = [None] * len(self.params)
        self.lr, self.momentum, self.weight_decay, self.nesterov = (
            lr,
            momentum,
            weight_decay,
            nesterov,
        )

    @torch.no_grad()
    def step(self) -> None:
        buffers = self.state["momentum_buffer"]
        for i, param in enumerate(self.params):
            grad = param.grad
            if self.weight_decay != 0:
                grad = grad.add(param, alpha=self.weight_decay)
            if self.momentum != 0:
                if buffers[i] is None:
                    buffers[i] = grad.detach().clone()
                else:
                    buffers[i].mul_(self.momentum).add_(grad)
                grad = grad.add(buffers[i], alpha=self.momentum) if self.nesterov else buffers[i]
            param.add_(grad, alpha=-self.lr)


class Adam(_Optimizer):
    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(parameters, {"step": 0})
        self.state["exp_avg"] = [torch.zeros_like(p) for p in self.params]
        self.state["exp_avg_sq"] = [torch.zeros_like(p) for p in self.params]
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    @torch.no_grad()
    def step(self) -> None:
        self.state["step"] += 1
        # the kernel reads the step count from a tensor per parameter; it does not change it
        step = torch.tensor(float(self.state["step"]), device=self.params[0].device)
        torch._fused_adam_(
            self.params,
            [param.grad for param in self.params],
            self.state["exp_avg"],
            self.state["exp_avg_sq"],
            [],
            [step] * len(self.params),
            lr=self.lr,
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=self.weight_decay,
            eps=self.eps,
            amsgrad=False,
            maximize=False,
        )


_CLASSES = {"sgd": SGD, "adam": Adam}


def build(spec: dict, parameters) -> _Optimizer:
    """An optimizer for one phase; options not given keep torch's defaults."""
    kind = spec["type"]
    options = {k: spec[k] for k in _OPTIONS[kind] if k in spec}
    if "betas" in options:
        options["betas"] = tuple(options["betas"])
    return _CLASSES[kind](parameters, **options)
