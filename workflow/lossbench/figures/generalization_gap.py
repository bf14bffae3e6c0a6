"""Train minus test accuracy and loss per epoch: how far training results overstate test ones."""

from ..metrics import wide_history
from .style import Series, curve_grid


def draw(tables):
    wide = wide_history(tables["history"])
    wide = wide.assign(
        acc_gap=wide["train_acc"] - wide["test_acc"],
        loss_gap=wide["train_loss"] - wide["test_loss"],
    )
    rows = [
        Series("acc_gap", "train − test accuracy (pp)", 100.0),
        Series("loss_gap", "train − test loss (own loss)"),
    ]
    return curve_grid(wide, tables["runs"], rows, by_optimizer=False)
