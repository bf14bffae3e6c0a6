"""``python -m lossbench.progress``: how far a study has got, while it runs or after it stopped.

The report's "Runs" count (runs, done, diverged) per condition x loss x optimizer x learning
rate, plus the runs started but unfinished and those not started, the epochs done, and an
estimate of the training time left. It reads only the files that exist, and writes nothing:
it never takes Snakemake's lock, never makes it rerun anything, and runs beside it. Cheap: no
torch, no pandas, no Snakemake DAG.

Where a training job leaves its traces is said once, in :func:`traces` and :func:`run_state`
(the run's status.json, its lines in its job's log, its job's benchmark file; a job trains a
run alone or a pack of runs, see ``study.packs``): the only place to change when the train
rules change their files.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from snakemake.utils import update_config

from . import study
from .config import validate

#: where a training job leaves its files, relative to the study's working directory (as
#: workflow/rules/train.smk names them): a run's outputs' folder; its job's log and benchmark,
#: named by the run (pack: 1) or by its pack
RUN_FILES = "results/{dataset}/" + study.RUN_DIR
JOB_FILES = {
    "log": "results/{dataset}/logs/train/{job}.log",
    "benchmark": "results/{dataset}/benchmarks/train/{job}.tsv",
}
#: a training log's line per finished epoch, and the line of a resumed job, after the run's
#: prefix (its name, in the log of a pack of several)
EPOCH = r"(?:epoch (\d+)/\d+ |resuming from epoch (\d+)$)"
#: the study's config as the Snakefile finds it: this file relative to the working directory,
#: overlaid by --configfile and --config
DEFAULT_CONFIG = "config/config.yaml"
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"
STATES = ("done", "diverged", "started", "missing")


@dataclass(frozen=True)
class Run:
    """One run's progress: its state (one of :data:`STATES`), epochs done and planned, and its
    share of the seconds its finished training job took (None if there is no benchmark)."""

    dataset: str
    key: tuple  # (condition, loss, optimizer, lr label, seed), as study.run_grid
    state: str
    epochs: int
    planned: int
    seconds: float | None
    job: Path  # its training job's log: the runs of one job progress together


@dataclass(frozen=True)
class Traces:
    """Where one run's progress shows: its outputs' folder, its job's log and benchmark, its
    lines' prefix in that log, and how many runs the job trains."""

    run: Path
    log: Path
    benchmark: Path
    prefix: str
    runs_in_job: int


def traces(config: dict, workdir: Path, dataset: str) -> dict[tuple, Traces]:
    """Each run of the study (``study.run_grid``) with its :class:`Traces` on ``dataset``."""
    if config["pack"] == 1:
        jobs = [[run] for run in study.run_grid(config)]
        names = [study.RUN_NAME.format(**study.run_fields(run)) for [run] in jobs]
    else:
        packs = study.packs(config)
        jobs, names = [study.pack_runs(pack) for pack in packs], [p["name"] for p in packs]
    found = {}
    for runs, job in zip(jobs, names, strict=True):
        log, benchmark = (
            workdir / pattern.format(dataset=dataset, job=job) for pattern in JOB_FILES.values()
        )
        for run in runs:
            fields = study.run_fields(run)
            prefix = study.RUN_NAME.format(**fields) + ": " if len(runs) > 1 else ""
            folder = workdir / RUN_FILES.format(dataset=dataset, **fields)
            found[run] = Traces(folder, log, benchmark, prefix, len(runs))
    return found


def run_state(where: Traces) -> tuple[str, int]:
    """A run's state and epochs done from its traces: status.json once it has finished (the
    epochs it completed), else its last epoch line in its job's log (0 without one)."""
    try:
        finished = json.loads((where.run / "status.json").read_text())
        return ("done" if finished["status"] == "ok" else "diverged"), finished["epochs_completed"]
    except (OSError, ValueError, KeyError):  # not there yet, or being written over
        pass
    try:
        log = where.log.read_text()
    except OSError:  # not started, or its log is elsewhere: a checkpoint still says started
        log = ""
    lines = re.findall(rf"^{re.escape(where.prefix)}{EPOCH}", log, re.MULTILINE)
    epochs = [int(a or b) for a, b in lines]
    started = epochs or (where.run / "checkpoint.pt").exists()
    return ("started" if started else "missing"), max(epochs, default=0)


