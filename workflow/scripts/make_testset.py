"""Make one (clean or corrupted) copy of a dataset's test set, with the fixed noise seed."""

from lossbench.data import arrays, testsets
from lossbench.plumbing.snakejob import job

with job(snakemake):
    data = arrays.load(snakemake.input.data, ("test_x", "test_y", "mean", "std"))
    spec = snakemake.params.testset["spec"]
    x = testsets.make(data, spec, snakemake.params.testset.get("noise_seed"))
    print(f"{snakemake.wildcards.testset}: {spec} -> {x.shape} mean={x.mean():.4f}")
    arrays.save(snakemake.output[0], x=x, y=data["test_y"])
