"""Draw one figure of one dataset and training condition from the tables it reads (see
lossbench.report.figures)."""

from lossbench.analysis import checked
from lossbench.plumbing.snakejob import job
from lossbench.report import figures

with job(snakemake):
    wildcards = snakemake.wildcards
    spec = figures.FIGURES[wildcards.figure]
    tables = checked.read_tables(
        {name: snakemake.input[name] for name in ("runs", *spec.tables)},
        checked.Study.of(**snakemake.params.study),
    )
    of_condition = {n: t[t["condition"] == wildcards.condition] for n, t in tables.items()}
    figures.render(wildcards.figure, of_condition, snakemake.output[0])
