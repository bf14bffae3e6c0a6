"""What one job of a study needs from the config, as plain data (no torch import).

These functions turn the validated config into the per-job parameters that the Snakefile
passes as ``params``: everything that changes a job's result, so Snakemake's params trigger
reruns exactly the jobs a config change affects and no others.
"""

from __future__ import annotations

from math import isqrt

from .data.conditions import pairs_for

#: a run's folder under results/{dataset}/, and its name in logs
RUN_DIR = "runs/{condition}/{loss}/{optimizer}/lr{lr}/seed{seed}"
RUN_NAME = "{condition}/{loss}/{optimizer}/lr{lr}/seed{seed}"
RUN_FIELDS = ("condition", "loss", "optimizer", "lr", "seed")


def run_grid(config: dict) -> list[tuple]:
    """(condition, loss, optimizer, lr label, seed) of every run of a study, in a fixed order:
    the config's order of conditions, losses, optimizers (each with its learning rates) and
    seeds."""
    return [
        (condition, loss, optimizer, lr_label(lr), seed)
        for condition in config["conditions"]
        for loss in config["losses"]
        for optimizer, entry in config["optimizers"].items()
        for lr in learning_rates(entry)
        for seed in config["seeds"]
    ]


def pack_shape(size: int, losses: int) -> tuple[int, int]:
    """(losses, seeds) of a pack of up to ``size`` runs in a study of ``losses`` losses.

    The tile is as square as ``size`` allows (e.g. 4 losses x 3 seeds for 12), and holds every
    loss when there are fewer, with more seeds instead (1 loss x 12 seeds). It depends on
    ``size`` and on the losses, never on the seeds, so a new seed never re-forms a pack it
    does not join; nor does a new loss once the study has as many as the tile's side.
    """
    per_pack = min(losses, size // isqrt(size))
    return per_pack, size // per_pack


def packs(config: dict) -> list[dict]:
    """The runs of :func:`run_grid` grouped in packs of up to ``config["pack"]``: per setting
    (condition, optimizer, learning rate), the losses x seeds grid cut into tiles of
    :func:`pack_shape`, in the config's order. Each pack: its setting, ``losses`` and
    ``seeds`` (its runs are every loss with every seed), and its ``name`` (:data:`PACK_NAME`).
    """
    losses, seeds = list(config["losses"]), config["seeds"]
    across, down = pack_shape(config["pack"], len(losses))
    settings = dict.fromkeys((c, o, lr) for c, _, o, lr, _ in run_grid(config))
    return [
        {
            "condition": condition,
            "optimizer": optimizer,
            "lr": lr,
            "losses": losses[i : i + across],
            "seeds": seeds[j : j + down],
            "name": PACK_NAME.format(
                condition=condition,
                optimizer=optimizer,
                lr=lr,
                losses=_span(losses[i : i + across]),
                seeds=_span(seeds[j : j + down]),
            ),
        }
        for condition, optimizer, lr in settings
        for i in range(0, len(losses), across)
        for j in range(0, len(seeds), down)
    ]


#: a pack's name in logs and benchmark paths ('..' joins a span's ends: no name contains it)
PACK_NAME = "{condition}/{optimizer}/lr{lr}/{losses}/seed{seeds}"


def _span(names: list) -> str:
    return f"{names[0]}..{names[-1]}" if len(names) > 1 else f"{names[0]}"


def pack_runs(pack: dict) -> list[tuple]:
    """The runs of a pack, as :func:`run_grid` writes them, in its order."""
    setting = (pack["condition"], pack["optimizer"], pack["lr"])
    return [
        (setting[0], loss, *setting[1:], seed) for loss in pack["losses"] for seed in pack["seeds"]
    ]


def run_fields(run: tuple) -> dict:
    """A run of :func:`run_grid` as a mapping, to fill :data:`RUN_DIR` and the like."""
    return dict(zip(RUN_FIELDS, run, strict=True))


def phases(entry: dict | list[dict], epochs: int) -> list[dict]:
    """The phases of an optimizer entry, each a spec with its ``epochs`` filled in.

    An entry is either one optimizer (used for the study's ``epochs``) or a list of phases,
    each with its own ``epochs``, that train one model through the optimizers in order.
    """
    if isinstance(entry, dict):
        return [dict(sorted({**entry, "epochs": entry.get("epochs", epochs)}.items()))]
    return [dict(phase) for phase in entry]


def learning_rates(entry: dict | list[dict]) -> list[float]:
    """The learning rates an optimizer entry trains with: its ``lr`` list (each a run of its
    own), its single ``lr``, or for a list of phases the first phase's."""
    lr = entry["lr"] if isinstance(entry, dict) else entry[0]["lr"]
    return list(lr) if isinstance(lr, list) else [lr]


def fixed_lr(entry: dict | list[dict]) -> float | None:
    """The one learning rate every loss shares in the study's fixed-hyperparameter answer: the
    single ``lr``, or ``fixed_lr`` beside a list (None: the study only tunes it)."""
    rates = learning_rates(entry)
    if len(rates) == 1:
        return rates[0]
    return entry.get("fixed_lr") if isinstance(entry, dict) else None


def lr_label(lr: float) -> str:
    """A learning rate as it appears in a run's path (``lr{label}``): 0.1, 0.0003, 1e-05."""
    return f"{lr:g}"


def with_lr(entry: dict | list[dict], label: str) -> dict | list[dict]:
    """``entry`` with the single learning rate whose :func:`lr_label` is ``label``."""
    for lr in learning_rates(entry):
        if lr_label(lr) == label:
            if isinstance(entry, list):
                return entry
            return {k: v for k, v in entry.items() if k != "fixed_lr"} | {"lr": lr}
    allowed = ", ".join(lr_label(lr) for lr in learning_rates(entry))
    raise ValueError(f"no run with learning rate {label}; this optimizer has {allowed}")


def model_spec(config: dict, dataset: str) -> dict:
    """The architecture for ``dataset``: its own entry under ``model``, else ``default``."""
    return config["model"].get(dataset, config["model"]["default"])


def dataset_params(config: dict, dataset: str) -> dict:
    """The data options that change the cached arrays of ``dataset`` (its test split is its own
    only for digits; torchvision's datasets come with theirs)."""
    keys = [
        "validation_fraction",
        "split_seed",
        *(["test_fraction"] if dataset == "digits" else []),
    ]
    return {k: config["data"][k] for k in sorted(keys)}


def testset_params(config: dict, testset: str) -> dict:
    """A test set's spec, and the noise seed for the corrupted ones (the clean set has none)."""
    spec = config["testsets"][testset]
    return {"spec": spec} | (
        {} if spec["type"] == "clean" else {"noise_seed": config["noise_seed"]}
    )


def condition_params(config: dict, dataset: str, condition: str) -> dict:
    """A training condition's spec, its noise's class pairs (as indices) and its seed (the
    clean condition has none, so changing ``condition_seed`` leaves clean runs alone)."""
    spec = config["conditions"][condition]
    pairs = pairs_for(condition, spec, dataset) if spec["type"] == "asymmetric" else None
    seed = None if spec["type"] == "clean" else config["condition_seed"]
    return {"spec": spec, "seed": seed, "pairs": sorted(pairs.items()) if pairs else None}


def train_params(config: dict, dataset: str, loss: str, optimizer: str, lr: str) -> dict:
    """Everything that changes a training run's numbers, besides its inputs and seed; ``lr``
    is the run's learning-rate label (:func:`lr_label`)."""
    return {
        "model": model_spec(config, dataset),
        "loss": config["losses"][loss],
        "phases": phases(with_lr(config["optimizers"][optimizer], lr), config["epochs"]),
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
