"""Load one dataset once and cache it as uint8 arrays with its normalisation constants."""

from lossbench.data import arrays, datasets
from lossbench.plumbing.snakejob import job

with job(snakemake):
    data_cfg = snakemake.config["data"]
    loaded = datasets.load(
        snakemake.wildcards.dataset,
        root=data_cfg["root"],
        download=data_cfg["download"],
        **snakemake.params.options,
    )
    print({k: (v.shape, str(v.dtype)) for k, v in loaded.items()})
    arrays.save(snakemake.output[0], **loaded)
