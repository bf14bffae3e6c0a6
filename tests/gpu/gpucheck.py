"""Train the tiny study on CUDA and on the CPU; compare accuracies and seconds per epoch.

The package's own code does the work (``runtime.configure``/``resolve_device``,
``loop.train_pack``, ``evaluation.evaluate``), in one process, so the seconds per run-epoch are
the training loop's and not Python's start-up. CUDA and CPU kernels round differently, so
accuracies agree within a tolerance rather than bit for bit. On CUDA it also checks that the
loop does not wait for the GPU at every step and that one seed gives one history twice over.
``--pack N`` trains the study's runs in packs of up to N (``pack`` in the config; on CUDA with
batched matrix products and each step of full batches replayed as a CUDA graph) and also
checks that the packs' steps were captured. Run it through ``tests/gpu/check.sh`` (``--model
cnn`` for the CNN); exit status 2 means there is no CUDA device to check.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
import warnings
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from conftest import REPO, TINY_CONFIG  # noqa: E402 (pins the CPU numerics before torch)

# isort: split
import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

from lossbench import study  # noqa: E402
from lossbench.config import validate  # noqa: E402
from lossbench.data import datasets, testsets  # noqa: E402
from lossbench.train import evaluation, loop, losses, models, runtime  # noqa: E402

NO_CUDA = 2


def tiny_study(epochs: int, model: str, pack: int = 1) -> dict:
    """TINY_CONFIG with ``epochs``, a ``model`` of that type and ``pack``, validated, defaults
    filled in."""
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    config = {
        **copy.deepcopy(TINY_CONFIG),
        "epochs": epochs,
        "model": {"default": {"type": model}},
        "pack": pack,
    }
    return validate(config, schema)


def _quiet(_line: str) -> None:
    """Training's per-epoch log lines are not wanted here."""


def study_data(config: dict) -> tuple[dict, np.ndarray]:
    """The tiny study's digits and its per-epoch noisy test set."""
    data = datasets.load("digits", **study.dataset_params(config, "digits"))
    testset = config["testsets"][config["history_testset"]]
    return data, testsets.make(data, testset, config["noise_seed"])


def train_pack(config: dict, pack: dict, data, noisy, where, **options) -> list[loop.Outcome]:
    """The runs of one of ``study.packs(config)``, trained together on ``where``."""
    runs = pack["runs"] if "runs" in pack else study.pack_runs(pack)
    params = study.train_params(config, "digits", runs[0][1], pack["optimizer"], pack["lr"])
    return loop.train_pack(
        [loop.Run(config["losses"][loss], seed) for _, loss, _, _, seed in runs],
        data=data,
        noisy_x=noisy,
        model_spec=params["model"],
        phases=params["phases"],
        batch_size=options.pop("batch_size", params["batch_size"]),
        device=where,
        log=_quiet,
        **options,
    )


def measure(device_name: str, epochs: int, model: str, pack: int = 1) -> list[dict]:
    """Train every run of the tiny study on ``device_name``, in packs of up to ``pack``: clean
    test accuracy, seconds per run-epoch (its pack's seconds per epoch over its runs)."""
    config = tiny_study(epochs, model, pack)
    runtime.configure(config["threads"], config["deterministic"])
    where = runtime.resolve_device(device_name)
    data, noisy = study_data(config)
    noise_seed = config["noise_seed"]
    test_x = torch.from_numpy(testsets.make(data, {"type": "clean"}, noise_seed)).to(where)
    test_y = torch.from_numpy(data["test_y"]).to(where)
    rows = []
    for group in study.packs(config):
        tic = time.perf_counter()
        outcomes = train_pack(config, group, data, noisy, where)
        seconds = time.perf_counter() - tic
        runs = study.pack_runs(group)
        for (_, loss, optimizer, lr, seed), outcome in zip(runs, outcomes, strict=True):
            params = study.train_params(config, "digits", loss, optimizer, lr)
            shape, classes = data["train_x"].shape[1:], len(data["classes"])
            trained = models.build(params["model"], shape, classes)
            trained.load_state_dict(outcome.state_dict)
            metrics, _ = evaluation.evaluate(
                trained.to(where), losses.build(params["loss"]), test_x, test_y
            )
            rows.append(
                {
                    "run": f"{loss}/{optimizer}/seed{seed}",
                    "accuracy": metrics["accuracy"],
                    "seconds_per_epoch": seconds / epochs / len(runs),
                }
            )
    grid = [
        f"{loss}/{optimizer}/seed{seed}" for _, loss, optimizer, _, seed in study.run_grid(config)
    ]
    return sorted(rows, key=lambda row: grid.index(row["run"]))


