"""Every figure on the sample study's tables: a real PNG of report size, drawn without torch."""

from __future__ import annotations

import importlib
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from conftest import REPO
from lossbench.analysis import summary
from lossbench.analysis.metrics import wide_history
from lossbench.report import figures
from lossbench.report.figures import style

SAMPLE = Path(__file__).parent / "data" / "analysis" / "tables"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    loaded = {n: pd.read_csv(SAMPLE / f"{n}.csv") for n in figures.CURVE_TABLES}
    loaded |= {n: pd.read_csv(SAMPLE / f"{n}.csv") for n in ("evaluation", "calibration")}
    loaded["summary"], _ = summary.tables(
        loaded["history"], loaded["evaluation"], loaded["runs"], threshold=0.01, k=5
    )
    return loaded


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's signature and IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_figure_is_a_png_of_report_size(name, tables, tmp_path):
    path = tmp_path / f"{name}.png"
    figures.render(name, {t: tables[t] for t in figures.FIGURES[name].tables}, path)
    width, height = png_size(path)
    assert 700 <= width <= 2200 and 300 <= height <= 1600, (width, height)
    assert path.stat().st_size > 15_000  # far more than an empty canvas
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_by_optimizer_variant_has_one_column_per_optimizer(tables):
    wide = wide_history(tables["history"])
    rows = [style.Series("test_acc", "test accuracy (%)", 100.0)]
    optimizers = tables["runs"]["optimizer"].nunique()
    assert len(style.curve_grid(wide, tables["runs"], rows, by_optimizer=False).axes) == 1
    assert len(style.curve_grid(wide, tables["runs"], rows, by_optimizer=True).axes) == optimizers
    plt.close("all")


def test_curves_mark_phase_changes_and_diverged_runs(tables):
    spec = figures.FIGURES["test_accuracy_by_optimizer"]
    drawn = importlib.import_module(f"lossbench.report.figures.{spec.module}").draw(
        tables, **spec.options
    )
    panels = {ax.get_title(): ax for ax in drawn.axes}
    runs, history = tables["runs"], tables["history"]

    def verticals(ax):
        return [line.get_xdata()[0] for line in ax.lines if len(set(line.get_xdata())) == 1]

    # sgd_adam switches to Adam in the middle: one vertical line just before its first epoch
    adam = history[(history["optimizer"] == "sgd_adam") & (history["phase"] == 2)]
    assert verticals(panels["sgd_adam"]) == [adam["epoch"].min() - 0.5]
    assert verticals(panels["sgd"]) == []
    # the diverged run is drawn (an x at its last finite epoch), not hidden
    bad = runs[runs["status"] == "diverged"].iloc[0]
    marks = [line for line in panels[bad["optimizer"]].lines if line.get_marker() == "x"]
    assert [mark.get_xdata()[0] for mark in marks] == [bad["epochs_completed"]]
    plt.close("all")


def test_figure_and_report_jobs_do_not_import_torch():
    code = (
        "import sys; sys.path.insert(0, 'workflow');"
        "import lossbench.report.figures.style, lossbench.report.html, lossbench.analysis.summary;"
        "from lossbench.report import figures;"
        "[__import__(f'lossbench.report.figures.{s.module}') for s in figures.FIGURES.values()];"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
