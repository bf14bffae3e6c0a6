"""The CNN's speed choices (pool before ReLU, channels-last) against the textbook CNN."""

import copy

import torch
from torch import nn

from lossbench.train import models


def textbook(cnn: nn.Sequential, layout: torch.memory_format) -> nn.Sequential:
    """The same weights as ``cnn`` in conv -> ReLU -> pool order, in ``layout``."""
    layers, blocks = list(copy.deepcopy(cnn)), []
    while layers:
        layer = layers.pop(0)
        blocks += [layer, layers.pop(1), layers.pop(0)] if isinstance(layer, nn.Conv2d) else [layer]
    return nn.Sequential(*blocks).to(memory_format=layout)


def outputs_and_gradients(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    model.zero_grad(set_to_none=True)
    out = model(x)
    out.square().sum().backward()
    return [out.detach(), *(p.grad for p in model.parameters())]


def cnn_and_batch():
    torch.manual_seed(0)
    return models.cnn((1, 28, 28), 10), torch.randn(64, 1, 28, 28)


def test_pooling_before_the_relu_gives_the_same_bits():
    model, x = cnn_and_batch()
    ours = outputs_and_gradients(model, x)
    reference = outputs_and_gradients(textbook(model, torch.channels_last), x)
    assert all(torch.equal(a, b) for a, b in zip(ours, reference, strict=True))


def test_channels_last_agrees_with_channels_first_to_rounding():
    model, x = cnn_and_batch()
    ours = outputs_and_gradients(model, x)
    reference = outputs_and_gradients(textbook(model, torch.contiguous_format), x)
    for a, b in zip(ours, reference, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_the_convolutions_hand_the_pools_channels_last_activations():
    model, x = cnn_and_batch()
    seen = []
    for layer in model:
        if isinstance(layer, nn.MaxPool2d):
            layer.register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    model(x)
    assert len(seen) == 2
    assert all(a.is_contiguous(memory_format=torch.channels_last) for a in seen)
    assert not any(a.is_contiguous() for a in seen)
