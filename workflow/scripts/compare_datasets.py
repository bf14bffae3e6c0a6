"""Rank losses per dataset and say where the rankings agree (see lossbench.analysis.comparison
and lossbench.report.across_datasets)."""

import pandas as pd

from lossbench.analysis import comparison
from lossbench.plumbing.atomic import write_csv, write_text
from lossbench.plumbing.snakejob import job
from lossbench.report import across_datasets
from lossbench.report.figures import ranking, style

with job(snakemake):
    runs = [pd.read_csv(path) for path in snakemake.input.runs]
    table = comparison.ranks([pd.read_csv(path) for path in snakemake.input.evaluation], runs)
    write_csv(snakemake.output.ranks, table)
    style.save(ranking.draw(table, pd.concat(runs)), snakemake.output.figure)
    settled = comparison.beyond_noise([pd.read_csv(p) for p in snakemake.input.comparisons])
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
