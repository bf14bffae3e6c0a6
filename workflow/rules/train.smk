# One job per run: a fresh model from the seed, trained through its optimizer's phases.


rule train:
    input:
        data="results/{dataset}/data.npz",
        noisy=f"results/{{dataset}}/testsets/{config['history_testset']}.npz",
    output:
        history=report(
            f"{RUN}/history.csv",
            caption="../report/history.rst",
            category="Runs",
            subcategory="{dataset}",
            labels={"loss": "{loss}", "optimizer": "{optimizer}", "seed": "{seed}"},
        ),
        weights=f"{RUN}/weights.pt",
        status=f"{RUN}/status.json",
    log:
        "results/{dataset}/logs/train/{loss}/{optimizer}/seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/train/{loss}/{optimizer}/seed{seed}.tsv"
    conda:
        "../../envs/lossbench.yaml"
    threads: config["threads"]
    resources:
        gpu=GPUS,
    params:
        code=code("train"),
        run=train_params,
    script:
        "../scripts/train.py"
