"""Write one dataset's self-contained HTML report (see lossbench.report)."""

from pathlib import Path

import pandas as pd

from lossbench.plumbing.atomic import write_text
from lossbench.plumbing.snakejob import job
from lossbench.report import html

with job(snakemake):
    inputs = snakemake.input
    names = snakemake.params.figures
    html = html.render(
        dataset=snakemake.wildcards.dataset,
        config=snakemake.params.config,
        template=inputs.template,
        summary=pd.read_csv(inputs.summary),
        comparisons=pd.read_csv(inputs.comparisons),
        runs=pd.read_csv(inputs.runs),
        bench=pd.read_csv(inputs.benchmarks),
        figures=dict(zip(names, inputs.figures, strict=True)),
        captions={
            n: Path(p).read_text().strip() for n, p in zip(names, inputs.captions, strict=True)
        },
    )
    write_text(snakemake.output[0], html)
