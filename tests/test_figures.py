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

import sample_analysis
from conftest import REPO
from lossbench.analysis.metrics import wide_history
from lossbench.report import figures
from lossbench.report.figures import style


@pytest.fixture(scope="module")
def analysed() -> dict[str, pd.DataFrame]:
    return sample_analysis.analysed()


@pytest.fixture(scope="module")
def tables(analysed) -> dict[str, pd.DataFrame]:
    """The clean condition's tables, as a per-condition figure job reads them."""
    return sample_analysis.figure_tables(analysed, "clean")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's signature and IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


#: the sample study has label noise, two conditions and two SGD rates, but no imbalance
SAMPLE_FIGURES = [*figures.FIGURES, *figures.study_figures(sample_analysis.CONFIG)]


def test_the_sample_has_every_figure_but_imbalance():
    assert set(figures.SPECS) - set(SAMPLE_FIGURES) == {"accuracy_vs_imbalance"}


@pytest.mark.parametrize("name", SAMPLE_FIGURES)
def test_figure_is_a_png_of_report_size(name, analysed, tmp_path):
    path = tmp_path / f"{name}.png"
    condition = "clean" if name in figures.FIGURES else None
    tables = sample_analysis.figure_tables(analysed, condition)
    figures.render(name, tables, path)
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


def test_underfit_runs_are_marked_and_left_out_of_the_bands(tables):
    """An underfit run is drawn with an open circle where it ends, in the curves and in the
    robustness curve, where its accuracy is not part of the band (review, issue 17.3)."""
    runs = tables["runs"].copy()
    picked = (runs["loss"] == "mae") & (runs["optimizer"] == "sgd") & (runs["seed"] == 1)
    runs.loc[picked, "underfit"] = True
    flagged = {**tables, "runs": runs}
    for name in ("test_accuracy_by_optimizer", "robustness_curve"):
        spec = figures.FIGURES[name]
        drawn = importlib.import_module(f"lossbench.report.figures.{spec.module}").draw(
            flagged, **spec.options
        )
        circles = [
            line
            for ax in drawn.axes
            for line in ax.lines
            if line.get_marker() == "o" and line.get_markerfacecolor() == "none"
        ]
        assert circles, name
        legend = [t.get_text() for t in drawn.legends[0].get_texts()]
        assert "underfit run (a class never recognised)" in legend
    evaluation = tables["evaluation"].query("metric == 'accuracy' and testset == 'clean'")
    mae = evaluation.query("loss == 'mae' and optimizer == 'sgd'").set_index("seed")["value"]
    at_clean = [line.get_ydata()[0] for line in circles if line.get_xdata()[0] == 0]
    assert at_clean and at_clean == pytest.approx([100 * mae[1]] * len(at_clean))
    # one panel per noise kind; the band of mae/sgd at the clean level is the other seed's
    means = [
        line.get_ydata()[0] for ax in drawn.axes for line in ax.lines if line.get_marker() == "None"
    ]
    assert any(m == pytest.approx(100 * mae[0]) for m in means)
    assert not any(m == pytest.approx(100 * mae.mean()) for m in means)
    plt.close("all")


def test_figure_and_report_jobs_do_not_import_torch():
    code = (
        "import sys; sys.path.insert(0, 'workflow');"
        "import lossbench.report.figures.style, lossbench.report.html, lossbench.analysis.summary;"
        "from lossbench.report import figures;"
        "[__import__(f'lossbench.report.figures.{s.module}') for s in figures.SPECS.values()];"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
