"""The sample study (tests/data/analysis, made by make_sample_tables.py): its config, its tidy
tables and the tables the analysis makes from them, as the rules read and make them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from conftest import REPO
from lossbench import study
from lossbench.analysis import checked, selection, summary
from lossbench.config import fill_defaults

ANALYSIS = Path(__file__).parent / "data" / "analysis"
SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
CONFIG = fill_defaults(yaml.safe_load((ANALYSIS / "config.yaml").read_text()), SCHEMA)
FIXED = {name: study.fixed_lr(entry) for name, entry in CONFIG["optimizers"].items()}
STUDY = checked.Study.of(study.run_grid(CONFIG), list(CONFIG["testsets"]), FIXED)
TIDY = ("history", "evaluation", "calibration", "runs")


def tidy_tables() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(ANALYSIS / "tables" / f"{name}.csv") for name in TIDY}


def made_from(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """selected_lr, summary and comparisons, as the select_lr and summarize rules make them."""
    analysis = CONFIG["analysis"]
    validation = selection.last_validation(tables["history"])
    selected = selection.selected_lrs(validation, tables["runs"])
    return {"selected_lr": selected} | summary.tables(
        tables["history"],
        tables["evaluation"],
        tables["runs"],
        selected,
        noisy=CONFIG["history_testset"],
        k=analysis["slope_epochs"],
        target=analysis["convergence_target"],
        fixed=FIXED,
    )


def analysed() -> dict[str, pd.DataFrame]:
    """The tidy tables and those the analysis makes from them."""
    tables = tidy_tables()
    return tables | made_from(tables)


def figure_tables(tables: dict[str, pd.DataFrame], condition: str | None) -> dict:
    """What a figure job draws: the runs shown (each loss at its chosen rate), of one
    condition or (None) of all, with the groups each answer judges."""
    shown = selection.shown(tables["runs"], tables["selected_lr"])
    judged = selection.answers(tables["runs"], tables["selected_lr"], FIXED)
    return selection.restrict(tables | {"judged": judged}, shown, condition)
