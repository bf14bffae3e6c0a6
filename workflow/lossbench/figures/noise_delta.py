"""Noisy minus clean test accuracy and loss per epoch: what input noise costs each model."""

from ..metrics import wide_history
from .style import Series, curve_grid


def draw(tables, by_optimizer: bool = False):
    wide = wide_history(tables["history"])
    wide = wide.assign(
        acc_delta=wide["noisy_acc"] - wide["test_acc"],
        loss_delta=wide["noisy_loss"] - wide["test_loss"],
    )
    rows = [
        Series("acc_delta", "noisy − clean accuracy (pp)", 100.0),
        Series("loss_delta", "noisy − clean loss (own loss)"),
    ]
    return curve_grid(wide, tables["runs"], rows, by_optimizer)
