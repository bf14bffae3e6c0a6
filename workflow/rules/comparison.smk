# Across datasets: does the ranking of losses hold? Built when `datasets` lists several.


rule compare_datasets:
    input:
        evaluation=expand("results/{dataset}/tables/evaluation.csv", dataset=DATASETS),
        runs=expand("results/{dataset}/tables/runs.csv", dataset=DATASETS),
        comparisons=expand("results/{dataset}/tables/comparisons.csv", dataset=DATASETS),
        selected_lr=expand("results/{dataset}/tables/selected_lr.csv", dataset=DATASETS),
    output:
        ranks=report(
            "results/comparison/ranks.csv",
            caption="../report/comparison_ranks.rst",
            category="Across datasets",
        ),
        figure=report(
            "results/comparison/ranking.png",
            caption="../report/comparison_ranking.rst",
            category="Across datasets",
        ),
        findings="results/comparison/findings.md",
    log:
        "results/comparison/logs/compare_datasets.log",
    benchmark:
        "results/comparison/benchmarks/compare_datasets.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("compare_datasets"),
        study=table_study(),
    script:
        "../scripts/compare_datasets.py"
