"""``python -m lossbench.bench``: the homework-style loop against ours, ours against the machine.

Both loops train the same models (the study's MLP and CNN) with the same loss, optimizer and
batch size on the same synthetic MNIST-shaped data, and score the clean and a noisy test set
after every epoch, so a "second per epoch" means the same work in both:

* homework: a per-sample ``Dataset`` that turns each image into a PIL image and through
  ``ToTensor`` + ``Normalize``, a shuffling ``DataLoader``, ``.item()`` after every step, noise
  drawn per evaluation batch -- the loop of a typical course notebook;
* lossbench: :func:`lossbench.train.loop.train`, the loop the workflow runs;
* packs (``--packs 1,3,8,24``): :func:`lossbench.train.loop.train_pack`, runs of the same model
  trained together (``pack`` in the config), timed per run-epoch, and on CUDA with the
  fraction of an epoch the GPU is busy running kernels.

The yardstick for ours is the float32 GEMM rate measured here on the same thread count: the
arithmetic of an epoch (counted by ``torch.utils.flop_counter`` on one real step, not estimated)
divided by the seconds gives GFLOP/s, and the fraction of that peak says how much of the
machine the loop leaves unused.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode
from torchvision import transforms

from .data.datasets import normalise
from .plumbing import numerics
from .train import loop, losses, models, runtime

MODELS = {"mlp": {"type": "mlp", "hidden": [256]}, "cnn": {"type": "cnn"}}
LOSS = {"type": "cross_entropy"}
OPTIMIZER = {"type": "sgd", "lr": 0.05, "momentum": 0.9}
NOISE_SIGMA = 1.0


def synthetic(n_train: int, n_test: int, seed: int = 0) -> dict[str, np.ndarray]:
    """MNIST-shaped uint8 data (1x28x28, 10 classes): a bright class template plus noise.

    The templates make the task learnable, so both loops train a model that behaves like one
    (no divergence, realistic logits) rather than fitting pure noise.
    """
    rng = np.random.default_rng(seed)
    templates = rng.random((10, 1, 28, 28)) < 0.2

    def split(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 96, (n, 1, 28, 28)) + 128 * templates[y]
        return x.astype(np.uint8), y.astype(np.int64)

    train_x, train_y = split(n_train)
    val_x, val_y = split(n_train // 10)
    test_x, test_y = split(n_test)
    scaled = train_x / 255.0
    return {
        "train_x": train_x,
        "train_y": train_y,
        "val_x": val_x,
        "val_y": val_y,
        "test_x": test_x,
        "test_y": test_y,
        "mean": np.float32([scaled.mean()]),
        "std": np.float32([scaled.std()]),
        "classes": np.asarray([str(c) for c in range(10)]),
    }


def _synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a clock read after it has seen the work done."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gemm_peak(size: int, seconds: float, device: torch.device) -> float:
    """Best float32 GFLOP/s of ``size``-square matrix products within about ``seconds``."""
    a, b = (torch.randn(size, size, device=device) for _ in range(2))
    out = torch.empty(size, size, device=device)
    torch.mm(a, b, out=out)  # warm-up: thread pool, caches, CUDA kernels
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        _synchronize(device)
        tic = time.perf_counter()
        torch.mm(a, b, out=out)
        _synchronize(device)
        best = max(best, 2 * size**3 / (time.perf_counter() - tic))
    return best / 1e9


def epoch_flops(
    model: torch.nn.Module, n_train: int, n_test: int, batch: int, n_val: int = 0
) -> float:
    """Floating-point operations of one epoch: training steps, a validation pass and two
    test-set passes."""
    shape = (batch, 1, 28, 28)
    with FlopCounterMode(display=False) as step:
        losses.build(LOSS)(
            model(torch.zeros(shape)), torch.zeros(batch, dtype=torch.long)
        ).backward()
    with FlopCounterMode(display=False) as score, torch.no_grad():
        model(torch.zeros(shape))
    model.zero_grad(set_to_none=True)
    scored = 2 * n_test + n_val
    return (step.get_total_flops() * n_train + score.get_total_flops() * scored) / batch


class HomeworkImages(Dataset):
    """One image at a time, as torchvision's MNIST serves it: PIL image, then the transform."""

    def __init__(self, x: np.ndarray, y: np.ndarray, mean: float, std: float):
        self.x, self.y = x, y
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((mean,), (std,))]
        )

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.x[i, 0])), int(self.y[i])


