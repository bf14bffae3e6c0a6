"""What one job of a study needs from the config, as plain data (no torch import).

These functions turn the validated config into the per-job parameters that the Snakefile
passes as ``params``: everything that changes a job's result, so Snakemake's params trigger
reruns exactly the jobs a config change affects and no others.
"""

from __future__ import annotations


def phases(entry: dict | list[dict], epochs: int) -> list[dict]:
    """The phases of an optimizer entry, each a spec with its ``epochs`` filled in.

    An entry is either one optimizer (used for the study's ``epochs``) or a list of phases,
    each with its own ``epochs``, that train one model through the optimizers in order.
    """
    if isinstance(entry, dict):
        return [dict(sorted({**entry, "epochs": entry.get("epochs", epochs)}.items()))]
    return [dict(phase) for phase in entry]


def model_spec(config: dict, dataset: str) -> dict:
    """The architecture for ``dataset``: its own entry under ``model``, else ``default``."""
    return config["model"].get(dataset, config["model"]["default"])


def dataset_params(config: dict, dataset: str) -> dict:
    """The data options that change the cached arrays of ``dataset``."""
    if dataset == "digits":
        return {k: config["data"][k] for k in ("test_fraction", "split_seed")}
    return {}


def testset_params(config: dict, testset: str) -> dict:
    """A test set's spec, and the noise seed for the corrupted ones (the clean set has none)."""
    spec = config["testsets"][testset]
    return {"spec": spec} | (
        {} if spec["type"] == "clean" else {"noise_seed": config["noise_seed"]}
    )


def train_params(config: dict, dataset: str, loss: str, optimizer: str) -> dict:
    """Everything that changes a training run's numbers, besides its inputs and seed."""
    return {
        "model": model_spec(config, dataset),
        "loss": config["losses"][loss],
        "phases": phases(config["optimizers"][optimizer], config["epochs"]),
        "batch_size": config["batch_size"],
        "device": config["device"],
        "deterministic": config["deterministic"],
    }


def evaluate_params(config: dict, dataset: str, losses: list[str]) -> dict:
    """What changes the scores of a dataset's runs: each run's model and loss (``losses`` names
    the loss of every run, in order), the test sets, and where and how they are computed."""
    return {
        "runs": [
            {"model": model_spec(config, dataset), "loss": config["losses"][loss]}
            for loss in losses
        ],
        "testsets": config["testsets"],
        "device": config["device"],
        "deterministic": config["deterministic"],
    }
