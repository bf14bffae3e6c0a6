"""Every key metric per loss x optimizer (seed means), coloured by rank within each column."""

import numpy as np

from ...analysis.metrics import KEY_METRICS as COLUMNS
from ...analysis.metrics import METRICS
from .style import Look, subplots


def badness(values, higher_is_better: bool):
    """Rank within a column scaled to 0 (best) .. 1 (worst), so all units share one colour map.

    A column with one finite value is neutral (0.5).
    """
    ranks = values.rank(ascending=not higher_is_better)
    count = values.notna().sum()
    return (ranks - 1) / (count - 1) if count > 1 else ranks * 0 + 0.5


def draw(tables):
    summary, runs = tables["summary"], tables["runs"]
    look = Look.of(runs)
    rows = [(loss, opt) for opt in look.optimizers for loss in look.losses]
    means = summary.pivot_table(
        index=["loss", "optimizer"], columns="metric", values="mean"
    ).reindex(index=rows, columns=COLUMNS)
    score = np.column_stack([badness(means[c], METRICS[c].higher_is_better) for c in COLUMNS])
    fig, axes = subplots(1, 1, legend=False)
    fig.set_size_inches(1.25 * len(COLUMNS) + 2, 0.42 * len(rows) + 2.2)
    ax = axes[0][0]
    ax.imshow(score, cmap="RdYlGn_r", vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(means.to_numpy()):
        metric = METRICS[COLUMNS[j]]
        text = "–" if not np.isfinite(value) else f"{value * metric.scale:.3g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(
        range(len(COLUMNS)),
        [f"{METRICS[c].label}\n({METRICS[c].unit or '–'})" for c in COLUMNS],
        rotation=30,
        ha="right",
        fontsize=7,
    )
    ax.set_yticks(range(len(rows)), [f"{loss} / {opt}" for loss, opt in rows])
    ax.grid(False)
    ax.set_title("seed means; green = best in column, red = worst")
    return fig
