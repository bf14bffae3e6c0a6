"""Collect every run of a dataset into tidy tables (see lossbench.tables)."""

from lossbench.analysis import tables
from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job

with job(snakemake):
    wildcards, inputs = snakemake.wildcards, snakemake.input
    runs = [
        tables.RunFiles(wildcards.dataset, loss, optimizer, int(seed), *files)
        for (loss, optimizer, seed), *files in zip(
            snakemake.params.runs,
            inputs.history,
            inputs.status,
            inputs.evaluation,
            inputs.calibration,
            strict=True,
        )
    ]
    write_csv(snakemake.output.history, tables.history(runs))
    write_csv(snakemake.output.evaluation, tables.evaluation(runs))
    write_csv(snakemake.output.calibration, tables.calibration(runs))
    write_csv(snakemake.output.runs, tables.statuses(runs))