def homework_seconds(
    data: dict, model_spec: dict, epochs: int, batch: int, device: torch.device
) -> float:
    """Seconds per epoch of the homework-style loop (train, then validation, clean and noisy
    test); on a GPU each batch is copied there from the loader, as such notebooks do."""
    mean, std = float(data["mean"][0]), float(data["std"][0])
    train_loader = DataLoader(
        HomeworkImages(data["train_x"], data["train_y"], mean, std), batch_size=batch, shuffle=True
    )
    val_loader, test_loader = (
        DataLoader(HomeworkImages(data[f"{s}_x"], data[f"{s}_y"], mean, std), batch_size=batch)
        for s in ("val", "test")
    )
    torch.manual_seed(0)
    model = models.build(model_spec, (1, 28, 28), 10).to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=OPTIMIZER["lr"], momentum=OPTIMIZER["momentum"]
    )
    tic = time.perf_counter()
    for _ in range(epochs):
        model.train()
        running, correct = 0.0, 0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(labels)
            correct += (outputs.argmax(1) == labels).sum().item()
        model.eval()
        with torch.no_grad():
            for loader, sigma in (
                (val_loader, 0.0),
                (test_loader, 0.0),
                (test_loader, NOISE_SIGMA),
            ):
                test_loss, test_correct = 0.0, 0
                for images, labels in loader:
                    images, labels = images.to(device), labels.to(device)
                    outputs = model(images + sigma * torch.randn(images.size(), device=device))
                    test_loss += criterion(outputs, labels).item() * len(labels)
                    test_correct += (outputs.argmax(1) == labels).sum().item()
    return (time.perf_counter() - tic) / epochs


def noisy_test_set(data: dict) -> np.ndarray:
    """The normalised test images plus Gaussian noise of ``NOISE_SIGMA``, as the study's."""
    rng = np.random.default_rng(1)
    clean = normalise(data["test_x"], data["mean"], data["std"])
    return clean + np.float32(NOISE_SIGMA) * rng.standard_normal(clean.shape, dtype=np.float32)


def train_seconds(
    data: dict,
    noisy: np.ndarray,
    model_spec: dict,
    epochs: int,
    batch: int,
    device: torch.device,
    runs: int = 1,
) -> float:
    """Seconds of one :func:`lossbench.train.loop.train_pack` of ``runs`` runs (seeds 0, 1,
    ...) for ``epochs``, set-up included; one run is :func:`lossbench.train.loop.train`."""
    tic = time.perf_counter()
    outcomes = loop.train_pack(
        [loop.Run(LOSS, seed) for seed in range(runs)],
        data=data,
        noisy_x=noisy,
        model_spec=model_spec,
        phases=[{**OPTIMIZER, "epochs": epochs}],
        batch_size=batch,
        device=device,
        log=lambda _: None,
    )
    _synchronize(device)
    for outcome in outcomes:
        if outcome.status["status"] != "ok":
            raise RuntimeError(f"the benchmark run did not train: {outcome.status}")
    return time.perf_counter() - tic


def lossbench_seconds(
    data: dict,
    noisy: np.ndarray,
    model_spec: dict,
    epochs: int,
    batch: int,
    device: torch.device,
    runs: int = 1,
) -> float:
    """Seconds per run-epoch of a pack of ``runs`` (``noisy``: :func:`noisy_test_set`): for one
    run, seconds per epoch of :func:`lossbench.train.loop.train`.

    Its set-up (tensors, models, optimizer: paid once per job, not per epoch) is timed with
    zero epochs and taken off, as it would be spread over the 40 epochs of a study's run.
    """
    timed = (train_seconds(data, noisy, model_spec, n, batch, device, runs) for n in (epochs, 0))
    return (next(timed) - next(timed)) / epochs / runs


