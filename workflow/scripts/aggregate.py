"""Collect every run of a dataset into tidy tables (see lossbench.analysis.tables)."""

from lossbench.analysis import tables
from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job

with job(snakemake):
    wildcards, inputs, params = snakemake.wildcards, snakemake.input, snakemake.params
    runs = [
        tables.read_run(
            tables.RunFiles(
                wildcards.dataset, condition, loss, optimizer, float(lr), int(seed), *files
            ),
            params.testsets,
        )
        for (condition, loss, optimizer, lr, seed), *files in zip(
            params.runs,
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
    write_csv(snakemake.output.runs, tables.statuses(runs, params.conditions))
