"""Validation accuracy against the learning rate, per loss: the curve the tuned answer chooses
on (mean over seeds); the chosen rate is a star, one at the edge of its grid a red star. A
panel per optimizer with several rates, a row per training condition."""

from .style import Look, label_edges, subplots


def draw(tables):
    chosen, runs = tables["selected_lr"], tables["runs"]
    look = Look.of(runs)
    optimizers = [o for o in look.optimizers if (chosen["optimizer"] == o).any()]
    conditions = list(dict.fromkeys(chosen["condition"]))
    fig, axes = subplots(len(conditions), len(optimizers), sharey=True)
    for row, condition in enumerate(conditions):
        for col, optimizer in enumerate(optimizers):
            ax = axes[row][col]
            mine = chosen[(chosen["condition"] == condition) & (chosen["optimizer"] == optimizer)]
            for loss in look.losses:
                line = mine[mine["loss"] == loss].sort_values("lr")
                color = look.color(loss)
                ax.plot(line["lr"], 100 * line["val_acc"], marker="o", ms=3, color=color)
                best = line[line["selected"].astype(bool)]
                edge = best["at_edge"].astype(bool)
                ax.plot(best["lr"], 100 * best["val_acc"], "*", ms=12, color=color, mec="k")
                ax.plot(
                    best.loc[edge, "lr"],
                    100 * best.loc[edge, "val_acc"],
                    "*",
                    ms=12,
                    mec="r",
                    mfc="none",
                    mew=1.5,
                )
            ax.set_xscale("log")
            ax.set_title(f"{optimizer} ({condition})", fontsize=9)
    label_edges(axes, "learning rate", "validation accuracy (%)")
    look.legend(fig, optimizers=False)
    return fig
