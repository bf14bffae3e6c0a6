"""Several models of one architecture as one: stacked parameters, one forward, one update.

A :class:`Pack` holds M runs' parameters as one tensor per parameter, ``(M, *shape)``, each
run's slice with the strides its own model has (the CNN's channels-last weights included).
The pack's input holds each run's rows in turn, ``(M·B, ...)``. On the CPU (not ``batched``)
each run goes through its own layers on its rows and slices (:meth:`Pack._each`; for a layer
with parameters :data:`_LAYERS`, the very operator the model's own ``forward`` calls), so every
run computes the bits it computes alone, whatever the pack holds, at any thread count: the
batched matrix products of ``torch.bmm`` are not the same bits as ``torch.addmm``'s (they
differ for weight gradients of 10 outputs, for products of < 400 multiply-adds and with 2
threads), and that is a measured, not a supposed, difference. On a GPU, where a job's cost is
the host's kernel launches and bits differ from the CPU's anyway, ``batched`` runs the layers
without parameters once on the whole pack's activations and makes each linear layer one
``baddbmm`` for the whole pack.

The optimizer updates the runs' slices (:meth:`Pack.params`, :meth:`Pack.grads`, run by run)
in one call per operator (``lossbench.train.optim``). A run leaves a pack (it diverged) or
joins one (it resumed one epoch behind) by building a new pack from the runs' own weights
(:meth:`Pack.weights`) and optimizer states: stacking copies values, it changes none.
"""

from __future__ import annotations

import contextlib
import warnings

import torch
import torch.nn.functional as F
from torch import nn

#: the operator each layer with parameters computes, as its ``forward`` calls it
_LAYERS = {
    nn.Linear: lambda layer, x, weight, bias: F.linear(x, weight, bias),
    nn.Conv2d: lambda layer, x, weight, bias: layer._conv_forward(x, weight, bias),
}


