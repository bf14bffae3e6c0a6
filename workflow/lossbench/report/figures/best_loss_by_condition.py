"""The most accurate loss per training condition and optimizer: a grid naming it, coloured by
loss, with its clean accuracy; a cell is hatched where its margin over the runner-up is not
beyond seed noise (Holm-corrected paired interval), and says so."""

import numpy as np
from matplotlib.patches import Rectangle

from ..findings import BEYOND, verdicts
from .style import Look, subplots


def draw(tables):
    summary, comparisons, runs = tables["summary"], tables["comparisons"], tables["runs"]
    look = Look.of(runs)
    conditions = list(dict.fromkeys(runs["condition"]))
    found = verdicts(summary, comparisons, tables["judged"])
    rows = [r for r in found if r["question"] == "accuracy"]
    preferred = {}
    for r in rows:  # the tuned answer where there is one
        key = (r["condition"], r["optimizer"])
        if key not in preferred or r["answer"] == "tuned":
            preferred[key] = r
    fig, axes = subplots(1, 1)
    fig.set_size_inches(2.2 * len(look.optimizers) + 2.5, 0.55 * len(conditions) + 1.8)
    ax = axes[0][0]
    for i, condition in enumerate(conditions):
        for j, optimizer in enumerate(look.optimizers):
            r = preferred.get((condition, optimizer))
            if r is None:
                continue
            settled = r["verdict"] == BEYOND
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1,
                    1,
                    facecolor=look.color(r["best"]),
                    alpha=0.55 if settled else 0.25,
                    hatch=None if settled else "//",
                    edgecolor="white",
                )
            )
            note = "" if settled else "\n(not beyond seed noise)"
            ax.text(j, i, f"{r['best']}\n{r['value']}{note}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.5, len(look.optimizers) - 0.5)
    ax.set_ylim(len(conditions) - 0.5, -0.5)
    ax.set_xticks(np.arange(len(look.optimizers)), look.optimizers)
    ax.set_yticks(np.arange(len(conditions)), conditions)
    ax.grid(False)
    ax.set_title("most accurate loss (clean test accuracy)", fontsize=9)
    look.legend(fig, optimizers=False)
    return fig
