"""Reading the workflow's tables and per-run files with their shape checked and the file named.

A file that is garbled or cut short must stop the job that reads it with the file's name and
what to do (delete it: a plain rerun rebuilds it from what it was made of), never turn into a
report with cells missing. Each table is checked against the study: every run of the grid
(and no other), every test set, every epoch a run completed, every metric of every group, every
pair of losses compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from ..plumbing.errors import DamagedFileError, delete_and_rerun
from . import metrics, selection
from .summary import COMPARED

RUN_KEYS = ["dataset", "condition", "loss", "optimizer", "lr", "seed"]
#: a run within a dataset's tables, and a group of runs (its seeds)
RUN = RUN_KEYS[1:]
GROUP = RUN_KEYS[1:-1]
#: the columns each tidy table has (at least)
COLUMNS = {
    "runs": [
        *RUN_KEYS,
        *("condition_type", "condition_level", "status", "epochs_planned", "epochs_completed"),
        *("diverged_epoch", "underfit"),
        *("final_train_acc", "final_train_nll", "final_true_acc", "final_true_nll"),
    ],
    "history": [*RUN_KEYS, "epoch", "phase", "phase_optimizer", "split", "metric", "value"],
    "evaluation": [*RUN_KEYS, "testset", "noise", "level", "intensity", "metric", "value"],
    "calibration": [*RUN_KEYS, "testset", "bin", "count", "confidence", "accuracy"],
    "summary": [*RUN_KEYS[:-1], "runs", "diverged", "underfit", "metric", "n", "mean", "std"],
    "selected_lr": [*RUN_KEYS[:-1], "val_acc", "val_nll", "seeds", "selected", "at_edge"],
    "comparisons": [
        *("answer", "dataset", "condition", "optimizer", "metric"),
        *("loss_a", "lr_a", "loss_b", "lr_b", "n", "mean_diff", "p_holm", "verdict"),
    ],
    "benchmarks": ["dataset", "rule", "job", "seconds", "max_rss_mb", "cpu_seconds"],
}


def damaged(path, problem: str) -> DamagedFileError:
    return DamagedFileError(f"'{path}' {problem}; {delete_and_rerun(path)}")


def read_csv(path, columns=(), **options) -> pd.DataFrame:
    """``pd.read_csv`` that names the file when it cannot be parsed or lacks ``columns``."""
    try:
        frame = pd.read_csv(path, **options)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:  # EmptyDataError too
        problem = f"{type(err).__name__}: {str(err).strip()}"
        raise DamagedFileError(
            f"cannot read '{path}' ({problem}); {delete_and_rerun(path)}"
        ) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise damaged(path, f"lacks the column(s) {', '.join(missing)}")
    return frame


def read_json(path) -> dict:
    try:
        with open(path) as handle:
            return json.load(handle)
    except (ValueError, UnicodeDecodeError) as err:
        raise DamagedFileError(f"cannot read '{path}' ({err}); {delete_and_rerun(path)}") from None


def _listed(keys) -> str:
    keys = sorted(keys, key=str)
    shown = ", ".join("/".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def same_keys(path, found, expected, what: str) -> None:
    """``found`` keys (an iterable of tuples) are exactly ``expected``, each once."""
    found = list(found)
    missing, extra = set(expected) - set(found), set(found) - set(expected)
    repeated = len(found) != len(set(found))
    if missing or extra or repeated:
        parts = [f"misses {what} {_listed(missing)}" if missing else ""]
        parts += [f"holds unexpected {what} {_listed(extra)}" if extra else ""]
        parts += [f"repeats some {what}" if repeated else ""]
        raise damaged(path, "; ".join(p for p in parts if p))


@dataclass(frozen=True)
class Study:
    """What a dataset's tables must hold: its runs (loss, optimizer, seed) and test sets."""

    grid: list[tuple[str, str, str, float, int]]  # (condition, loss, optimizer, lr, seed)
    testsets: list[str]
    fixed: dict[str, float | None]  # each optimizer's fixed learning rate (None: tuned only)

    @classmethod
    def of(cls, grid, testsets, fixed) -> Study:
        runs = [(c, loss, opt, float(lr), int(seed)) for c, loss, opt, lr, seed in grid]
        return cls(runs, list(testsets), dict(fixed))

    @property
    def noisy(self) -> bool:
        return any(name != "clean" for name in self.testsets)

    def metrics(self) -> set[str]:
        """The per-run metrics the summary holds for every group with usable runs."""
        return {m for m, info in metrics.METRICS.items() if self.noisy or info.question != "noise"}


def _run_keys(frame: pd.DataFrame) -> list[tuple]:
    return list(frame[RUN].itertuples(index=False, name=None))


def _rows_per_run(path, frame: pd.DataFrame, runs: pd.DataFrame, expected) -> None:
    """Every run of the runs table has ``expected`` rows in ``frame`` (a number, or a Series
    aligned with the runs table)."""
    want = pd.Series(expected, index=runs.index).set_axis(pd.MultiIndex.from_frame(runs[RUN]))
    have = frame.groupby(RUN, sort=False).size().reindex(want.index, fill_value=0)
    wrong = have[have != want]
    if len(wrong) or len(frame) != want.sum():
        detail = ""
        if len(wrong):
            key = wrong.index[0]
            detail = f" (run {'/'.join(map(str, key))}: {have[key]} rows, not {want[key]})"
        raise damaged(path, f"has {len(frame)} rows where the study has {want.sum()}{detail}")