def first_pack_on_cuda(
    epochs: int, model: str, batch_size: int, pack: int = 1
) -> tuple[list[list[dict]], int, int, list[str]]:
    """(histories, host synchronisations, steps, warnings) of the tiny study's first pack on
    CUDA.

    torch's sync debug mode warns at every operation that makes the host wait for the GPU
    (``.item()``, a blocking copy, ...); a loop that waits once per step has at least as many
    as steps. A step that could not be captured in a CUDA graph says so in a warning.
    """
    config = tiny_study(epochs, model, pack)
    runtime.configure(config["threads"], config["deterministic"])
    data, noisy = study_data(config)
    first = study.packs(config)[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            outcomes = train_pack(
                config,
                first,
                data,
                noisy,
                torch.device("cuda"),
                batch_size=batch_size,
            )
        finally:
            torch.cuda.set_sync_debug_mode("default")
    messages = [str(warning.message) for warning in caught]
    syncs = sum("synchroniz" in message for message in messages)
    steps = epochs * math.ceil(len(data["train_y"]) / batch_size)
    return [o.history for o in outcomes], syncs, steps, messages


def mismatches(cuda: list[dict], cpu: list[dict], tolerance: float) -> list[str]:
    """Runs whose CUDA and CPU accuracies differ by more than ``tolerance``."""
    return [
        f"{g['run']}: cuda {g['accuracy']:.4f} vs cpu {c['accuracy']:.4f}"
        for g, c in zip(cuda, cpu, strict=True)
        if abs(g["accuracy"] - c["accuracy"]) > tolerance
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--tolerance", type=float, default=0.02, help="absolute accuracy")
    parser.add_argument("--model", choices=sorted(models.REGISTRY), default="mlp")
    parser.add_argument("--pack", type=int, default=1, help="runs trained together (pack)")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print(
            "gpucheck: no CUDA device: torch.cuda.is_available() is False "
            f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); nothing to check",
            file=sys.stderr,
        )
        return NO_CUDA
    print(f"device: {torch.cuda.get_device_name()} (torch {torch.__version__})")
    runtime.configure(1, "portable")  # cuBLAS's settings before CUDA starts
    torch.zeros(1, device="cuda")  # CUDA context start-up is not an epoch's cost
    results = {name: measure(name, args.epochs, args.model, args.pack) for name in ("cuda", "cpu")}
    print(f"pack {args.pack}")
    print(f"{'run':<24}{'acc cuda':>10}{'acc cpu':>10}{'s/epoch cuda':>14}{'s/epoch cpu':>13}")
    for g, c in zip(results["cuda"], results["cpu"], strict=True):
        print(
            f"{g['run']:<24}{g['accuracy']:>10.4f}{c['accuracy']:>10.4f}"
            f"{g['seconds_per_epoch']:>14.4f}{c['seconds_per_epoch']:>13.4f}"
        )
    failures = [
        f"accuracy differs by more than {args.tolerance}: {line}"
        for line in mismatches(results["cuda"], results["cpu"], args.tolerance)
    ]
    # small batches: many steps, to tell per-step waits from per-epoch ones
    history, syncs, steps, messages = first_pack_on_cuda(3, args.model, 16, args.pack)
    again, _, _, _ = first_pack_on_cuda(3, args.model, 16, args.pack)
    print(f"host synchronisations on CUDA: {syncs} in 3 epochs of {steps // 3} steps each")
    print(f"the same pack twice on CUDA: {'same' if history == again else 'DIFFERENT'} histories")
    if syncs >= steps:
        failures.append("the training loop waits for the GPU at every step")
    if history != again:
        failures.append("the same seeds gave other histories on the same GPU")
    failures += [message for message in messages if "capturing one failed" in message]
    for line in failures:
        print(f"FAIL {line}", file=sys.stderr)
    print("FAIL" if failures else f"OK: accuracies agree within {args.tolerance}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
