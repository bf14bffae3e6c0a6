"""Make one training condition of a dataset: the labels (and images) training uses."""

import numpy as np

from lossbench.data import arrays, conditions
from lossbench.plumbing.snakejob import job

with job(snakemake):
    params = snakemake.params.condition
    data = arrays.load(snakemake.input.data, ("train_y", "val_y", "classes"))
    made = conditions.from_params(data["train_y"], data["val_y"], int(data["classes"].size), params)
    kept = np.bincount(made["labels"], minlength=int(data["classes"].size))
    print(
        f"{snakemake.wildcards.condition}: {params['spec']}: {len(made['indices'])} training "
        f"images kept ({len(made['val_indices'])} for validation), "
        f"{int(made['corrupted'].sum())} labels corrupted, labels per class {kept.tolist()}"
    )
    arrays.save(snakemake.output[0], **made)
