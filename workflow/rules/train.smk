# One job per run: a fresh model from the seed, trained through its optimizer's phases on the
# training set as its condition leaves it.


rule train:
    input:
        data="results/{dataset}/data.npz",
        noisy=f"results/{{dataset}}/testsets/{config['history_testset']}.npz",
        condition="results/{dataset}/conditions/{condition}.npz",
    output:
        history=report(
            f"{RUN}/history.csv",
            caption="../report/history.rst",
            category="Runs",
            subcategory="{dataset}",
            labels={
                "condition": "{condition}",
                "loss": "{loss}",
                "optimizer": "{optimizer}",
                "lr": "{lr}",
                "seed": "{seed}",
            },
        ),
        weights=f"{RUN}/weights.pt",
        status=f"{RUN}/status.json",
    log:
        f"results/{{dataset}}/logs/train/{RUN_NAME}.log",
    benchmark:
        f"results/{{dataset}}/benchmarks/train/{RUN_NAME}.tsv"
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