def _stacked(tensors: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    """``tensors`` (one shape, dense) as one ``(M, *shape)`` tensor whose every slice keeps
    the strides of the first: a channels-last weight stays channels-last in the pack."""
    first = tensors[0]
    out = torch.empty_strided(
        (len(tensors), *first.shape),
        (first.numel(), *first.stride()),
        dtype=first.dtype,
        device=device,
    )
    for slot, tensor in zip(out, tensors, strict=True):
        slot.copy_(tensor)
    return out


class Pack:
    """The parameters of ``len(weights)`` runs of ``template``'s architecture, stacked.

    ``template`` gives the layers (its own parameters are not used); ``weights`` is each
    run's ``state_dict``.
    """

    def __init__(
        self,
        template: nn.Sequential,
        weights: list[dict[str, torch.Tensor]],
        device: torch.device,
        batched: bool = False,
    ):
        self.runs, self.batched = len(weights), batched
        self.names = list(weights[0])
        self.stack = {
            name: _stacked([w[name] for w in weights], device).requires_grad_()
            for name in self.names
        }
        #: each layer, and the pack's (weight, bias) for it or None
        self.layers = [
            (
                layer,
                (self.stack[f"{i}.weight"], self.stack[f"{i}.bias"])
                if type(layer) in _LAYERS
                else None,
            )
            for i, layer in enumerate(template)
        ]
        if sum(p is not None for _, p in self.layers) * 2 != len(self.names):
            raise ValueError(f"cannot pack a model with parameters {self.names}")

    def params(self) -> list[torch.Tensor]:
        """Every run's slice of every parameter, run by run (the optimizer's order)."""
        return [self.stack[name][i] for i in range(self.runs) for name in self.names]

    def grads(self) -> list[torch.Tensor]:
        """The gradients of :meth:`params`, in the same order."""
        return [self.stack[name].grad[i] for i in range(self.runs) for name in self.names]

    def zero_grad(self) -> None:
        for tensor in self.stack.values():
            tensor.grad = None

    def weights(self, run: int) -> dict[str, torch.Tensor]:
        """Run ``run``'s ``state_dict``, as its own model's would be (a copy, on the CPU)."""
        return {name: self.stack[name][run].detach().cpu().clone() for name in self.names}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every run: ``x`` holds each run's rows in turn, ``(runs·B, ...)``."""
        if not self.batched:
            return torch.cat(self._each(x.chunk(self.runs)))
        for layer, parameters in self.layers:
            if parameters is None:
                x = layer(x)
            elif isinstance(layer, nn.Linear):
                weight, bias = parameters
                rows = x.view(self.runs, -1, x.shape[-1])
                x = torch.baddbmm(bias.unsqueeze(1), rows, weight.transpose(1, 2)).flatten(0, 1)
            else:
                compute = _LAYERS[type(layer)]
                parts = [
                    compute(layer, rows, weight, bias)
                    for rows, weight, bias in zip(
                        x.chunk(self.runs), *(p.unbind(0) for p in parameters), strict=True
                    )
                ]
                x = torch.cat(parts) if len(parts) > 1 else parts[0]
        return x

    def _each(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Each run's logits of its ``inputs[run]``, every run through its own layers: on the
        CPU, merging the runs' activations for the layers without parameters saves nothing
        and costs a copy of them around every layer with parameters (a pack of 8 CNNs took
        twice a lone CNN's time per run that way)."""
        unbound = [(layer, p and [t.unbind(0) for t in p]) for layer, p in self.layers]
        logits = []
        for run, x in enumerate(inputs):
            for layer, parameters in unbound:
                if parameters is None:
                    x = layer(x)
                else:
                    weight, bias = (tensors[run] for tensors in parameters)
                    x = _LAYERS[type(layer)](layer, x, weight, bias)
            logits.append(x)
        return logits

    @torch.no_grad()
    def logits(self, x: torch.Tensor, prepare=None, batch: int = 256) -> list[torch.Tensor]:
        """Every run's logits of the same ``x``, in batches of ``batch`` as
        ``evaluation.logits_of`` scores one model (the same bits); ``prepare`` turns a slice of
        ``x`` into model input (default: it is)."""
        parts = []
        for i in range(0, len(x), batch):
            rows = x[i : i + batch] if prepare is None else prepare(x[i : i + batch])
            if self.batched:
                repeated = rows.repeat(self.runs, *[1] * (rows.dim() - 1))
                parts.append(self(repeated).chunk(self.runs))
            else:
                parts.append(self._each([rows] * self.runs))
        return [torch.cat(run) for run in zip(*parts, strict=True)]


#: eager steps before a CUDA graph is captured (on a side stream, as torch's documentation
#: asks: the allocator and the kernels' first-call set-up settle first)
WARM_UP = 2


class Steps:
    """The training steps of a pack: each run's batch (rows ``idx[i]`` of ``inputs``) through
    the pack, each run's loss on its own slice of the logits, one backward of their sum (each
    run's gradient is its own loss's), one optimizer call; each run's loss sum and correct
    predictions add up on the device (:meth:`epoch` starts them at zero).

    With ``graphs`` (CUDA), a step of full batches (``batch`` rows per run) is captured once
    in a CUDA graph after :data:`WARM_UP` eager ones and replayed from then on: one launch for
    the whole step instead of hundreds, which are a GPU job's cost at these sizes. The graph's
    shapes are fixed, so the last, partial batch of an epoch takes an eager step: the same
    arithmetic, no row dropped or padded. ``capture`` turns a step into something that
    ``replay()``s it (default: a CUDA graph; the tests' stand-in runs it again).
    """

    def __init__(
        self, pack, optimizer, loss_fns, inputs, labels, batch, graphs=False, capture=None
    ):
        self.pack, self.optimizer, self.loss_fns = pack, optimizer, loss_fns
        self.inputs, self.labels, self.batch = inputs, labels, batch
        device = next(iter(pack.stack.values())).device
        self.loss_sum = torch.zeros(pack.runs, device=device)
        self.correct = torch.zeros(pack.runs, device=device, dtype=torch.long)
        self.graphs, self.capture = graphs, capture or _cuda_graph
        self.side_stream = graphs and device.type == "cuda"
        self.warm, self.graph, self.static = 0, None, None

    def epoch(self) -> None:
        self.loss_sum.zero_()
        self.correct.zero_()

    def __call__(self, idx: torch.Tensor) -> None:
        """One step on the batches ``idx``, ``(runs, rows)`` indices into ``inputs``."""
        full = idx.shape[1] == self.batch
        if self.graphs and full and self.graph is None and self.warm >= WARM_UP:
            self.static = idx.clone()
            try:
                self.graph = self.capture(lambda: self._step(self.static))  # records only
            except RuntimeError as err:  # an operator that cannot be captured: stay eager
                warnings.warn(f"steps stay eager: capturing one failed ({err})", stacklevel=2)
                self.graphs = False
        if self.graph is not None and full:
            self.static.copy_(idx)
            self.graph.replay()
            return
        with _side_stream(self.side_stream):
            self._step(idx)
        self.warm += full

    def _step(self, idx: torch.Tensor) -> None:
        flat, runs = idx.reshape(-1), self.pack.runs
        labels = self.labels.index_select(0, flat)
        logits = self.pack(self.inputs(flat))
        loss = torch.stack(
            [
                loss_fn(z, y)
                for loss_fn, z, y in zip(
                    self.loss_fns, logits.chunk(runs), labels.chunk(runs), strict=True
                )
            ]
        )
        self.pack.zero_grad()
        loss.sum().backward()
        self.optimizer.step(self.pack.grads())
        self.loss_sum += loss.detach() * idx.shape[1]
        self.correct += (logits.argmax(dim=1) == labels).view(runs, -1).sum(dim=1)


def _cuda_graph(step):
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    return graph


@contextlib.contextmanager
def _side_stream(on: bool):
    """Eager steps of a pack that will be captured run on a side stream."""
    if not on:
        yield
        return
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        yield
    torch.cuda.current_stream().wait_stream(stream)
