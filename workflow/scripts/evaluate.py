"""Score one trained model on every configured test set: metrics and calibration bins."""

import torch

from lossbench import arrays, evaluation, losses, models, testsets, training, weights
from lossbench.atomic import write_rows
from lossbench.snakejob import job

with job(snakemake):
    params = snakemake.params.run
    training.configure(snakemake.threads, params["deterministic"])
    device = training.resolve_device(params["device"])
    data = arrays.load(snakemake.input.data, ("test_x", "classes"))
    model = models.build(params["model"], data["test_x"].shape[1:], int(data["classes"].size))
    model.load_state_dict(weights.load(snakemake.input.weights))
    model.to(device)
    loss_fn = losses.build(params["loss"])
    metric_rows, bin_rows = [], []
    for name, path in zip(params["testsets"], snakemake.input.testsets, strict=True):
        spec = params["testsets"][name]
        test = arrays.load(path, ("x", "y"))
        x, y = (torch.from_numpy(test[k]).to(device) for k in ("x", "y"))
        metrics, bins = evaluation.evaluate(model, loss_fn, x, y)
        print(f"{name}: {metrics}")
        metric_rows.append(
            {"testset": name, "noise": spec["type"], "level": testsets.level(spec), **metrics}
        )
        bin_rows += [
            {"testset": name, **dict(zip(bins, values, strict=True))}
            for values in zip(*bins.values(), strict=True)
        ]
    write_rows(snakemake.output.evaluation, list(metric_rows[0]), metric_rows)
    write_rows(snakemake.output.calibration, list(bin_rows[0]), bin_rows)
