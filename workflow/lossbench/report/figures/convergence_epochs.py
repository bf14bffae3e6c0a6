"""Epochs to converge and normalised area under the test loss, mean and 95 % CI over seeds."""

import numpy as np

from .style import Look, subplots

PANELS = [
    ("epochs_to_converge", "epochs to converge\n(|Δ test loss| < threshold from then on)"),
    ("test_loss_auc", "area under test loss / (start × epochs)"),
]


def draw(tables):
    summary, runs = tables["summary"], tables["runs"]
    look = Look.of(runs)
    fig, axes = subplots(1, len(PANELS))
    width = 0.8 / len(look.optimizers)
    for ax, (metric, label) in zip(axes[0], PANELS, strict=True):
        rows = summary[summary["metric"] == metric]
        for j, optimizer in enumerate(look.optimizers):
            for i, loss in enumerate(look.losses):
                row = rows[(rows["loss"] == loss) & (rows["optimizer"] == optimizer)]
                if row.empty or not np.isfinite(row["mean"].iloc[0]):
                    continue
                r = row.iloc[0]
                x = i - 0.4 + width * (j + 0.5)
                err = [[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]]
                ax.errorbar(
                    x,
                    r["mean"],
                    yerr=np.nan_to_num(err),
                    fmt=look.marker(optimizer),
                    color=look.color(loss),
                    capsize=3,
                    ms=6,
                )
                usable = r["runs"] - r["diverged"]
                if r["n"] < r["runs"]:
                    ax.annotate(
                        f"{r['n']}/{usable:.0f}",
                        (x, r["mean"]),
                        xytext=(4, 4),
                        textcoords="offset points",
                        fontsize=7,
                    )
        ax.set_xticks(range(len(look.losses)), look.losses)
        ax.set_ylim(bottom=0)  # neither can be negative; a wide CI of few seeds is cut here
        ax.set_ylabel(label)
    markers = [
        axes[0][0].plot([], [], look.marker(o), color="0.3", label=o)[0] for o in look.optimizers
    ]
    look.legend(fig, optimizers=False, extra=markers)
    return fig
