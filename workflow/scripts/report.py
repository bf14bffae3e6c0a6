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
    names = ("runs", "summary", "selected_lr", "comparisons", "evaluation")
    study = checked.Study.of(**params.study)
    page = html.render(
        dataset=snakemake.wildcards.dataset,
        config=params.config,
        template=inputs.template,
        tables=checked.read_tables({name: inputs[name] for name in names}, study),
        bench=checked.benchmarks_table(inputs.benchmarks, params.jobs),
        figures=figures,
        study_figures=dict(zip(params.study_figures, inputs.study_figures, strict=True)),
        captions={
            name: Path(path).read_text().strip()
            for name, path in zip(params.captions, inputs.captions, strict=True)
        },
        fixed=study.fixed,
    )
    write_text(snakemake.output[0], page)
