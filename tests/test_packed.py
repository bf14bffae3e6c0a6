"""Packed training in-process: a run trained in a pack is the very run trained alone.

Every run of a pack keeps its own initial weights, data order, loss, optimizer state and
checkpoint, so on the CPU its history, weights and status are the bytes it gets alone, for the
MLP and the CNN, SGD (momentum, Nesterov, weight decay) and Adam, every loss of the registry
and a plan of phases; a diverging run stops alone; a killed pack resumes to the same bytes,
even when its runs' checkpoints are an epoch apart.
"""

from __future__ import annotations

import functools
import io
import shutil

import pandas as pd
import pytest
import torch

from lossbench.analysis import statistics
from lossbench.data import conditions, datasets, testsets
from lossbench.train import loop, losses, models, optim, packed
from lossbench.train.packed import Pack

CPU = torch.device("cpu")
MODELS = {
    "mlp": {"type": "mlp", "hidden": [32]},
    "cnn": {"type": "cnn", "channels": [4], "hidden": 16},
}
SGD = {"type": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3, "nesterov": True}
ADAM = {"type": "adam", "lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-4}
PLANS = {
    "sgd": [{**SGD, "epochs": 2}],
    "adam": [{**ADAM, "epochs": 2}],
    "sgd_then_adam": [{**SGD, "epochs": 1}, {**ADAM, "epochs": 2}],
}
#: every loss type of the registry, and class weights both given and balanced
LOSSES = [
    {"type": "mae"},
    {"type": "cross_entropy", "alpha": "balanced"},
    {"type": "focal", "gamma": 0.5},
    {"type": "focal", "gamma": 2.0, "alpha": [1.0] * 9 + [2.0]},
    {"type": "gce", "q": 0.7},
    {"type": "sce", "alpha": 0.1, "beta": 1.0},
    {"type": "nce_rce", "alpha": 1.0, "beta": 1.0},
    {"type": "label_smoothing", "epsilon": 0.1},
    {"type": "poly1", "epsilon": 1.0},
]
assert {spec["type"] for spec in LOSSES} == set(losses.REGISTRY)
ABSURD = [{"type": "sgd", "lr": 1.0e6, "momentum": 0.0, "weight_decay": 0.0, "epochs": 3}]


@pytest.fixture(scope="module")
def digits():
    data = datasets.load("digits")
    noisy = testsets.make(data, {"type": "gaussian", "sigma": 1.0}, 0)
    noise = {"spec": {"type": "symmetric", "rate": 0.3}, "seed": 0, "pairs": None}
    # label noise: memorisation is scored, and `balanced` weighs the noisy labels' counts
    condition = conditions.from_params(data["train_y"], data["val_y"], 10, noise)
    return {"data": data, "noisy_x": noisy, "condition": condition}


def train(digits, runs, model="mlp", plan="sgd", **options):
    options = {"batch_size": 100, "log": lambda _: None, **digits, **options}
    return loop.train_pack(
        runs,
        model_spec=MODELS[model],
        phases=PLANS[plan] if isinstance(plan, str) else plan,
        device=CPU,
        **options,  # by default batches of 100: 1212 training images leave a last batch of 12
    )


def as_bytes(outcome: loop.Outcome) -> tuple:
    """A run's three outputs as the files hold them (NaN compares equal as text)."""
    weights = io.BytesIO()
    torch.save(outcome.state_dict, weights)
    return repr(outcome.history), weights.getvalue(), outcome.status


def alone(digits, run: loop.Run, **options) -> tuple:
    return as_bytes(train(digits, [run], **options)[0])


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_pack_trains_each_run_as_it_trains_alone(digits, model, plan):
    """Losses and seeds mixed in one pack: the bytes of every run alone."""
    specs = LOSSES if (model, plan) == ("mlp", "sgd") else LOSSES[:3]
    runs = [loop.Run(spec, seed) for spec in specs for seed in (0, 3)]
    packed = train(digits, runs, model, plan)
    for run, outcome in zip(runs, packed, strict=True):
        assert as_bytes(outcome) == alone(digits, run, model=model, plan=plan), run
    assert max(o.history[-1]["test_acc"] for o in packed) > 0.2  # above chance (0.1)
    assert packed[0].history != packed[1].history  # seeds 0 and 3 differ


def test_a_diverging_run_stops_alone_and_the_others_finish(digits):
    runs = [loop.Run({"type": "cross_entropy"}, seed) for seed in (0, 1)]
    runs.insert(1, loop.Run({"type": "mae"}, 0))
    # lr 1e6 on clean labels: cross-entropy blows up at epoch 2, MAE's bounded gradient does not
    options = {"plan": ABSURD, "condition": None, "batch_size": 128}
    packed = train(digits, runs, **options)
    statuses = [outcome.status["status"] for outcome in packed]
    assert statuses == ["diverged", "ok", "diverged"]
    assert [len(outcome.history) for outcome in packed] == [1, 3, 1]
    for run, outcome in zip(runs, packed, strict=True):
        assert as_bytes(outcome) == alone(digits, run, **options)


class Killed(Exception):
    """Stands for a SIGKILL: training stops between two of its log lines."""


def _kill_after(lines: int):
    seen = []

    def log(line: str) -> None:
        seen.append(line)
        if len(seen) == lines:
            raise Killed

    return log


def test_a_killed_pack_resumes_to_the_same_bytes(digits, tmp_path):
    """Killed as the last of its 4 runs logs epoch 2 (a run checkpoints right after its log
    line): three runs checkpointed epoch 2, the fourth epoch 1. The resumed pack trains the
    fourth's epoch 2 alone, then all four on."""

    def runs(folder):
        return [
            loop.Run(spec, seed, tmp_path / folder / f"{i}.pt", f"fp{i}", f"run{i}")
            for i, (spec, seed) in enumerate((s, seed) for s in LOSSES[:2] for seed in (0, 1))
        ]

    (tmp_path / "killed").mkdir()
    with pytest.raises(Killed):
        train(digits, runs("killed"), plan="sgd_then_adam", log=_kill_after(4 + 4))
    epochs = [torch.load(run.checkpoint, weights_only=True)["epoch"] for run in runs("killed")]
    assert epochs == [2, 2, 2, 1]
    shutil.copytree(tmp_path / "killed", tmp_path / "again")
    lines: list[str] = []
    resumed = train(digits, runs("killed"), plan="sgd_then_adam", log=lines.append)
    assert lines[:4] == [f"run{i}: resuming from epoch {e}" for i, e in enumerate(epochs)]
    assert lines[4].startswith("run3: epoch 2/3 ")  # the run behind trains alone first
    uninterrupted = train(digits, runs("fresh"), plan="sgd_then_adam")
    assert [as_bytes(o) for o in resumed] == [as_bytes(o) for o in uninterrupted]
    # a checkpoint of another configuration (fingerprint) is not resumed
    other = [loop.Run(run.loss_spec, run.seed, run.checkpoint, "other") for run in runs("again")]
    lines.clear()
    assert [as_bytes(o) for o in train(digits, other, plan="sgd_then_adam", log=lines.append)] == [
        as_bytes(o) for o in uninterrupted
    ]
    assert sum("belongs to another configuration" in line for line in lines) == 4


def test_a_runs_weights_load_into_its_own_model(digits):
    run = loop.Run({"type": "cross_entropy"}, 0)
    (outcome,) = train(digits, [run, loop.Run({"type": "mae"}, 1)], "cnn")[:1]
    model = models.build(MODELS["cnn"], (1, 8, 8), 10)
    model.load_state_dict(outcome.state_dict)
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_the_batched_path_computes_the_same_model(model):
    """``batched`` (the GPU's matrix products) is the same function: equal logits up to the
    last bits of float32 rounding."""
    shape = (1, 8, 8)
    built = []
    for seed in range(3):
        torch.manual_seed(seed)
        built.append(models.build(MODELS[model], shape, 10))
    weights = [dict(m.state_dict()) for m in built]
    x = torch.randn(3 * 5, *shape)
    exact = Pack(built[0], weights, CPU)(x)
    batched = Pack(built[0], weights, CPU, batched=True)(x)
    alone = torch.cat([m(rows) for m, rows in zip(built, x.chunk(3), strict=True)])
    assert torch.equal(exact, alone)
    torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-6)


