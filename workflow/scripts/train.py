"""Train one run (dataset x condition x loss x optimizer x seed): history, weights, status."""

from pathlib import Path

from lossbench.plumbing.snakejob import job
from lossbench.train import loop, runtime

with job(snakemake):
    params = snakemake.params.run
    seed = int(snakemake.wildcards.seed)
    print(runtime.configure(snakemake.threads, params["deterministic"]))
    device = runtime.resolve_device(params["device"])
    checkpoint = Path(snakemake.output.history).with_name("checkpoint.pt")
    print(f"device={device} threads={snakemake.threads} seed={seed} params={params}")
    (outcome,) = loop.train_files(
        [{**params, "seed": seed}],
        snakemake.input.data,
        snakemake.input.noisy,
        snakemake.input.condition,
        device=device,
        checkpoints=[checkpoint],
    )
    outputs = snakemake.output
    loop.save(outcome, outputs.history, outputs.weights, outputs.status)
    checkpoint.unlink(missing_ok=True)
    print(f"done: {outcome.status}")
