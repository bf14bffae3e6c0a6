# Every trained model on every configured test set; a test-set change re-evaluates only.


rule evaluate:
    input:
        code=package("evaluation", "losses", "models"),
        data="results/{dataset}/data.npz",
        weights=f"{RUN}/weights.pt",
        testsets=expand("results/{{dataset}}/testsets/{testset}.npz", testset=TESTSETS),
    output:
        evaluation=f"{RUN}/evaluation.csv",
        calibration=f"{RUN}/calibration.csv",
    params:
        run=evaluate_params,
    threads: config["threads"]
    resources:
        gpu=GPUS,
    log:
        "results/{dataset}/logs/evaluate/{loss}/{optimizer}/seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate/{loss}/{optimizer}/seed{seed}.tsv"
    conda:
        "../../envs/lossbench.yaml"
    script:
        "../scripts/evaluate.py"
