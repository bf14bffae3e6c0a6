"""Write one dataset's self-contained HTML report (see lossbench.report.html)."""

from pathlib import Path

from lossbench.analysis import checked
from lossbench.plumbing.atomic import write_text
from lossbench.plumbing.snakejob import job
from lossbench.report import html

with job(snakemake):
    inputs, params = snakemake.input, snakemake.params
    names = params.figures
    tables = checked.read_tables(
        {"runs": inputs.runs, "summary": inputs.summary, "comparisons": inputs.comparisons},
        checked.Study.of(**params.study),
    )
    page = html.render(
        dataset=snakemake.wildcards.dataset,
        config=params.config,
        template=inputs.template,
        summary=tables["summary"],
        comparisons=tables["comparisons"],
        runs=tables["runs"],
        bench=checked.benchmarks_table(inputs.benchmarks, params.jobs),
        figures=dict(zip(names, inputs.figures, strict=True)),
        captions={
            n: Path(p).read_text().strip() for n, p in zip(names, inputs.captions, strict=True)
        },
    )
    write_text(snakemake.output[0], page)
