# Each dataset is loaded once; each test set (clean or corrupted) is made once per dataset.


rule prepare_data:
    output:
        "results/{dataset}/data.npz",
    log:
        "results/{dataset}/logs/prepare_data.log",
    benchmark:
        "results/{dataset}/benchmarks/prepare_data.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("prepare_data"),
        options=dataset_params,
    script:
        "../scripts/prepare_data.py"


rule make_testset:
    input:
        data="results/{dataset}/data.npz",
    output:
        "results/{dataset}/testsets/{testset}.npz",
    log:
        "results/{dataset}/logs/make_testset/{testset}.log",
    benchmark:
        "results/{dataset}/benchmarks/make_testset/{testset}.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("make_testset"),
        testset=testset_params,
    script:
        "../scripts/make_testset.py"
