# Metrics, figures and the report of a dataset. Everything here reads the tidy tables only.
# Its input functions (figure_inputs, figure_caption, benchmark_files) are in common.smk.
TABLES = "results/{dataset}/tables"


wildcard_constraints:
    figure=_one_of(FIGURES),


rule summarize:
    input:
        history=f"{TABLES}/history.csv",
        evaluation=f"{TABLES}/evaluation.csv",
        runs=f"{TABLES}/runs.csv",
    output:
        summary=report(
            f"{TABLES}/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
            labels={"dataset": "{dataset}", "table": "summary"},
        ),
        comparisons=report(
            f"{TABLES}/comparisons.csv",
            caption="../report/comparisons.rst",
            category="Tables",
            labels={"dataset": "{dataset}", "table": "comparisons"},
        ),
    log:
        "results/{dataset}/logs/summarize.log",
    benchmark:
        "results/{dataset}/benchmarks/summarize.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("summarize"),
        analysis=config["analysis"],
        study=table_study(),
    script:
        "../scripts/summarize.py"


rule figure:
    input:
        unpack(figure_inputs),
    output:
        report(
            "results/{dataset}/figures/{condition}/{figure}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "condition": "{condition}", "figure": "{figure}"},
        ),
    log:
        "results/{dataset}/logs/figure/{condition}/{figure}.log",
    benchmark:
        "results/{dataset}/benchmarks/figure/{condition}/{figure}.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=figure_code,
        caption=figure_caption,
        study=table_study(),
    script:
        "../scripts/figure.py"


rule benchmarks:
    input:
        tsv=benchmark_files,
    output:
        report(
            f"{TABLES}/benchmarks.csv",
            caption="../report/benchmarks.rst",
            category="Tables",
            labels={"dataset": "{dataset}", "table": "compute cost"},
        ),
    log:
        "results/{dataset}/logs/benchmarks.log",
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("benchmarks"),
        root="results/{dataset}/benchmarks",
    script:
        "../scripts/benchmarks.py"


rule report:
    input:
        template=os.path.join(REPORT_DIR, "report.html.j2"),
        captions=expand(os.path.join(REPORT_DIR, "figures", "{figure}.rst"), figure=FIGURES),
        summary=f"{TABLES}/summary.csv",
        comparisons=f"{TABLES}/comparisons.csv",
        runs=f"{TABLES}/runs.csv",
        benchmarks=f"{TABLES}/benchmarks.csv",
        figures=expand(
            "results/{{dataset}}/figures/{condition}/{figure}.png",
            condition=CONDITIONS,
            figure=FIGURES,
        ),
    output:
        report(
            "results/{dataset}/report.html",
            caption="../report/report.rst",
            category="Report",
            labels={"dataset": "{dataset}", "document": "report.html"},
        ),
    log:
        "results/{dataset}/logs/report.log",
    benchmark:
        "results/{dataset}/benchmarks/report.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("report"),
        config=study_config(),
        figures=[(c, f) for c in CONDITIONS for f in FIGURES],
        captions=list(FIGURES),
        study=table_study(),
        jobs=lambda wildcards: len(benchmark_files(wildcards)),
    script:
        "../scripts/report.py"
