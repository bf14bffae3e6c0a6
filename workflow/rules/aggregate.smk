# Tidy tables over all runs of a dataset.


rule aggregate:
    input:
        history=every_run("history.csv"),
        status=every_run("status.json"),
        evaluation=every_run("evaluation.csv"),
        calibration=every_run("calibration.csv"),
    output:
        history="results/{dataset}/tables/history.csv",
        evaluation="results/{dataset}/tables/evaluation.csv",
        calibration="results/{dataset}/tables/calibration.csv",
        runs="results/{dataset}/tables/runs.csv",
    log:
        "results/{dataset}/logs/aggregate.log",
    benchmark:
        "results/{dataset}/benchmarks/aggregate.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("aggregate"),
        runs=run_grid(),
        testsets=TESTSETS,
        conditions=config["conditions"],
    script:
        "../scripts/aggregate.py"
