"""What every figure shares, so a loss or an optimizer looks the same in all of them.

One colour per loss and one line style (and marker) per optimizer, in the order of the study's
config (the order of ``runs.csv``); curves are the mean over seeds with a shaded band from the
seeds' minimum to their maximum (always inside a metric's range, unlike a t interval of 3
seeds: no accuracy band above 100 %); runs the statistics leave out (diverged, underfit) are
marked where they stopped; a change of
optimizer phase within a run is a vertical line. :func:`curve_grid` lays out the curve
figures, one row per plotted series and one column for all optimizers or one per optimizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ...analysis.metrics import wide_history  # noqa: E402
from ...plumbing.atomic import atomic_path  # noqa: E402

LINESTYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v"]
DPI = 110
PANEL = (4.6, 3.0)  # inches per panel: about 500 x 330 px, readable at report width
MIN_WIDTH = 7.5  # room for the legend below a single column

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


@dataclass(frozen=True)
class Look:
    """Colours per loss, line styles and markers per optimizer."""

    losses: list[str]
    optimizers: list[str]

    @classmethod
    def of(cls, runs: pd.DataFrame) -> Look:
        return cls(list(dict.fromkeys(runs["loss"])), list(dict.fromkeys(runs["optimizer"])))

    def color(self, loss: str):
        return plt.get_cmap("tab10")(self.losses.index(loss) % 10)

    def linestyle(self, optimizer: str) -> str:
        return LINESTYLES[self.optimizers.index(optimizer) % len(LINESTYLES)]

    def marker(self, optimizer: str) -> str:
        return MARKERS[self.optimizers.index(optimizer) % len(MARKERS)]

    def legend(self, fig, optimizers: bool = True, extra: list | None = None) -> None:
        """One legend for the whole figure, below the panels."""
        handles = [Line2D([], [], color=self.color(loss), lw=2, label=loss) for loss in self.losses]
        if optimizers:
            handles += [
                Line2D([], [], color="0.3", ls=self.linestyle(o), label=o) for o in self.optimizers
            ]
        handles += extra or []
        fig.legend(
            handles=handles, loc="outside lower center", ncol=min(len(handles), 7), frameon=False
        )


def subplots(rows: int, cols: int, legend: bool = True, **kwargs):
    """A grid of panels sized for the report, with room below for the figure legend."""
    return plt.subplots(
        rows,
        cols,
        figsize=(max(PANEL[0] * cols, MIN_WIDTH), PANEL[1] * rows + 0.7 * legend),
        squeeze=False,
        layout="constrained",
        **kwargs,
    )


def mean_band(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Mean of ``y`` per ``x`` over seeds, and the seeds' minimum and maximum."""
    grouped = frame.dropna(subset=[y]).groupby(x)[y]
    out = grouped.agg(["mean", "min", "max"]).reset_index()
    return out.rename(columns={"min": "low", "max": "high"})


def band(ax, frame: pd.DataFrame, x: str, y: str, color, linestyle: str, faint=False) -> None:
    """Draw the mean over seeds as a line and the seeds' min-max as a shaded band."""
    line = mean_band(frame, x, y)
    alpha = 0.45 if faint else 1.0
    ax.plot(line[x], line["mean"], color=color, ls=linestyle, lw=1.0 if faint else 1.8, alpha=alpha)
    ax.fill_between(line[x], line["low"], line["high"], color=color, alpha=0.18 * alpha, lw=0)


def mark_left_out(ax, frame: pd.DataFrame, flags: dict, x: str, y: str, color) -> set[str]:
    """A mark at the last finite point of every run the statistics leave out (``flags``:
    :func:`left_out`); returns the kinds marked."""
    marked = set()
    for keys, run in frame.groupby(["loss", "optimizer", "seed"]):
        flag = flags.get(keys)
        if flag and run[y].notna().any():
            last = run.dropna(subset=[y]).iloc[-1]
            ax.plot(last[x], last[y], color=color, ls="", zorder=5, **FLAGS[flag])
            marked.add(flag)
    return marked


def phase_lines(ax, frame: pd.DataFrame, linestyle: str) -> None:
    """A vertical line before the first epoch of each new optimizer phase, labelled."""
    previous = frame.groupby(["loss", "seed"])["phase"].shift()
    starts = frame[previous.notna() & (frame["phase"] != previous)]
    for epoch, name in starts.drop_duplicates("epoch")[["epoch", "phase_optimizer"]].itertuples(
        index=False
    ):
        ax.axvline(epoch - 0.5, color="0.45", ls=linestyle, lw=1)
        ax.annotate(
            f"→ {name}",
            (epoch - 0.5, 1),
            xycoords=("data", "axes fraction"),
            fontsize=8,
            color="0.35",
            va="top",
            ha="left",
        )


