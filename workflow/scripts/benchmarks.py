"""Gather the benchmark files of one dataset's jobs into benchmarks.csv."""

from lossbench import benchmarks
from lossbench.atomic import write_csv
from lossbench.snakejob import job

with job(snakemake):
    table = benchmarks.table(
        snakemake.wildcards.dataset, snakemake.input.tsv, snakemake.params.root
    )
    write_csv(snakemake.output[0], table)
