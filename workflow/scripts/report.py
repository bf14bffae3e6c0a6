"""Write one dataset's self-contained HTML report (see lossbench.report.html)."""

from pathlib import Path

from lossbench.analysis import checked
from lossbench.plumbing.atomic import write_text
from lossbench.plumbing.snakejob import job
from lossbench.report import html

with job(snakemake):
    inputs, params = snakemake.input, snakemake.params
    figures = {}  # condition -> figure name -> file
    for (condition, name), path in zip(params.figures, inputs.figures, strict=True):
        figures.setdefault(condition, {})[name] = path
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
        figures=figures,
        captions={
            name: Path(path).read_text().strip()
            for name, path in zip(params.captions, inputs.captions, strict=True)
        },
    )
    write_text(snakemake.output[0], page)
