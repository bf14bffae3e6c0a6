"""Seed statistics and the paired loss comparisons of one dataset, each loss at the learning
rates of each answer (see lossbench.analysis.summary)."""

from lossbench.analysis import checked, summary
from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job

with job(snakemake):
    params, inputs = snakemake.params, snakemake.input
    tables = checked.read_tables(
        {name: inputs[name] for name in ("runs", "history", "evaluation", "selected_lr")},
        checked.Study.of(**params.study),
    )
    made = summary.tables(
        tables["history"],
        tables["evaluation"],
        tables["runs"],
        tables["selected_lr"],
        noisy=params.noisy,
        k=params.analysis["slope_epochs"],
        target=params.analysis["convergence_target"],
        fixed=params.fixed,
    )
    for name, table in made.items():
        write_csv(snakemake.output[name], table)
