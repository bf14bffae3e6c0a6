"""Draw one figure of one dataset from the tables it reads (see lossbench.figures)."""

import pandas as pd

from lossbench import figures
from lossbench.snakejob import job

with job(snakemake):
    spec = figures.FIGURES[snakemake.wildcards.figure]
    tables = {name: pd.read_csv(snakemake.input[name]) for name in spec.tables}
    figures.render(snakemake.wildcards.figure, tables, snakemake.output[0])