#: how the figures mark a run the statistics leave out, and the legend's words for it
FLAGS = {
    "diverged": {"marker": "x", "ms": 9, "mew": 2.2},
    "underfit": {"marker": "o", "mfc": "none", "ms": 7, "mew": 1.6},
}
FLAG_LABELS = {
    "diverged": "diverged run (last finite epoch)",
    "underfit": "underfit run (a class never recognised)",
}


def left_out(runs: pd.DataFrame) -> dict[tuple, str]:
    """(loss, optimizer, seed) -> 'diverged' or 'underfit' for every run the statistics leave
    out (see ``analysis.summary.usable``); drawn, marked, never part of a band."""
    flags = {}
    for r in runs.itertuples():
        if r.status == "diverged":
            flags[r.loss, r.optimizer, r.seed] = "diverged"
        elif bool(r.underfit):
            flags[r.loss, r.optimizer, r.seed] = "underfit"
    return flags


def flag_handles(marked: set[str]) -> list[Line2D]:
    """Legend entries for the kinds of left-out runs a figure marks."""
    return [
        Line2D([], [], ls="", color="0.2", label=FLAG_LABELS[flag], **FLAGS[flag])
        for flag in FLAGS
        if flag in marked
    ]


@dataclass(frozen=True)
class Series:
    """One plotted quantity of the wide history: a column, its axis label and display scale."""

    column: str
    ylabel: str
    scale: float = 1.0
    symlog: bool = False  # for rates whose outliers (a blow-up) would flatten everything else


def curve_grid(wide: pd.DataFrame, runs: pd.DataFrame, rows: list[Series], by_optimizer: bool):
    """Curves over epochs: one row per series; one column, or one per optimizer."""
    look = Look.of(runs)
    flags = left_out(runs)
    columns = [[o] for o in look.optimizers] if by_optimizer else [look.optimizers]
    fig, axes = subplots(len(rows), len(columns), sharex=True, sharey="row")
    marked = set()
    for row, series in enumerate(rows):
        for col, optimizers in enumerate(columns):
            ax = axes[row][col]
            for optimizer in optimizers:
                for loss in look.losses:
                    runs_of = wide[(wide["loss"] == loss) & (wide["optimizer"] == optimizer)]
                    data = runs_of.assign(value=runs_of[series.column] * series.scale)
                    style = (look.color(loss), look.linestyle(optimizer))
                    band(ax, data, "epoch", "value", *style)
                    marked |= mark_left_out(ax, data, flags, "epoch", "value", style[0])
                phase_lines(ax, wide[wide["optimizer"] == optimizer], look.linestyle(optimizer))
            if series.symlog:
                ax.set_yscale("symlog", linthresh=10)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if by_optimizer and row == 0:
                ax.set_title(optimizers[0])
    label_edges(axes, "epoch", [series.ylabel for series in rows])
    look.legend(fig, optimizers=not by_optimizer, extra=flag_handles(marked))
    return fig


def label_edges(axes, xlabel: str, ylabels: str | list[str]) -> None:
    """``xlabel`` under the bottom row of a grid of axes, the y label (one, or one per row)
    left of the first column."""
    for row, line in enumerate(axes):
        line[0].set_ylabel(ylabels if isinstance(ylabels, str) else ylabels[row])
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)


def save(fig, path: str | PathLike) -> None:
    """Write ``fig`` as PNG atomically and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    plt.close(fig)


def difference_grid(
    tables, minuend: str, subtrahend: str, what: str, by_optimizer: bool, nll: bool = True
):
    """Curves of ``minuend`` − ``subtrahend`` accuracy and NLL per epoch (e.g. noisy − test):
    common yardsticks, so the losses' curves in one panel compare like with like (each loss's
    own loss would not: MAE lives in [0, 2], focal shrinks its confident terms).

    ``what`` names the difference on the axes, e.g. "noisy − clean"; ``nll``: a row for the
    NLL too (the history has none for training).
    """
    wide = wide_history(tables["history"])
    wide = wide.assign(acc_delta=wide[f"{minuend}_acc"] - wide[f"{subtrahend}_acc"])
    rows = [Series("acc_delta", f"{what} accuracy (pp)", 100.0)]
    if nll:
        wide = wide.assign(nll_delta=wide[f"{minuend}_nll"] - wide[f"{subtrahend}_nll"])
        rows.append(Series("nll_delta", f"{what} NLL (nats)"))
    return curve_grid(wide, tables["runs"], rows, by_optimizer)
