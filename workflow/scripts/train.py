"""Train one run (dataset x loss x optimizer x seed): history, weights and status."""

from pathlib import Path

from lossbench import arrays, study, training, weights
from lossbench.atomic import write_json, write_rows
from lossbench.snakejob import job

with job(snakemake):
    params = snakemake.params.run
    seed = int(snakemake.wildcards.seed)
    training.configure(snakemake.threads, params["deterministic"])
    device = training.resolve_device(params["device"])
    data = arrays.load(
        snakemake.input.data, ("train_x", "train_y", "test_x", "test_y", "mean", "std", "classes")
    )
    noisy = arrays.load(snakemake.input.noisy, ("x",))["x"]
    checkpoint = Path(snakemake.output.history).with_name("checkpoint.pt")
    print(f"device={device} threads={snakemake.threads} seed={seed} params={params}")
    outcome = training.train_with(
        params,
        data=data,
        noisy_x=noisy,
        seed=seed,
        device=device,
        checkpoint=checkpoint,
        fingerprint=study.fingerprint(
            {**params, "seed": seed}, snakemake.input.data, snakemake.input.noisy
        ),
    )
    write_rows(snakemake.output.history, training.HISTORY_COLUMNS, outcome.history)
    weights.save(snakemake.output.weights, outcome.state_dict)
    write_json(snakemake.output.status, outcome.status)
    checkpoint.unlink(missing_ok=True)
    print(f"done: {outcome.status}")
