"""The compute cost of a study: Snakemake's ``benchmark:`` files gathered into one table.

Every rule writes ``results/{dataset}/benchmarks/{rule}.tsv`` or
``results/{dataset}/benchmarks/{rule}/{job...}.tsv`` (one TSV row: seconds, max_rss in MB, ...).
``benchmarks.csv`` has one row per job: dataset, rule, job, seconds, max_rss_mb, cpu_seconds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis import checked


def job_of(path: str | Path, root: str | Path) -> tuple[str, str]:
    """(rule, job) from a benchmark path below ``root``; job is '' for one-job rules."""
    parts = Path(path).relative_to(root).with_suffix("").parts
    return parts[0], "/".join(parts[1:])


def table(dataset: str, paths: list[str], root: str) -> pd.DataFrame:
    rows = []
    for path in paths:
        rule, job = job_of(path, root)
        # Snakemake writes "NA" for what it could not measure; pandas reads that as NaN.
        measured = checked.read_csv(path, ["s", "max_rss", "cpu_time"], sep="\t").iloc[-1]
        rows.append(
            {
                "dataset": dataset,
                "rule": rule,
                "job": job,
                "seconds": measured["s"],
                "max_rss_mb": measured["max_rss"],
                "cpu_seconds": measured["cpu_time"],
            }
        )
    return pd.DataFrame(rows)


def per_rule(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Jobs, total/mean/max seconds and peak memory per rule, in the order of the table."""
    return (
        benchmarks.groupby("rule", sort=False)
        .agg(
            jobs=("job", "size"),
            total_s=("seconds", "sum"),
            mean_s=("seconds", "mean"),
            max_s=("seconds", "max"),
            max_rss_mb=("max_rss_mb", "max"),
        )
        .reset_index()
    )
