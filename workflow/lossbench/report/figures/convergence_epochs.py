"""Epochs to the common validation target per loss and optimizer: mean and the seeds'
min-max; n/m where only some usable runs reached it."""

import numpy as np

from .style import Look, subplots


def draw(tables):
    summary, runs = tables["summary"], tables["runs"]
    look = Look.of(runs)
    rows = summary[summary["metric"] == "epochs_to_target"]
    fig, axes = subplots(1, 1)
    ax = axes[0][0]
    width = 0.8 / len(look.optimizers)
    for j, optimizer in enumerate(look.optimizers):
        for i, loss in enumerate(look.losses):
            row = rows[(rows["loss"] == loss) & (rows["optimizer"] == optimizer)]
            if row.empty or not np.isfinite(row["mean"].iloc[0]):
                continue
            r = row.iloc[0]
            x = i - 0.4 + width * (j + 0.5)
            err = [[r["mean"] - r["min"]], [r["max"] - r["mean"]]]
            ax.errorbar(
                x,
                r["mean"],
                yerr=err,
                fmt=look.marker(optimizer),
                color=look.color(loss),
                capsize=3,
                ms=6,
            )
            usable = r["runs"] - r["diverged"] - r["underfit"]
            if r["n"] < usable:
                ax.annotate(
                    f"{r['n']:.0f}/{usable:.0f}",
                    (x, r["mean"]),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7,
                )
    ax.set_xticks(range(len(look.losses)), look.losses, rotation=20, ha="right")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("epochs to the common validation target")
    markers = [ax.plot([], [], look.marker(o), color="0.3", label=o)[0] for o in look.optimizers]
    look.legend(fig, optimizers=False, extra=markers)
    return fig