class Replayed:
    """Stands in for a CUDA graph on the CPU: capturing records the step, replaying runs it."""

    def __init__(self, step):
        self.step, self.replays = step, 0

    def replay(self):
        self.replays += 1
        self.step()


def _record(graphs: list, step) -> Replayed:
    graphs.append(Replayed(step))
    return graphs[-1]


def test_a_captured_step_replays_the_same_training(digits):
    """The graph path's plumbing (a static index buffer, replays, the eager last batch) on the
    CPU: the same weights and sums as eager steps, and every full batch after the warm-up
    replayed."""
    data = digits["data"]
    x = torch.from_numpy(data["train_x"]).float().div_(16.0)
    y = torch.from_numpy(data["train_y"])
    results, graphs = [], []
    for captured in (None, []):
        built = []
        for seed in range(3):
            torch.manual_seed(seed)
            built.append(models.build(MODELS["mlp"], (1, 8, 8), 10))
        pack = Pack(built[0], [dict(m.state_dict()) for m in built], CPU)
        optimizer = optim.build({"type": "adam"}, pack.params())
        steps = packed.Steps(
            pack,
            optimizer,
            [losses.build({"type": "cross_entropy"})] * 3,
            lambda idx: x.index_select(0, idx),
            y,
            batch=100,
            graphs=captured is not None,
            capture=None if captured is None else functools.partial(_record, captured),
        )
        order = torch.Generator().manual_seed(0)
        for _ in range(2):
            steps.epoch()
            for idx in torch.stack([torch.randperm(len(y), generator=order)] * 3).split(100, 1):
                steps(idx)
        results.append((steps.loss_sum, steps.correct, pack.weights(2)))
        graphs.append(captured)
    eager, replayed = results
    assert torch.equal(eager[0], replayed[0]) and torch.equal(eager[1], replayed[1])
    assert all(torch.equal(eager[2][k], replayed[2][k]) for k in eager[2])
    [graph] = graphs[1]
    full_batches = 2 * (len(y) // 100)
    assert graph.replays == full_batches - packed.WARM_UP


def test_the_batched_path_trains_as_well_as_alone(digits):
    """The GPU's path (batched matrix products) is not the lone run's bits, so: 12 seeds with
    30 % label noise, the study's 40 epochs, trained both ways; the paired differences of the
    final test accuracy and loss (batched - alone) have 95 % CIs that hold 0, and the
    histories do differ."""
    runs = [loop.Run({"type": "cross_entropy"}, seed) for seed in range(12)]
    options = {"plan": [{**SGD, "epochs": 40}], "batch_size": 128}
    batched = train(digits, runs, batched=True, **options)
    exact = train(digits, runs, **options)
    for metric in ("test_acc", "test_loss"):
        final = [pd.Series([o.history[-1][metric] for o in way]) for way in (batched, exact)]
        paired = statistics.paired_difference(*final)
        low, high = statistics.interval(
            paired["mean_diff"], paired["std_diff"], paired["n"], statistics.CONFIDENCE
        )
        print(
            f"batched - alone, final {metric} over {paired['n']} seeds: mean "
            f"{paired['mean_diff']:+.2e}, 95 % CI [{low:+.2e}, {high:+.2e}]; "
            f"largest {(final[0] - final[1]).abs().max():.2e}"
        )
        assert low <= 0 <= high, metric
    assert any(a.history != b.history for a, b in zip(batched, exact, strict=True))
