"""What every figure shares, so a loss or an optimizer looks the same in all of them.

One colour per loss and one line style (and marker) per optimizer, in the order of the study's
config (the order of ``runs.csv``); curves are the mean over seeds with a shaded t-based 95 %
confidence band; diverged runs are marked where they stopped; a change of optimizer phase
within a run is a vertical line. :func:`curve_grid` lays out the curve figures, one row per
plotted series and one column for all optimizers or one per optimizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ...analysis.metrics import t_quantile, wide_history  # noqa: E402
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
    """Mean of ``y`` per ``x`` over seeds with its 95 % CI (no band where one seed is left)."""
    grouped = frame.dropna(subset=[y]).groupby(x)[y]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    half = t_quantile(out["count"] - 1) * out["std"] / np.sqrt(out["count"])
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out


def band(ax, frame: pd.DataFrame, x: str, y: str, color, linestyle: str, faint=False) -> None:
    """Draw the mean over seeds as a line and its 95 % CI as a shaded band."""
    line = mean_band(frame, x, y)
    alpha = 0.45 if faint else 1.0
    ax.plot(line[x], line["mean"], color=color, ls=linestyle, lw=1.0 if faint else 1.8, alpha=alpha)
    ax.fill_between(line[x], line["low"], line["high"], color=color, alpha=0.18 * alpha, lw=0)


def mark_diverged(ax, frame: pd.DataFrame, diverged: set, x: str, y: str, color) -> bool:
    """An x at the last finite point of every diverged run; True when there was one."""
    marked = False
    for keys, run in frame.groupby(["loss", "optimizer", "seed"]):
        if keys in diverged and run[y].notna().any():
            last = run.dropna(subset=[y]).iloc[-1]
            ax.plot(last[x], last[y], "x", color=color, ms=9, mew=2.2, zorder=5)
            marked = True
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


def diverged_runs(runs: pd.DataFrame) -> set:
    bad = runs[runs["status"] == "diverged"]
    return set(zip(bad["loss"], bad["optimizer"], bad["seed"], strict=True))


DIVERGED_HANDLE = Line2D(
    [], [], marker="x", ls="", color="0.2", mew=2, label="diverged run (last finite epoch)"
)


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
    diverged = diverged_runs(runs)
    columns = [[o] for o in look.optimizers] if by_optimizer else [look.optimizers]
    fig, axes = subplots(len(rows), len(columns), sharex=True, sharey="row")
    any_diverged = False
    for row, series in enumerate(rows):
        for col, optimizers in enumerate(columns):
            ax = axes[row][col]
            for optimizer in optimizers:
                for loss in look.losses:
                    runs_of = wide[(wide["loss"] == loss) & (wide["optimizer"] == optimizer)]
                    data = runs_of.assign(value=runs_of[series.column] * series.scale)
                    style = (look.color(loss), look.linestyle(optimizer))
                    band(ax, data, "epoch", "value", *style)
                    any_diverged |= mark_diverged(ax, data, diverged, "epoch", "value", style[0])
                phase_lines(ax, wide[wide["optimizer"] == optimizer], look.linestyle(optimizer))
            if series.symlog:
                ax.set_yscale("symlog", linthresh=10)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if by_optimizer and row == 0:
                ax.set_title(optimizers[0])
            if col == 0:
                ax.set_ylabel(series.ylabel)
            if row == len(rows) - 1:
                ax.set_xlabel("epoch")
    look.legend(fig, optimizers=not by_optimizer, extra=[DIVERGED_HANDLE] if any_diverged else None)
    return fig


def save(fig, path: str | PathLike) -> None:
    """Write ``fig`` as PNG atomically and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    plt.close(fig)


def difference_grid(tables, minuend: str, subtrahend: str, what: str, by_optimizer: bool):
    """Curves of ``minuend`` − ``subtrahend`` accuracy and loss per epoch (e.g. noisy − test).

    ``what`` names the difference on the axes, e.g. "noisy − clean".
    """
    wide = wide_history(tables["history"])
    wide = wide.assign(
        acc_delta=wide[f"{minuend}_acc"] - wide[f"{subtrahend}_acc"],
        loss_delta=wide[f"{minuend}_loss"] - wide[f"{subtrahend}_loss"],
    )
    rows = [
        Series("acc_delta", f"{what} accuracy (pp)", 100.0),
        Series("loss_delta", f"{what} loss (own loss)"),
    ]
    return curve_grid(wide, tables["runs"], rows, by_optimizer)
