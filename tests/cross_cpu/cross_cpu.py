"""The tiny study's files made in one process, to compare the bytes two CPUs produce.

``python tests/cross_cpu/cross_cpu.py make DIR`` writes what the workflow's jobs write for the
tiny study of ``conftest.TINY_CONFIG`` (``DIR/results/digits/``: data, test sets, and every
run's history, weights, status, evaluation and calibration), calling the very functions the
jobs call, on the pinned code paths of ``deterministic: portable`` (same bytes as the samples
under ``tests/data/rules/``, which Snakemake made: ``test_cross_cpu.py``).
``python tests/cross_cpu/cross_cpu.py compare A [B]`` lists every file of A that B (default:
the samples) lacks or holds other bytes of, and exits 1 if there is one. Run ``make`` on
another machine, or on an emulated CPU (``tests/cross_cpu/emulated.sh``), then ``compare``.
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from conftest import REPO, TINY_CONFIG  # noqa: E402 (conftest pins the numerics before torch)

SAMPLES = TESTS / "data" / "rules"
#: the files a CPU's arithmetic decides (the rest of a study is made from them)
COMPARED = ("*.npz", "testsets/*.npz", "conditions/*.npz", "runs/*/*/*/*/*/*")


def cpu_features() -> str:
    """What numpy's run-time dispatch saw of this CPU (from CPUID: an emulated CPU's own)."""
    from numpy._core._multiarray_umath import __cpu_features__ as found

    return ", ".join(f"{flag} {'yes' if found.get(flag) else 'no'}" for flag in ("AVX2", "AVX512F"))


def make(out: Path, config: dict = TINY_CONFIG) -> list[Path]:
    """Write the study's per-run files under ``out/results/{dataset}``; return them."""
    import torch
    import yaml

    from lossbench import study
    from lossbench.config import validate
    from lossbench.data import arrays, conditions, datasets, testsets
    from lossbench.train import evaluation, loop, runtime

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    config = validate(copy.deepcopy(config), schema)
    print(runtime.configure(config["threads"], config["deterministic"]))
    device = torch.device("cpu")
    (dataset,) = config["datasets"]
    root = out / "results" / dataset
    data_path = root / "data.npz"
    arrays.save(data_path, **datasets.load(dataset, **study.dataset_params(config, dataset)))
    data = arrays.load(data_path, ("test_x", "test_y", "mean", "std"))
    testset_files = {}
    for name, spec in config["testsets"].items():
        path = root / "testsets" / f"{name}.npz"
        arrays.save(path, x=testsets.make(data, spec, config["noise_seed"]), y=data["test_y"])
        testset_files[name] = (spec, str(path))
    noisy = testset_files[config["history_testset"]][1]
    labels = arrays.load(data_path, ("train_y", "val_y", "classes"))
    condition_files = {}
    for name in config["conditions"]:
        condition_files[name] = root / "conditions" / f"{name}.npz"
        made = conditions.from_params(
            labels["train_y"],
            labels["val_y"],
            int(labels["classes"].size),
            study.condition_params(config, dataset, name),
        )
        arrays.save(condition_files[name], **made)
    grid = study.run_grid(config)
    runs = [root / study.RUN_DIR.format(**study.run_fields(run)) for run in grid]
    for (condition, loss, optimizer, lr, seed), run in zip(grid, runs, strict=True):
        params = study.train_params(config, dataset, loss, optimizer, lr)
        (outcome,) = loop.train_files(
            [{**params, "seed": seed}],
            str(data_path),
            noisy,
            str(condition_files[condition]),
            device=device,
            log=lambda _: None,
        )
        loop.save(outcome, run / "history.csv", run / "weights.pt", run / "status.json")
    scores = evaluation.score_runs(
        study.evaluate_params(config, dataset, [run[1] for run in grid])["runs"],
        [study.RUN_NAME.format(**study.run_fields(run)) for run in grid],
        [str(run / "weights.pt") for run in runs],
        str(data_path),
        testset_files,
        device,
        [str(condition_files[run[0]]) for run in grid],
    )
    evaluation.save_scores(
        scores, [run / "evaluation.csv" for run in runs], [run / "calibration.csv" for run in runs]
    )
    return files(out)


def files(root: Path) -> list[Path]:
    """The compared files under ``root``, relative to it."""
    results = [p for p in (root / "results").iterdir() if p.is_dir()]
    return sorted(
        path.relative_to(root)
        for dataset in results
        for pattern in COMPARED
        for path in dataset.glob(pattern)
        if path.is_file()
    )


def differences(a: Path, b: Path) -> list[str]:
    """Every file of ``a`` that ``b`` lacks or holds other bytes of."""
    return [
        f"{path}: {'missing' if not (b / path).exists() else 'bytes differ'}"
        for path in files(a)
        if not (b / path).exists() or (a / path).read_bytes() != (b / path).read_bytes()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("make").add_argument("out", type=Path)
    compare = commands.add_parser("compare")
    compare.add_argument("a", type=Path)
    compare.add_argument("b", type=Path, nargs="?", default=SAMPLES)
    args = parser.parse_args(argv)
    if args.command == "make":
        made = make(args.out)
        print(f"{platform.machine()} ({cpu_features()}): wrote {len(made)} files under {args.out}")
        return 0
    found = differences(args.a, args.b)
    for line in found:
        print(line)
    print(f"{len(files(args.a))} files compared with {args.b}: {len(found)} differ")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
