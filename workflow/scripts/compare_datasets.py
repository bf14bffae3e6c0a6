"""Rank losses per dataset and say where the rankings agree (see lossbench.analysis.comparison
and lossbench.report.across_datasets)."""

import pandas as pd

from lossbench.analysis import checked, comparison, selection
from lossbench.plumbing.atomic import write_csv, write_text
from lossbench.plumbing.snakejob import job
from lossbench.report import across_datasets
from lossbench.report.figures import ranking, style

with job(snakemake):
    inputs = snakemake.input
    study = checked.Study.of(**snakemake.params.study)
    names = ("runs", "evaluation", "comparisons", "selected_lr")
    datasets = [
        checked.read_tables(dict(zip(names, paths, strict=True)), study)
        for paths in zip(*(inputs[name] for name in names), strict=True)
    ]
    runs = [tables["runs"] for tables in datasets]
    judged = pd.concat(
        selection.preferred(selection.answers(t["runs"], t["selected_lr"], study.fixed))
        for t in datasets
    )
    table = comparison.ranks([tables["evaluation"] for tables in datasets], runs, judged)
    write_csv(snakemake.output.ranks, table)
    style.save(ranking.draw(table, pd.concat(runs)), snakemake.output.figure)
    settled = comparison.beyond_noise([t["comparisons"] for t in datasets], judged)
    sentences = across_datasets.findings(table, settled)
    print("\n".join(sentences))
    write_text(
        snakemake.output.findings,
        "# Losses across datasets\n\n"
        + "\n".join(f"- {s}" for s in sentences)
        + "\n\n"
        + table.to_markdown(index=False, floatfmt=".4f")
        + "\n",
    )
