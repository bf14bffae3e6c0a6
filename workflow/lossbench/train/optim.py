"""Optimizers from one phase of a config ``optimizers`` entry (see ``study.phases``).

SGD (with momentum) is written out here with exactly the arithmetic of torch's single-tensor
implementation, and Adam calls torch's own fused Adam kernel, as ``torch.optim.Adam(
fused=True)`` does (same results bit for bit, tested), because every ``torch.optim``
optimizer imports ``torch._dynamo`` on first use: about one second of start-up in every
training job, more than a digits run's whole training. The fused kernel, not the
single-tensor Adam, because on the CPU the latter's ``sqrt`` is MKL's vector square root,
which rounds differently on Intel and AMD CPUs (see ``lossbench.plumbing.numerics``); the fused
kernel's is the correctly rounded instruction. No per-step hooks either.

Both update a list of tensors, each by torch's own arithmetic for one tensor: SGD through
``torch._foreach_*`` (on the CPU a loop over the single-tensor operators, inside one call) and
Adam through the fused kernel, which also treats each tensor of its list on its own. So a pack
of runs (``lossbench.train.packed``) steps every run's slice of its stacked parameters as one
call, and each slice gets the bits it would get alone: one optimizer over the slices of all
runs, its state a list per run (:func:`per_run`, :func:`joined`).
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

    def grads(self) -> list[torch.Tensor]:
        return [param.grad for param in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.params:
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.zero_()

    def state_dict(self) -> dict:
        return {k: list(v) if isinstance(v, list) else v for k, v in self.state.items()}

    def load_state_dict(self, state: dict) -> None:
        """``state`` from :meth:`state_dict`, its tensors moved to the parameters' device (a
        checkpoint is read onto the CPU)."""
        if set(state) != set(self.state):
            raise ValueError(f"optimizer state has keys {sorted(state)}, not {sorted(self.state)}")
        device = self.params[0].device
        self.state = {
            k: [t if t is None else t.to(device) for t in v] if isinstance(v, list) else v
            for k, v in state.items()
        }


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
    def step(self, grads: list[torch.Tensor] | None = None) -> None:
        """One update with ``grads`` (default: each parameter's ``.grad``)."""
        grads = self.grads() if grads is None else grads
        if self.weight_decay != 0:
            grads = torch._foreach_add(grads, self.params, alpha=self.weight_decay)
        if self.momentum != 0:
            buffers = self.state["momentum_buffer"]
            if buffers[0] is None:  # the first step (every parameter steps together)
                buffers[:] = [grad.detach().clone() for grad in grads]
            else:
                torch._foreach_mul_(buffers, self.momentum)
                torch._foreach_add_(buffers, grads)
            grads = (
                torch._foreach_add(grads, buffers, alpha=self.momentum)
                if self.nesterov
                else buffers
            )
        torch._foreach_add_(self.params, grads, alpha=-self.lr)


class Adam(_Optimizer):
    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(parameters, {})
        # the step count lives where the parameters do, so that a step captured in a CUDA
        # graph counts on every replay; the kernel reads it and does not change it
        self.state["step"] = torch.zeros((), device=self.params[0].device)
        self.state["exp_avg"] = [torch.zeros_like(p) for p in self.params]
        self.state["exp_avg_sq"] = [torch.zeros_like(p) for p in self.params]
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    def load_state_dict(self, state: dict) -> None:
        # "step" was a Python int in checkpoints before packs
        step = torch.as_tensor(float(state["step"]), device=self.params[0].device)
        super().load_state_dict({**state, "step": step})

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor] | None = None) -> None:
        """One update with ``grads`` (default: each parameter's ``.grad``)."""
        self.state["step"] += 1
        torch._fused_adam_(
            self.params,
            self.grads() if grads is None else grads,
            self.state["exp_avg"],
            self.state["exp_avg_sq"],
            [],
            [self.state["step"]] * len(self.params),
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


def per_run(state: dict, runs: int) -> list[dict]:
    """The state of an optimizer over ``runs`` runs' tensors (run by run, each run's in the
    same order) as each run's own optimizer would hold it."""
    return [
        {
            k: v[i * len(v) // runs : (i + 1) * len(v) // runs] if isinstance(v, list) else v
            for k, v in state.items()
        }
        for i in range(runs)
    ]


def joined(states: list[dict]) -> dict:
    """The state of one optimizer over the runs whose own states are ``states`` (all from the
    same phase, so their step counts agree)."""
    return {
        k: [t for state in states for t in state[k]] if isinstance(v, list) else v
        for k, v in states[0].items()
    }