def runs_table(path, study: Study) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["runs"])
    same_keys(path, _run_keys(frame), study.grid, "runs")
    return frame


def history_table(path, runs: pd.DataFrame) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["history"])
    series = frame[["split", "metric"]].drop_duplicates()
    _rows_per_run(path, frame, runs, runs["epochs_completed"] * len(series))
    return frame


def _per_testset_table(path, runs: pd.DataFrame, study: Study, table: str, inner: str):
    """A table of rows per run, test set and ``inner`` value (a metric, a bin)."""
    frame = read_csv(path, COLUMNS[table])
    same_keys(path, frame["testset"].drop_duplicates(), study.testsets, "test sets")
    per_run = len(study.testsets) * frame[inner].nunique()
    _rows_per_run(path, frame, runs, per_run)
    return frame


def evaluation_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    return _per_testset_table(path, runs, study, "evaluation", "metric")


def calibration_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    return _per_testset_table(path, runs, study, "calibration", "bin")


def _usable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[(runs["status"] == "ok") & ~runs["underfit"].astype(bool)]


def summary_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Every group of the study; every metric of each group with a usable run."""
    frame = read_csv(path, COLUMNS["summary"])
    usable = {tuple(g) for g in _usable(runs)[GROUP].drop_duplicates().itertuples(index=False)}
    expected = [(*group, metric) for group in usable for metric in study.metrics()]
    rows = frame[frame["metric"].notna()]
    found = list(rows[[*GROUP, "metric"]].itertuples(index=False, name=None))
    same_keys(path, found, expected, "(condition, loss, optimizer, lr, metric) rows")
    groups = {run[:-1] for run in study.grid}
    missing = (groups - usable) - set(frame[GROUP].itertuples(index=False, name=None))
    if missing:
        raise damaged(path, f"misses the groups {_listed(missing)}")
    return frame


def selected_lr_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    """One line per learning rate of every loss and optimizer with several, one chosen."""
    frame = read_csv(path, COLUMNS["selected_lr"])
    groups = runs[GROUP].drop_duplicates()
    several = groups.groupby(["condition", "loss", "optimizer"])["lr"].transform("nunique") > 1
    expected = list(groups[several].itertuples(index=False, name=None))
    same_keys(path, frame[GROUP].itertuples(index=False, name=None), expected, "learning rates")
    chosen = frame.groupby(["condition", "loss", "optimizer"])["selected"].sum()
    if (chosen > 1).any():
        raise damaged(path, "chooses more than one learning rate for a loss")
    return frame


def comparisons_table(path, runs: pd.DataFrame, study: Study, selected=None) -> pd.DataFrame:
    """Every pair of the losses each answer judges in each setting, for every metric."""
    frame = read_csv(path, COLUMNS["comparisons"])
    chosen = selected if selected is not None else pd.DataFrame(columns=[*GROUP, "selected"])
    judged = selection.answers(runs, chosen, study.fixed)
    usable = _usable(runs)[["dataset", *GROUP]].drop_duplicates()
    judged = judged.merge(usable, on=["dataset", *GROUP])
    expected = [
        (answer, condition, optimizer, metric, *sorted(pair))
        for (answer, condition, optimizer), group in judged.groupby(
            ["answer", "condition", "optimizer"], sort=False
        )
        for metric in study.metrics() & set(COMPARED)
        for pair in combinations(group["loss"], 2)
    ]
    keys = ["answer", "condition", "optimizer", "metric", "loss_a", "loss_b"]
    rows = frame[keys].itertuples(index=False, name=None)
    found = [(*r[:4], *sorted(r[4:])) for r in rows]  # either way round
    same_keys(path, found, expected, "comparisons")
    return frame


def benchmarks_table(path, jobs: int) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["benchmarks"])
    if len(frame) != jobs:
        raise damaged(path, f"has {len(frame)} rows, one per job of the study's {jobs}")
    return frame


#: table name -> how to read it, given the runs table and the study
READERS = {
    "history": lambda path, runs, study: history_table(path, runs),
    "evaluation": evaluation_table,
    "calibration": calibration_table,
    "summary": summary_table,
    "selected_lr": selected_lr_table,
}


def read_tables(paths: dict, study: Study) -> dict[str, pd.DataFrame]:
    """The tables at ``paths`` (name -> file; ``runs`` among them), each checked; the
    comparisons against the learning rates chosen in ``selected_lr``, which they need."""
    runs = runs_table(paths["runs"], study)
    read = {"runs": runs}
    for name, path in paths.items():
        if name not in ("runs", "comparisons"):
            read[name] = READERS[name](path, runs, study)
    if "comparisons" in paths:
        if "selected_lr" not in read:
            raise ValueError("the comparisons are checked against selected_lr: read both")
        read["comparisons"] = comparisons_table(
            paths["comparisons"], runs, study, read["selected_lr"]
        )
    return {name: read[name] for name in paths}
