"""Noisy minus clean test accuracy and loss per epoch: what input noise costs each model."""

from .style import difference_grid


def draw(tables, by_optimizer: bool = False):
    return difference_grid(tables, "noisy", "test", "noisy − clean", by_optimizer)
