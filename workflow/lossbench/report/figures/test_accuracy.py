"""Test accuracy over epochs: mean over seeds with its 95 % band, per loss and optimizer."""

from ...analysis.metrics import wide_history
from .style import Series, curve_grid


def draw(tables, by_optimizer: bool = False):
    rows = [Series("test_acc", "test accuracy (%)", 100.0)]
    return curve_grid(wide_history(tables["history"]), tables["runs"], rows, by_optimizer)
