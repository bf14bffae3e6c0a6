"""Draw one figure of one dataset from the tables it reads (see lossbench.report.figures): of
one training condition, or across the conditions of the study."""

from lossbench.analysis import checked, selection
from lossbench.plumbing.snakejob import job
from lossbench.report import figures

with job(snakemake):
    wildcards = snakemake.wildcards
    spec = figures.SPECS[wildcards.figure]
    study = checked.Study.of(**snakemake.params.study)
    tables = checked.read_tables(
        {name: snakemake.input[name] for name in ("runs", "selected_lr", *spec.tables)}, study
    )
    groups = selection.shown(tables["runs"], tables["selected_lr"])
    tables["judged"] = selection.answers(tables["runs"], tables["selected_lr"], study.fixed)
    condition = wildcards.get("condition")
    figures.render(
        wildcards.figure, selection.restrict(tables, groups, condition), snakemake.output[0]
    )
