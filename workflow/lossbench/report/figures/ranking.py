"""Accuracy (left) and rank (right) of every loss x optimizer across datasets, one row of
panels per training condition."""

import pandas as pd

from .style import Look, subplots


def draw(table: pd.DataFrame, runs: pd.DataFrame):
    """The figure of the ranks table (``analysis.comparison.ranks``); ``runs`` (the datasets'
    runs tables) fixes the colour of each loss as in every other figure."""
    look = Look.of(runs)
    datasets = list(dict.fromkeys(table["dataset"]))
    conditions = list(dict.fromkeys(table["condition"]))
    fig, axes = subplots(len(conditions), 2, sharex=True)
    for (left, right), condition in zip(axes, conditions, strict=True):
        of_condition = table[table["condition"] == condition]
        for (loss, optimizer), group in of_condition.groupby(["loss", "optimizer"], sort=False):
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
            right.plot(x, group["rank"].astype(float), **line)
        named = f" ({condition})" if len(conditions) > 1 else ""
        left.set(title=f"mean ± sd over seeds{named}", ylabel="clean test accuracy (%)")
        right.set(title=f"rank within dataset and optimizer{named}", ylabel="rank (1 = best)")
        right.set_yticks(range(1, len(look.losses) + 1))
        right.invert_yaxis()
    for ax in axes[-1]:
        ax.set_xticks(range(len(datasets)), datasets)
        ax.set_xlabel("dataset")
    look.legend(fig)
    return fig
