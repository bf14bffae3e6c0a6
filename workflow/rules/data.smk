# Each dataset is loaded once; each test set (clean or corrupted) and each training condition
# (clean, label noise, imbalance) is made once per dataset.


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


rule make_condition:
    input:
        data="results/{dataset}/data.npz",
    output:
        "results/{dataset}/conditions/{condition}.npz",
    log:
        "results/{dataset}/logs/make_condition/{condition}.log",
    benchmark:
        "results/{dataset}/benchmarks/make_condition/{condition}.tsv"
    conda:
        "../../envs/lossbench.yaml"
    params:
        code=code("make_condition"),
        condition=condition_params,
    script:
        "../scripts/make_condition.py"
