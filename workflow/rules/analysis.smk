# Metrics, figures and the report of a dataset. Everything here reads the tidy tables only.
# Its input functions (figure_inputs, figure_caption, benchmark_files) are in common.smk.
TABLES = "results/{dataset}/tables"


# The choice of learning rates reads the validation curves only: no analysis setting changes it,
# so the figures that draw each loss at its chosen rate do not rerun with one.
rule select_lr:
    input:
        history=f"{TABLES}/history.csv",
        runs=f"{TABLES}/runs.csv",
    output:
        report(
            f"{TABLES}/selected_lr.csv",
            caption="../report/selected_lr.rst",
            category="Tables",
            labels={"dataset": "{dataset}", "table": "selected learning rates"},
        ),
    log:
        "results/{dataset}/logs/select_lr.log",
    benchmark:
        "results/{dataset}/benchmarks/select_lr.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("select_lr"),
        study=table_study(),
    script:
        "../scripts/select_lr.py"


rule summarize:
    input:
        history=f"{TABLES}/history.csv",
        evaluation=f"{TABLES}/evaluation.csv",
        runs=f"{TABLES}/runs.csv",
        selected_lr=f"{TABLES}/selected_lr.csv",
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
        noisy=config["history_testset"],
        fixed=fixed_lrs(),
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
    wildcard_constraints:
        figure=_one_of(FIGURES),
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=figure_code,
        caption=figure_caption,
        study=table_study(),
    script:
        "../scripts/figure.py"


# Across the training conditions of a study: only the figures the study's conditions allow.
rule study_figure:
    input:
        unpack(figure_inputs),
    output:
        report(
            "results/{dataset}/figures/{figure}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "condition": "all", "figure": "{figure}"},
        ),
    log:
        "results/{dataset}/logs/figure/{figure}.log",
    benchmark:
        "results/{dataset}/benchmarks/figure/{figure}.tsv"
    wildcard_constraints:
        figure=_one_of(STUDY_FIGURES),
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
        captions=expand(
            os.path.join(REPORT_DIR, "figures", "{figure}.rst"), figure=[*FIGURES, *STUDY_FIGURES]
        ),
        summary=f"{TABLES}/summary.csv",
        selected_lr=f"{TABLES}/selected_lr.csv",
        comparisons=f"{TABLES}/comparisons.csv",
        runs=f"{TABLES}/runs.csv",
        evaluation=f"{TABLES}/evaluation.csv",
        benchmarks=f"{TABLES}/benchmarks.csv",
        figures=expand(
            "results/{{dataset}}/figures/{condition}/{figure}.png",
            condition=CONDITIONS,
            figure=FIGURES,
        ),
        study_figures=expand("results/{{dataset}}/figures/{figure}.png", figure=STUDY_FIGURES),
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
        study_figures=STUDY_FIGURES,
        captions=[*FIGURES, *STUDY_FIGURES],
        noisy=config["history_testset"],
        study=table_study(),
        jobs=lambda wildcards: len(benchmark_files(wildcards)),
    script:
        "../scripts/report.py"