def job_seconds(benchmark: Path) -> float | None:
    """The wall seconds of a finished job (Snakemake's benchmark file, column ``s``)."""
    try:
        with open(benchmark, newline="") as handle:
            return float(next(csv.DictReader(handle, delimiter="\t"))["s"])
    except (OSError, StopIteration, KeyError, ValueError):
        return None


def progress(config: dict, workdir: Path) -> list[Run]:
    """Every run of the study (validated ``config``) with its progress in ``workdir``."""
    runs = []
    for dataset in config["datasets"]:
        for key, where in traces(config, workdir, dataset).items():
            _, loss, optimizer, lr, _ = key
            params = study.train_params(config, dataset, loss, optimizer, lr)
            planned = sum(phase["epochs"] for phase in params["phases"])
            state, epochs = run_state(where)
            seconds = None
            if state in ("done", "diverged"):
                job = job_seconds(where.benchmark)  # a pack's time, shared by its runs
                seconds = None if job is None else job / where.runs_in_job
            runs.append(Run(dataset, key, state, epochs, planned, seconds, where.log))
    return runs


def _duration(seconds: float) -> str:
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minute:02d} min"
    return f"{minute} min {second:02d} s" if minute else f"{second} s"


def time_left(runs: list[Run], jobs: int) -> str:
    """The training still to do, in the seconds per epoch that the study's finished training
    jobs took (each job's whole wall time, start-up included, over its planned epochs)."""
    timed = [run for run in runs if run.state == "done" and run.seconds is not None]
    remaining = sum(run.planned - run.epochs for run in runs if run.state in ("started", "missing"))
    if not remaining:
        return "time left: no training left"
    if not timed:
        return "time left: unknown until a training job has finished (its benchmark file)"
    per_epoch = sum(run.seconds for run in timed) / sum(run.planned for run in timed)
    return (
        f"time left: ~{_duration(remaining * per_epoch / jobs)} of training at {jobs} job(s) at "
        f"a time ({remaining} epochs at {per_epoch:.3g} s each, from {len(timed)} finished "
        f"training run(s))"
    )


def table(runs: list[Run]) -> list[str]:
    """The report's runs per condition x loss x optimizer x lr (seeds summed), with every state."""
    columns = ["dataset", "condition", "loss", "optimizer", "lr", "runs", *STATES, "epochs"]
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault((run.dataset, *run.key[:4]), []).append(run)
    rows = [
        [
            *map(str, group),
            str(len(members)),
            *(str(sum(m.state == state for m in members)) for state in STATES),
            f"{sum(m.epochs for m in members)}/{sum(m.planned for m in members)}",
        ]
        for group, members in groups.items()
    ]
    widths = [max(len(cell) for cell in column) for column in zip(columns, *rows, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [columns, *rows]
    ]


def summary(runs: list[Run]) -> str:
    counts = ", ".join(f"{sum(r.state == state for r in runs)} {state}" for state in STATES)
    done, planned = sum(r.epochs for r in runs), sum(r.planned for r in runs)
    return f"{len(runs)} runs: {counts}; epochs {done} of {planned} ({100 * done / planned:.0f} %)"


def study_config(workdir: Path, configfiles: list[Path], overrides: list[str]) -> dict:
    """The validated config of the study in ``workdir``, merged as Snakemake merges it."""
    config: dict = {}
    default = workdir / DEFAULT_CONFIG
    for path in ([default] if default.exists() else []) + configfiles:
        update_config(config, yaml.safe_load(Path(path).read_text()) or {})
    if overrides:
        from snakemake.cli import parse_config  # ~1 s of imports, only when needed

        update_config(config, parse_config(overrides))
    return validate(config, yaml.safe_load(SCHEMA.read_text()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lossbench.progress",
        description="How far the study in the working directory has got (reads files only).",
    )
    parser.add_argument("--directory", "-d", type=Path, default=Path("."), help="working dir")
    parser.add_argument("--configfile", nargs="+", type=Path, default=[], help="as snakemake's")
    parser.add_argument("--config", nargs="+", default=[], metavar="KEY=VALUE", help="likewise")
    parser.add_argument(
        "--jobs", type=int, help="jobs at a time, for the estimate (default: the jobs started)"
    )
    args = parser.parse_args(argv)
    configfiles = [path if path.is_absolute() else Path.cwd() / path for path in args.configfile]
    config = study_config(args.directory, configfiles, args.config)
    runs = progress(config, args.directory)
    started = len({run.job for run in runs if run.state == "started"})
    print("\n".join(table(runs)))
    print(summary(runs))
    print(time_left(runs, args.jobs or max(started, 1)))


if __name__ == "__main__":
    main()
