"""Train minus test accuracy per epoch: how far training results overstate test ones. The
train accuracy is the history's running average over each epoch's changing weights (a picture
of the trend; the report's gap verdict scores the final weights on the whole training set)."""

from .style import difference_grid


def draw(tables):
    return difference_grid(tables, "train", "test", "train − test", by_optimizer=False, nll=False)
