# One job per run: a fresh model from the seed, trained through its optimizer's phases.


rule train:
    input:
        code=package("training", "losses", "models", "optim", "evaluation"),
        data="results/{dataset}/data.npz",
        noisy=f"results/{{dataset}}/testsets/{config['history_testset']}.npz",
    output:
        history=f"{RUN}/history.csv",
        weights=f"{RUN}/weights.pt",
        status=f"{RUN}/status.json",
    params:
        run=train_params,
    threads: config["threads"]
    resources:
        gpu=GPUS,
    log:
        "results/{dataset}/logs/train/{loss}/{optimizer}/seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/train/{loss}/{optimizer}/seed{seed}.tsv"
    conda:
        "../../envs/lossbench.yaml"
    script:
        "../scripts/train.py"
