"""Train one run, or a pack of runs (dataset x condition x optimizer x lr, several losses and
seeds) together: each run's history, weights and status at its own path."""

from pathlib import Path

from lossbench.plumbing.snakejob import job
from lossbench.train import loop, runtime


def listed(files) -> list[str]:
    """A named output: one path (a run alone) or a list of them (a pack)."""
    return [files] if isinstance(files, str) else list(files)


with job(snakemake):
    runs, names = snakemake.params.runs, snakemake.params.names
    print(runtime.configure(snakemake.threads, runs[0]["deterministic"]))
    device = runtime.resolve_device(runs[0]["device"], runtime.GPU_POOL)
    outputs = snakemake.output
    files = list(
        zip(*(listed(outputs[key]) for key in ("history", "weights", "status")), strict=True)
    )
    checkpoints = [Path(history).with_name("checkpoint.pt") for history, _, _ in files]
    print(f"device={device} threads={snakemake.threads} runs={len(runs)} params={runs}")
    outcomes = loop.train_files(
        runs,
        snakemake.input.data,
        snakemake.input.noisy,
        snakemake.input.condition,
        checkpoints=checkpoints,
        names=names,
        device=device,
    )
    for outcome, (history, weights, status) in zip(outcomes, files, strict=True):
        loop.save(outcome, history, weights, status)
    for checkpoint in checkpoints:
        checkpoint.unlink(missing_ok=True)
    for name, outcome in zip(names, outcomes, strict=True):
        print(f"done: {name + ': ' if name else ''}{outcome.status}")
