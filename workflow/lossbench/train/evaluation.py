"""Scoring a model on a test set with yardsticks that are comparable across losses.

Each loss's own value is not comparable between losses (MAE lives in [0, 2], focal shrinks
confident terms), so every model is also measured with accuracy, negative log-likelihood,
expected calibration error (equal-width confidence bins) and the Brier score.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..data import arrays, testsets
from ..plumbing.atomic import write_rows
from . import losses, models, weights
from .ece import ECE_BINS, expected_calibration_error
from .losses import LossFn


@torch.no_grad()
def logits_of(model: torch.nn.Module, x: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """Logits in batches of 256: the CNN's activations stay in cache (1.8x faster on MNIST than
    1024) and small (4096 cost 0.4 GB); the logits are the same bits at any batch size."""
    model.eval()
    return torch.cat([model(x[i : i + batch]) for i in range(0, len(x), batch)])


def split_scores(logits: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> torch.Tensor:
    """(own loss, accuracy, NLL) as one device tensor, so the caller syncs once."""
    return torch.stack(
        [
            loss_fn(logits, y),
            (logits.argmax(dim=1) == y).float().mean(),
            F.cross_entropy(logits, y),
        ]
    )


def calibration_bins(probs: torch.Tensor, y: torch.Tensor, bins: int = ECE_BINS) -> dict:
    """Per equal-width confidence bin: count, mean confidence and accuracy (NaN when empty)."""
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == y).double()
    # a diverged model's NaN confidences land in the lowest bin instead of breaking bincount
    index = (confidence.double() * bins).nan_to_num(0.0).long().clamp(0, bins - 1)
    count = torch.bincount(index, minlength=bins).double()
    conf_sum = torch.bincount(index, weights=confidence.double(), minlength=bins)
    correct_sum = torch.bincount(index, weights=correct, minlength=bins)
    return {
        "bin": list(range(bins)),
        "lower": [b / bins for b in range(bins)],
        "upper": [(b + 1) / bins for b in range(bins)],
        "count": count.long().tolist(),
        "confidence": (conf_sum / count).tolist(),
        "accuracy": (correct_sum / count).tolist(),
    }


def per_class(predicted: torch.Tensor, y: torch.Tensor, classes: int) -> dict:
    """Balanced accuracy (mean recall over classes), macro-F1 (mean F1 over classes) and the
    lowest recall of any class (0 when a model never predicts some class) from the confusion
    of ``predicted`` and true ``y``. A class nobody predicts and nobody has scores F1 0."""
    confusion = torch.bincount(y * classes + predicted, minlength=classes * classes)
    confusion = confusion.reshape(classes, classes).double()
    hits, support, claimed = confusion.diagonal(), confusion.sum(1), confusion.sum(0)
    recall = hits / support.clamp_min(1)
    f1 = 2 * hits / (support + claimed).clamp_min(1)
    present = support > 0
    return {
        "balanced_accuracy": recall[present].mean().item(),
        "macro_f1": f1[present].mean().item(),
        "min_recall": recall[present].min().item(),
    }


@torch.no_grad()
def evaluate(model: torch.nn.Module, loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor):
    """Final metrics of ``model`` on one test set, and its calibration bins."""
    logits = logits_of(model, x)
    loss, accuracy, nll = split_scores(logits, y, loss_fn).tolist()
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(y, num_classes=probs.shape[1]).to(probs.dtype)
    brier = ((probs - onehot) ** 2).sum(dim=1).mean().item()
    bins = calibration_bins(probs.cpu(), y.cpu())
    metrics = {
        "accuracy": accuracy,
        "loss": loss,
        "nll": nll,
        "ece": expected_calibration_error(bins),
        "brier": brier,
        **per_class(logits.argmax(dim=1), y, probs.shape[1]),
    }
    return metrics, bins


def score_runs(
    runs: list[dict],
    names: list[str],
    weight_files: list[str],
    data: str,
    testset_files: dict[str, tuple[dict, str]],
    device: torch.device,
    condition_files: list[str] | None = None,
    log: Callable[[str], None] = print,
) -> list[tuple[list[dict], list[dict]]]:
    """(metric rows, calibration-bin rows) of every run on every test set.

    ``runs`` holds each run's ``model`` and ``loss`` spec, ``names`` its name for the log,
    ``weight_files`` its weights;
    ``testset_files`` maps a test set's name to (its spec, its ``.npz``). Test sets are read
    one at a time (7 MNIST-sized ones together would be 220 MB); each model is scored on each.
    ``condition_files`` (each run's training condition) give the class counts of a loss with
    ``alpha: balanced``.
    """
    shape_of = arrays.load(data, ("test_x", "classes", "std"))
    shape, classes = shape_of["test_x"].shape[1:], int(shape_of["classes"].size)
    scorers = []  # (model, its loss function) per run
    conditions_of = condition_files or [None] * len(runs)
    for run, path, condition in zip(runs, weight_files, conditions_of, strict=True):
        model = weights.load_into(models.build(run["model"], shape, classes), path)
        counts = None
        if condition is not None:
            labels = arrays.load(condition, ("labels",))["labels"]
            counts = np.bincount(labels, minlength=classes)
        scorers.append((model.to(device), losses.build(run["loss"], counts)))
    scores: list[tuple[list[dict], list[dict]]] = [([], []) for _ in runs]
    for name, (spec, path) in testset_files.items():
        test = arrays.load(path, ("x", "y"))
        x, y = (torch.from_numpy(test[k]).to(device) for k in ("x", "y"))
        noise = {
            "testset": name,
            "noise": spec["type"],
            "level": testsets.level(spec),
            "intensity": testsets.intensity(spec, shape_of["std"]),
        }
        for (model, loss_fn), (metric_rows, bin_rows) in zip(scorers, scores, strict=True):
            metrics, bins = evaluate(model, loss_fn, x, y)
            metric_rows.append({**noise, **metrics})
            bin_rows += [
                {"testset": name, **dict(zip(bins, values, strict=True))}
                for values in zip(*bins.values(), strict=True)
            ]
        accuracies = [rows[-1]["accuracy"] for rows, _ in scores]
        named = (f"{n} {a:.4f}" for n, a in zip(names, accuracies, strict=True))
        log(f"{name} accuracy: {', '.join(named)}")
    return scores


def save_scores(
    scores: list[tuple[list[dict], list[dict]]], evaluation: list[str], calibration: list[str]
) -> None:
    """Every run's evaluation.csv and calibration.csv from :func:`score_runs`."""
    for (metrics, bins), evaluation_path, calibration_path in zip(
        scores, evaluation, calibration, strict=True
    ):
        write_rows(evaluation_path, list(metrics[0]), metrics)
        write_rows(calibration_path, list(bins[0]), bins)
