"""Every key metric per loss x optimizer (seed means), coloured by distance from the best in
units of the seed-to-seed spread; a loss not distinguishable from the best (Holm-corrected)
is marked ≈ and takes the best's colour, so differences within seed noise look alike. The
best of each optimizer is bold, chosen among the losses with a value from every run (as in the
report's verdicts); a row whose runs diverged or underfit says how many."""

import numpy as np
import pandas as pd

from ...analysis.metrics import KEY_METRICS as COLUMNS
from ...analysis.metrics import METRICS
from ..findings import complete, pair
from .style import Look, subplots

#: distances of this many seed standard deviations or more get the far end of the colours
FAR = 4.0


def distance(means: pd.Series, spread: float, higher_is_better: bool) -> pd.Series:
    """How far each value is from the best, in units of ``spread`` (0 = the best)."""
    best = means.max() if higher_is_better else means.min()
    scale = spread if np.isfinite(spread) and spread > 0 else np.nan
    return ((means - best).abs() / scale).clip(upper=FAR)


def row_label(counts: pd.DataFrame, row: tuple[str, str]) -> str:
    """'loss / optimizer', with the runs left out of its statistics."""
    label = f"{row[0]} / {row[1]}"
    if row not in counts.index:
        return label
    r = counts.loc[row]
    left = {"diverged": r["diverged"], "underfit": r["underfit"]}
    said = ", ".join(f"{n:.0f} {why}" for why, n in left.items() if n > 0)
    return f"{label} ({said} of {r['runs']:.0f})" if said else label


def draw(tables):
    summary, runs, comparisons = tables["summary"], tables["runs"], tables["comparisons"]
    look = Look.of(runs)
    rows = [(loss, opt) for opt in look.optimizers for loss in look.losses]
    pivot = summary.pivot_table(index=["loss", "optimizer"], columns="metric", values="mean")
    means = pivot.reindex(index=rows, columns=COLUMNS)
    whole = summary.assign(whole=complete(summary)).pivot_table(
        index=["loss", "optimizer"], columns="metric", values="whole", aggfunc="all"
    )
    whole = whole.reindex(index=rows, columns=COLUMNS).fillna(False).astype(bool)
    counts = summary.drop_duplicates(["loss", "optimizer"]).set_index(["loss", "optimizer"])
    spread = summary.groupby("metric")["std"].median()
    score = np.full(means.shape, np.nan)
    marks = np.full(means.shape, "", dtype=object)
    condition = runs["condition"].iloc[0] if len(runs) else ""
    for j, metric in enumerate(COLUMNS):
        info = METRICS[metric]
        for optimizer in look.optimizers:
            mine = [i for i, (_, opt) in enumerate(rows) if opt == optimizer]
            column = means[metric].iloc[mine]
            if column.notna().sum() == 0:
                continue
            score[mine, j] = distance(column, spread.get(metric, np.nan), info.higher_is_better)
            ranked = column[whole[metric].iloc[mine]]
            if ranked.notna().sum() == 0:
                continue
            best = ranked.idxmax() if info.higher_is_better else ranked.idxmin()
            for i in mine:
                loss = rows[i][0]
                if not np.isfinite(means.iat[i, j]):
                    continue
                if rows[i] == best:
                    marks[i, j] = "best"
                    continue
                keys = {"answer": None, "condition": condition, "optimizer": optimizer}
                for answer in ("tuned", "fixed"):
                    found = pair(comparisons, {**keys, "answer": answer}, metric, best[0], loss)
                    if found is not None:
                        marks[i, j] = "" if found["verdict"] == "a better" else "≈"
                        break
                if marks[i, j] == "≈":
                    score[i, j] = 0.0
    fig, axes = subplots(1, 1, legend=False)
    fig.set_size_inches(1.25 * len(COLUMNS) + 2, 0.42 * len(rows) + 2.4)
    ax = axes[0][0]
    ax.imshow(np.nan_to_num(score, nan=FAR / 2), cmap="RdYlGn_r", vmin=0, vmax=FAR, aspect="auto")
    for (i, j), value in np.ndenumerate(means.to_numpy()):
        metric = METRICS[COLUMNS[j]]
        text = "–" if not np.isfinite(value) else f"{value * metric.scale:.3g}"
        if marks[i, j] == "≈":
            text = f"≈ {text}"
        weight = "bold" if marks[i, j] == "best" else "normal"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, fontweight=weight)
    ax.set_xticks(
        range(len(COLUMNS)),
        [f"{METRICS[c].label}\n({METRICS[c].unit or '–'})" for c in COLUMNS],
        rotation=30,
        ha="right",
        fontsize=7,
    )
    ax.set_yticks(range(len(rows)), [row_label(counts, row) for row in rows])
    ax.grid(False)
    ax.set_title(
        f"seed means; colour: distance from the optimizer's best in seed SDs (≥ {FAR:g} red); "
        "bold: best; ≈: within seed noise of it (coloured as the best)",
        fontsize=8,
    )
    return fig
