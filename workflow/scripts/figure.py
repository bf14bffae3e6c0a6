"""Draw one figure of one dataset from the tables it reads (see lossbench.report.figures)."""

import pandas as pd

from lossbench.plumbing.snakejob import job
from lossbench.report import figures

with job(snakemake):
    spec = figures.FIGURES[snakemake.wildcards.figure]
    tables = {name: pd.read_csv(snakemake.input[name]) for name in spec.tables}
    figures.render(snakemake.wildcards.figure, tables, snakemake.output[0])
