"""Seed statistics and paired loss comparisons of one dataset (see lossbench.summary)."""

import pandas as pd

from lossbench.analysis import summary
from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job

with job(snakemake):
    analysis = snakemake.params.analysis
    summary_table, comparisons = summary.tables(
        pd.read_csv(snakemake.input.history),
        pd.read_csv(snakemake.input.evaluation),
        pd.read_csv(snakemake.input.runs),
        threshold=analysis["convergence_threshold"],
        k=analysis["slope_epochs"],
    )
    write_csv(snakemake.output.summary, summary_table)
    write_csv(snakemake.output.comparisons, comparisons)
