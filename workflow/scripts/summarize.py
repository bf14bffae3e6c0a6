"""Seed statistics and paired loss comparisons of one dataset (see lossbench.analysis.summary)."""

from lossbench.analysis import checked, summary
from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job

with job(snakemake):
    analysis, inputs = snakemake.params.analysis, snakemake.input
    study = checked.Study.of(**snakemake.params.study)
    tables = checked.read_tables(
        {"runs": inputs.runs, "history": inputs.history, "evaluation": inputs.evaluation}, study
    )
    summary_table, comparisons = summary.tables(
        tables["history"],
        tables["evaluation"],
        tables["runs"],
        threshold=analysis["convergence_threshold"],
        k=analysis["slope_epochs"],
    )
    write_csv(snakemake.output.summary, summary_table)
    write_csv(snakemake.output.comparisons, comparisons)
