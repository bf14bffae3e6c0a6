"""Score every trained model of a dataset on every configured test set: metrics and bins.

One process for all runs, so torch is imported once; test sets are read one at a time (7
MNIST-sized ones together would be 220 MB), each model is scored on each, then every run's
tables are written.
"""

import torch

from lossbench import arrays, evaluation, losses, models, testsets, training, weights
from lossbench.atomic import write_rows
from lossbench.snakejob import job

with job(snakemake):
    params = snakemake.params.run
    runs = params["runs"]
    training.configure(snakemake.threads, params["deterministic"])
    device = training.resolve_device(params["device"])
    data = arrays.load(snakemake.input.data, ("test_x", "classes"))
    shape, classes = data["test_x"].shape[1:], int(data["classes"].size)
    scorers = []  # (model, its loss function) per run
    for run, path in zip(runs, snakemake.input.weights, strict=True):
        model = weights.load_into(models.build(run["model"], shape, classes), path)
        scorers.append((model.to(device), losses.build(run["loss"])))
    metric_rows, bin_rows = [[] for _ in runs], [[] for _ in runs]
    specs = params["testsets"]
    for name, path in zip(specs, snakemake.input.testsets, strict=True):
        test = arrays.load(path, ("x", "y"))
        x, y = (torch.from_numpy(test[k]).to(device) for k in ("x", "y"))
        level = testsets.level(specs[name])
        for i, (model, loss_fn) in enumerate(scorers):
            metrics, bins = evaluation.evaluate(model, loss_fn, x, y)
            metric_rows[i].append(
                {"testset": name, "noise": specs[name]["type"], "level": level, **metrics}
            )
            bin_rows[i] += [
                {"testset": name, **dict(zip(bins, values, strict=True))}
                for values in zip(*bins.values(), strict=True)
            ]
        print(f"{name}: accuracy of each run {[rows[-1]['accuracy'] for rows in metric_rows]}")
    outputs = snakemake.output
    for metrics, bins, evaluation_path, calibration_path in zip(
        metric_rows, bin_rows, outputs.evaluation, outputs.calibration, strict=True
    ):
        write_rows(evaluation_path, list(metrics[0]), metrics)
        write_rows(calibration_path, list(bins[0]), bins)
