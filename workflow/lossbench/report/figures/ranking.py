"""Accuracy (left) and rank (right) of every loss x optimizer across datasets."""

import pandas as pd

from .style import Look, subplots


def draw(table: pd.DataFrame, runs: pd.DataFrame):
    """The figure of the ranks table (``analysis.comparison.ranks``); ``runs`` (the datasets'
    runs tables) fixes the colour of each loss as in every other figure."""
    look = Look.of(runs)
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = subplots(1, 2)
    left, right = axes[0]
    for (loss, optimizer), group in table.groupby(["loss", "optimizer"], sort=False):
        group = group.set_index("dataset").reindex(datasets)
        # a small sideways shift per optimizer keeps equal values of two optimizers apart
        shift = 0.04 * (look.optimizers.index(optimizer) - (len(look.optimizers) - 1) / 2)
        x = [i + shift for i in range(len(datasets))]
        line = {
            "color": look.color(loss),
            "linestyle": look.linestyle(optimizer),
            "marker": look.marker(optimizer),
        }
        left.errorbar(
            x, 100 * group["accuracy_mean"], yerr=100 * group["accuracy_std"], capsize=3, **line
        )
        right.plot(x, group["rank"], **line)
    left.set(title="mean ± sd over seeds", ylabel="clean test accuracy (%)")
    right.set(title="rank within dataset and optimizer", ylabel="rank (1 = most accurate)")
    right.set_yticks(range(1, len(look.losses) + 1))
    right.invert_yaxis()
    for ax in (left, right):
        ax.set_xticks(range(len(datasets)), datasets)
        ax.set_xlabel("dataset")
    look.legend(fig)
    return fig