#: the operators that do a model's dense arithmetic (matrix products, convolutions)
DENSE_OPS = (
    "aten::mm",
    "aten::addmm",
    "aten::mkldnn_convolution",
    "aten::cudnn_convolution",
    "aten::convolution_backward",
)


def _profiled(device: torch.device, train) -> torch.autograd.profiler_util.EventList:
    """``torch.profiler``'s operators (and on CUDA, kernels) while ``train()`` runs."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profiler:
        train()
    return profiler.key_averages()


def _kernel_seconds(events) -> float:
    """The GPU's seconds in kernels: each kernel's own time, once (kernels are events of their
    own, as the profiler's total counts them)."""
    cuda = torch.autograd.DeviceType.CUDA
    return sum(e.self_device_time_total for e in events if e.device_type == cuda) / 1e6


def profile_epoch(
    data: dict,
    noisy: np.ndarray,
    model_spec: dict,
    batch: int,
    device: torch.device,
    rows: int = 12,
) -> tuple[dict, str]:
    """Where one epoch of our loop spends its time, from ``torch.profiler``.

    Returns the seconds in dense arithmetic (:data:`DENSE_OPS`, their own time) and in all
    operators, and the profiler's table of the ``rows`` busiest operators. On CUDA the
    seconds are the GPU's (the kernels each operator launched; the table's "Self CUDA"
    column and total); the host's launch costs are in the table's CPU columns.
    """
    events = _profiled(device, lambda: train_seconds(data, noisy, model_spec, 1, batch, device))
    if device.type == "cuda":
        own = "self_device_time_total"  # an operator's kernels
        all_ops = _kernel_seconds(events)
    else:
        own = "self_cpu_time_total"
        all_ops = sum(e.self_cpu_time_total for e in events) / 1e6
    seconds = {
        "dense_s": sum(getattr(e, own) for e in events if e.key in DENSE_OPS) / 1e6,
        "all_ops_s": all_ops,
    }
    return seconds, events.table(sort_by=own, row_limit=rows, max_name_column_width=40)


def gpu_busy(data, noisy, model_spec, epochs, batch, device, runs, seconds_per_epoch) -> float:
    """The fraction of a pack's epoch in which the GPU runs kernels: their seconds in a
    profiled run of ``epochs`` less those of its set-up (a run of 0 epochs), over the
    unprofiled ``seconds_per_epoch`` of the pack (the profiler slows the host, not kernels)."""
    kernels = [
        _kernel_seconds(
            _profiled(
                device, lambda n=n: train_seconds(data, noisy, model_spec, n, batch, device, runs)
            )
        )
        for n in (epochs, 0)
    ]
    return (kernels[0] - kernels[1]) / epochs / seconds_per_epoch


def pack_figures(
    data, noisy, spec, epochs, batch, device, sizes, repeats, flops, peak
) -> dict[str, dict]:
    """Per pack size: seconds per run-epoch (median, spread), the speedup over the first size
    in the same repeat, GFLOP/s and fraction of the GEMM ``peak`` (``flops``: one run-epoch's
    arithmetic), and on CUDA the GPU-busy fraction of an epoch. Sizes interleave in every
    repeat, so each sees the same machine."""
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(repeats):
        for size in sizes:
            timings[size].append(lossbench_seconds(data, noisy, spec, epochs, batch, device, size))
    figures = {}
    for size, each in timings.items():
        seconds = statistics.median(each)
        speedups = [a / b for a, b in zip(timings[sizes[0]], each, strict=True)]
        figures[str(size)] = {
            "s_per_run_epoch": seconds,
            "speedup": statistics.median(speedups),
            "gflops": flops / 1e9 / seconds,
            "fraction_of_peak": flops / 1e9 / seconds / peak,
            "spread": {
                "s_per_run_epoch": [min(each), max(each)],
                "speedup": [min(speedups), max(speedups)],
            },
        }
        if device.type == "cuda":
            figures[str(size)]["gpu_busy"] = gpu_busy(
                data, noisy, spec, epochs, batch, device, size, seconds * size
            )
    return figures


def run(
    *,
    threads: int,
    device: str,
    n_train: int,
    n_test: int,
    epochs: int,
    batch: int,
    gemm_size: int,
    profile: bool = False,
    deterministic: str = "portable",
    repeats: int = 3,
    packs: list[int] = (),
    models_to_run: list[str] = tuple(MODELS),
) -> dict:
    """Every figure of the benchmark, as the ``--json`` file holds them."""
    paths = runtime.configure(threads, deterministic)
    where = runtime.resolve_device(device)
    data = synthetic(n_train, n_test)
    noisy = noisy_test_set(data)
    warm_up = {k: v[:1024] if k.endswith(("_x", "_y")) else v for k, v in data.items()}
    peak = gemm_peak(gemm_size, seconds=1.0, device=where)
    result: dict = {
        "device": str(where),
        "threads": threads,
        "n_train": n_train,
        "n_test": n_test,
        "epochs": epochs,
        "batch_size": batch,
        "repeats": repeats,
        "deterministic": deterministic,
        "numerics": paths,
        "gemm_peak_gflops": peak,
        "models": list(models_to_run),
        "packs": list(packs),
    }
    for name in models_to_run:
        spec = MODELS[name]
        # first-call costs of every op
        lossbench_seconds(warm_up, noisy[:1024], spec, 1, batch, where)
        homeworks, ours_each = [], []
        for _ in range(repeats):  # interleaved, so both loops see the same machine
            homeworks.append(homework_seconds(data, spec, epochs, batch, where))
            ours_each.append(lossbench_seconds(data, noisy, spec, epochs, batch, where))
        homework, ours = statistics.median(homeworks), statistics.median(ours_each)
        speedups = [h / o for h, o in zip(homeworks, ours_each, strict=True)]
        model = models.build(spec, (1, 28, 28), 10)
        flops = epoch_flops(model, n_train, n_test, batch, len(data["val_y"]))
        result[name] = {
            "homework_s_per_epoch": homework,
            "lossbench_s_per_epoch": ours,
            "speedup": statistics.median(speedups),
            "gflop_per_epoch": flops / 1e9,
            "gflops": flops / 1e9 / ours,
            "fraction_of_peak": flops / 1e9 / ours / peak,
            "spread": {
                "homework_s_per_epoch": [min(homeworks), max(homeworks)],
                "lossbench_s_per_epoch": [min(ours_each), max(ours_each)],
                "speedup": [min(speedups), max(speedups)],
            },
        }
        if profile:
            seconds, table = profile_epoch(data, noisy, spec, batch, where)
            dense_gflops = flops / 1e9 / seconds["dense_s"]
            result[name]["profile"] = {
                **seconds,
                "dense_gflops": dense_gflops,
                "dense_fraction_of_peak": dense_gflops / peak,
                "table": table,
            }
        if packs:
            result[name]["packs"] = pack_figures(
                data, noisy, spec, epochs, batch, where, packs, repeats, flops, peak
            )
    return result


def report(result: dict) -> str:
    lines = [
        f"{result['n_train']} train / {result['n_test']} test MNIST-shaped images, batch "
        f"{result['batch_size']}, {result['epochs']} epoch(s), on {result['device']} with "
        f"{result['threads']} thread(s); an epoch = train + validation, clean and noisy test",
        f"deterministic: {result['deterministic']}: {result['numerics']}",
        f"float32 GEMM peak: {result['gemm_peak_gflops']:.1f} GFLOP/s",
        f"median of {result['repeats']} runs of each loop, interleaved (min-max in brackets)",
        f"{'model':<6}{'homework s/ep':>22}{'lossbench s/ep':>22}{'speedup':>18}"
        f"{'GFLOP/ep':>10}{'GFLOP/s':>9}{'of peak':>9}",
    ]

    def spread(r: dict, key: str, unit: str = "") -> str:
        low, high = r["spread"][key]
        return f"{r[key]:.3f}{unit} ({low:.3f}-{high:.3f})"

    for name in result["models"]:
        r = result[name]
        lines.append(
            f"{name:<6}{spread(r, 'homework_s_per_epoch'):>22}"
            f"{spread(r, 'lossbench_s_per_epoch'):>22}{spread(r, 'speedup', 'x'):>18}"
            f"{r['gflop_per_epoch']:>10.1f}{r['gflops']:>9.1f}{r['fraction_of_peak']:>9.2f}"
        )
    clock = "GPU" if result["device"].startswith("cuda") else "CPU"
    for name in result["models"]:
        if "profile" in result[name]:
            p = result[name]["profile"]
            lines += [
                f"\n{name}: one epoch under torch.profiler: {p['all_ops_s']:.3f} {clock} s in "
                f"operators, {p['dense_s']:.3f} s of it in matrix products and convolutions, "
                f"which run at {p['dense_gflops']:.1f} GFLOP/s "
                f"({p['dense_fraction_of_peak']:.2f} of peak): "
                "the loop's bound if every other operator took no time",
                p["table"],
            ]
    if result["packs"]:
        busy = "cuda" in result["device"]
        lines += [
            f"\npacks: runs trained together (seeds 0, 1, ...), seconds per run-epoch; speedup "
            f"over a pack of {result['packs'][0]} in the same repeat",
            f"{'model':<6}{'pack':>5}{'s per run-epoch':>24}{'speedup':>22}{'GFLOP/s':>9}"
            f"{'of peak':>9}{'GPU busy' if busy else '':>10}",
        ]
        for name in result["models"]:
            for size, r in result[name]["packs"].items():
                lines.append(
                    f"{name:<6}{size:>5}{spread(r, 's_per_run_epoch'):>24}"
                    f"{spread(r, 'speedup', 'x'):>22}{r['gflops']:>9.1f}"
                    f"{r['fraction_of_peak']:>9.2f}" + (f"{r['gpu_busy']:>10.2f}" if busy else "")
                )
    return "\n".join(lines)


def _restart_for(deterministic: str, argv: list[str]) -> None:
    """Run again in a fresh interpreter when this one's environment does not pin (portable)
    or unpin (machine) the code paths as asked: torch, imported, has read it already."""
    environ = {k: v for k, v in os.environ.items() if k not in numerics.PORTABLE_ENV}
    numerics.pin(deterministic, environ)
    if environ != dict(os.environ):
        os.execve(sys.executable, [sys.executable, "-m", "lossbench.bench", *argv], environ)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m lossbench.bench", description=__doc__)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train", type=int, default=60000, help="training images")
    parser.add_argument("--test", type=int, default=10000, help="test images")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="1 epoch on 1/4 of the data")
    parser.add_argument(
        "--repeats", type=int, default=3, help="timings of each loop (median and spread)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--packs",
        type=lambda text: [int(size) for size in text.split(",")],
        default=[],
        help="also time packs of these sizes, e.g. 1,3,8,24 (seconds per run-epoch)",
    )
    parser.add_argument(
        "--models",
        type=lambda text: text.split(","),
        default=list(MODELS),
        help=f"the models to measure (default: {','.join(MODELS)})",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile one epoch of our loop per model"
    )
    parser.add_argument(
        "--deterministic",
        choices=["portable", "machine"],
        default="portable",
        help="the config's code paths to measure (default: portable, the workflow's default)",
    )
    args = parser.parse_args(argv)
    _restart_for(args.deterministic, sys.argv[1:] if argv is None else argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device cuda: torch {torch.__version__} sees no CUDA device")
    if args.quick:
        args.epochs, args.train, args.test = 1, args.train // 4, args.test // 4
    result = run(
        threads=args.threads,
        device=args.device,
        n_train=args.train,
        n_test=args.test,
        epochs=args.epochs,
        batch=args.batch_size,
        gemm_size=1024 if args.quick else 8192 if args.device == "cuda" else 2048,
        profile=args.profile,
        deterministic=args.deterministic,
        repeats=args.repeats,
        packs=args.packs,
        models_to_run=args.models,
    )
    print(report(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
