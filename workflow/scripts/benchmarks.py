"""Gather the benchmark files of one dataset's jobs into benchmarks.csv."""

from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job
from lossbench.report import compute_cost

with job(snakemake):
    table = compute_cost.table(
        snakemake.wildcards.dataset, snakemake.input.tsv, snakemake.params.root
    )
    write_csv(snakemake.output[0], table)
