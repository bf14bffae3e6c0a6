# Training: with `pack: 1` one job per run (a fresh model from the seed, trained through its
# optimizer's phases on the training set as its condition leaves it); with a larger `pack`, one
# job per pack of runs (lossbench.study.packs), each run the bytes it is alone. A pack's job
# writes several runs' files, and all outputs of a rule must share its wildcards, so each pack
# is a rule of its own with {dataset} its only wildcard. Every run keeps its files at its own
# path; logs and benchmarks are per job, under logs/train/ and benchmarks/train/.
# Input and params functions are in common.smk.

TRAIN_INPUT = {
    "data": "results/{dataset}/data.npz",
    "noisy": f"results/{{dataset}}/testsets/{config['history_testset']}.npz",
}


if config["pack"] == 1:

    rule train:
        input:
            **TRAIN_INPUT,
            condition="results/{dataset}/conditions/{condition}.npz",
        output:
            history=report(
                f"{RUN}/history.csv",
                caption="../report/history.rst",
                category="Runs",
                subcategory="{dataset}",
                labels=RUN_LABELS,
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
            **train_resources(1),
        params:
            code=code("train"),
            runs=lambda wildcards: [run_params(wildcards.dataset, run_of(wildcards))],
            names=[""],  # alone: its log lines need no name
        script:
            "../scripts/train.py"

else:

    for _pack in PACKS:

        rule:
            name:
                _pack["rule"]
            input:
                **TRAIN_INPUT,
                condition=f"results/{{dataset}}/conditions/{_pack['condition']}.npz",
            output:
                history=[
                    report(
                        path,
                        caption="../report/history.rst",
                        category="Runs",
                        subcategory="{dataset}",
                        labels={k: str(v) for k, v in run_keys(run).items()},
                    )
                    for run, path in zip(_pack["runs"], pack_files(_pack, "history.csv"))
                ],
                weights=pack_files(_pack, "weights.pt"),
                status=pack_files(_pack, "status.json"),
            log:
                f"results/{{dataset}}/logs/train/{_pack['name']}.log",
            benchmark:
                f"results/{{dataset}}/benchmarks/train/{_pack['name']}.tsv"
            conda:
                "../../envs/lossbench.yaml"
            threads: config["threads"]
            resources:
                **train_resources(len(_pack["runs"])),
            params:
                code=code("train"),
                runs=lambda wildcards, pack=_pack: [
                    run_params(wildcards.dataset, run) for run in pack["runs"]
                ],
                names=pack_names(_pack),
            script:
                "../scripts/train.py"
