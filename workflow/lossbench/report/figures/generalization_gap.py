"""Train minus test accuracy and loss per epoch: how far training results overstate test ones."""

from .style import difference_grid


def draw(tables):
    return difference_grid(tables, "train", "test", "train − test", by_optimizer=False)
