# Every trained model of a dataset on every configured test set, in one job per dataset: the
# job's cost is mostly importing torch (~1.5 s), so one job per run would pay it 24 times over.
# A test-set change re-evaluates only. Its input functions are in common.smk.


rule evaluate:
    input:
        data="results/{dataset}/data.npz",
        weights=every_run("weights.pt"),
        # for each run, its condition (the class counts of `alpha: balanced`)
        conditions=every_run(None, "results/{dataset}/conditions/{condition}.npz"),
        testsets=expand("results/{{dataset}}/testsets/{testset}.npz", testset=TESTSETS),
    output:
        evaluation=every_run("evaluation.csv"),
        calibration=every_run("calibration.csv"),
    log:
        "results/{dataset}/logs/evaluate.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate.tsv"
    conda:
        "../../envs/lossbench.yaml"
    threads: config["threads"]
    resources:
        gpu=GPUS,
    params:
        code=code("evaluate"),
        run=evaluate_params,
        names=run_names(),
    script:
        "../scripts/evaluate.py"
