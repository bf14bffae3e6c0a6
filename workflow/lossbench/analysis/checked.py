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
from . import metrics

RUN_KEYS = ["dataset", "condition", "loss", "optimizer", "lr", "seed"]
#: a run within a dataset's tables, and a group of runs (its seeds)
RUN = RUN_KEYS[1:]
GROUP = RUN_KEYS[1:-1]
#: the columns each tidy table has (at least)
COLUMNS = {
    "runs": [*RUN_KEYS, "status", "epochs_planned", "epochs_completed", "diverged_epoch"],
    "history": [*RUN_KEYS, "epoch", "phase", "phase_optimizer", "split", "metric", "value"],
    "evaluation": [*RUN_KEYS, "testset", "noise", "level", "metric", "value"],
    "calibration": [*RUN_KEYS, "testset", "bin", "count", "confidence", "accuracy"],
    "summary": [*RUN_KEYS[:-1], "runs", "diverged", "metric", "n", "mean", "std"],
    "comparisons": [*RUN_KEYS[:2], "optimizer", "lr", "metric", "loss_a", "loss_b", "verdict"],
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

    @classmethod
    def of(cls, grid, testsets) -> Study:
        runs = [(c, loss, opt, float(lr), int(seed)) for c, loss, opt, lr, seed in grid]
        return cls(runs, list(testsets))

    @property
    def noisy(self) -> bool:
        return any(name != "clean" for name in self.testsets)

    def metrics(self) -> set[str]:
        """The per-run metrics the study's summary holds for every group with finished runs."""
        return {m for m in metrics.METRICS if self.noisy or m != "noisy_mean_acc"}


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


def evaluation_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["evaluation"])
    same_keys(path, frame["testset"].drop_duplicates(), study.testsets, "test sets")
    per_run = len(study.testsets) * frame["metric"].nunique()
    _rows_per_run(path, frame, runs, per_run)
    return frame


def calibration_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["calibration"])
    same_keys(path, frame["testset"].drop_duplicates(), study.testsets, "test sets")
    per_run = len(study.testsets) * frame["bin"].nunique()
    _rows_per_run(path, frame, runs, per_run)
    return frame


SETTING = ["condition", "optimizer", "lr"]


def _finished_losses(runs: pd.DataFrame) -> dict[tuple, list[str]]:
    """Per setting (condition, optimizer, lr), the losses with a finished run, in the study's
    order."""
    ok = runs[runs["status"] == "ok"]
    finished = {
        tuple(setting): list(dict.fromkeys(group["loss"]))
        for setting, group in ok.groupby(SETTING, sort=False)
    }
    return {
        tuple(setting): finished.get(tuple(setting), [])
        for setting in runs[SETTING].drop_duplicates().itertuples(index=False)
    }


def summary_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["summary"])
    finished = _finished_losses(runs)
    expected = [
        (condition, loss, opt, lr, metric)
        for (condition, opt, lr), losses in finished.items()
        for loss in losses
        for metric in study.metrics()
    ]
    groups = {run[:-1] for run in study.grid}
    done = {(c, loss, opt, lr) for (c, opt, lr), losses in finished.items() for loss in losses}
    rows = frame[frame["metric"].notna()]
    found = list(rows[[*GROUP, "metric"]].itertuples(index=False, name=None))
    same_keys(path, found, expected, "(condition, loss, optimizer, lr, metric) rows")
    missing = (groups - done) - set(frame[GROUP].itertuples(index=False, name=None))
    if missing:
        raise damaged(path, f"misses the groups {_listed(missing)}")
    return frame


def comparisons_table(path, runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    frame = read_csv(path, COLUMNS["comparisons"])
    expected = [
        (*setting, metric, *sorted(pair))
        for setting, losses in _finished_losses(runs).items()
        for metric in study.metrics()
        for pair in combinations(losses, 2)
    ]
    columns = [*SETTING, "metric", "loss_a", "loss_b"]
    rows = frame[columns].itertuples(index=False, name=None)
    found = [(c, o, lr, m, *sorted((a, b))) for c, o, lr, m, a, b in rows]  # either way round
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
    "comparisons": comparisons_table,
}


def read_tables(paths: dict, study: Study) -> dict[str, pd.DataFrame]:
    """The tables at ``paths`` (name -> file; ``runs`` among them), each checked."""
    runs = runs_table(paths["runs"], study)
    return {
        name: runs if name == "runs" else READERS[name](path, runs, study)
        for name, path in paths.items()
    }
