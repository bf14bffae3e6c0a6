"""Draw one figure of one dataset from the tables it reads (see lossbench.report.figures)."""

from lossbench.analysis import checked
from lossbench.plumbing.snakejob import job
from lossbench.report import figures

with job(snakemake):
    spec = figures.FIGURES[snakemake.wildcards.figure]
    tables = checked.read_tables(
        {name: snakemake.input[name] for name in ("runs", *spec.tables)},
        checked.Study.of(**snakemake.params.study),
    )
    figures.render(snakemake.wildcards.figure, tables, snakemake.output[0])
