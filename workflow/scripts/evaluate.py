"""Score every trained model of a dataset on every configured test set: metrics and bins.

One process for all runs, so torch is imported once (see lossbench.evaluation.score_runs).
"""

from lossbench.plumbing.snakejob import job
from lossbench.train import evaluation, runtime

with job(snakemake):
    params = snakemake.params.run
    print(runtime.configure(snakemake.threads, params["deterministic"]))
    specs = params["testsets"]
    scores = evaluation.score_runs(
        params["runs"],
        snakemake.params.names,
        snakemake.input.weights,
        snakemake.input.data,
        dict(zip(specs, zip(specs.values(), snakemake.input.testsets, strict=True), strict=True)),
        runtime.resolve_device(params["device"], runtime.GPU_POOL),
        snakemake.input.conditions,
    )
    evaluation.save_scores(scores, snakemake.output.evaluation, snakemake.output.calibration)
