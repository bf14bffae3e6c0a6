"""The training loop: a pack of runs (one alone is a pack of one), fresh models from their
seeds, batches sliced from device-resident tensors.

Reading order: :func:`train_pack` builds each run's model from its seed, then for every epoch
shuffles each run's data with its own seeded generator, steps the pack through the batches
(``lossbench.train.packed``: one forward, one backward, one optimizer call for all runs),
scores each run on the validation, clean and noisy test sets, appends its history row, and
checkpoints it. A run's checkpoint holds everything its next epoch depends on (weights,
optimizer state, shuffling generator, history so far), so a pack killed at any point resumes
to byte-identical results. A non-finite loss stops that run, keeping its finite epochs and
recording where and why it diverged; the pack's other runs go on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..data import arrays, conditions
from ..data.datasets import normalise
from ..plumbing import digest
from ..plumbing.atomic import atomic_path, write_json, write_rows
from . import losses, models, optim, weights
from .evaluation import split_scores
from .packed import Pack, Steps

#: history.csv columns, in order: the original study's six series plus NLL and the phase, the
#: validation split (scored with its own, possibly corrupted, labels: where the study makes its
#: choices), and on the training examples whose label a condition corrupted, the fraction
#: predicted as that corrupted label (memorisation, Arpit et al. 2017) and as the true one
#: (empty without any)
HISTORY_COLUMNS = [
    "epoch",
    "phase",
    "phase_optimizer",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_nll",
    "test_loss",
    "test_acc",
    "test_nll",
    "noisy_loss",
    "noisy_acc",
    "noisy_nll",
    "corrupted_memorised",
    "corrupted_true",
]


@dataclass
class Outcome:
    history: list[dict]
    state_dict: dict
    status: dict = field(default_factory=dict)


def _load_checkpoint(path: Path, fingerprint: str, log: Callable[[str], None]) -> dict | None:
    if not path.exists():
        return None
    try:
        state = weights.read_checked(path)
        if not isinstance(state, dict) or "epoch" not in state:
            raise ValueError("not a lossbench checkpoint")
    except Exception as err:  # any damage at all: the checkpoint is only an optimisation
        log(
            f"warning: checkpoint '{path}' is damaged ({type(err).__name__}: {err}); "
            f"discarding it and training from scratch"
        )
        path.unlink()
        return None
    if state.get("fingerprint") != fingerprint:
        log(f"warning: checkpoint '{path}' belongs to another configuration; training from scratch")
        path.unlink()
        return None
    return state


def _save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def final_scores(logits: torch.Tensor, train_y, true_y, loss_fn) -> dict:
    """A run's final weights scored on the whole training set (``logits``): with the labels
    it trained on (accuracy, own loss, NLL) and with the true labels (accuracy and NLL: the
    train side of a generalization gap, which corrupted labels would otherwise confound with
    memorisation). The history's train columns are running averages over an epoch's
    changing weights."""
    loss, acc, nll = split_scores(logits, train_y, loss_fn).tolist()
    _, true_acc, true_nll = split_scores(logits, true_y, loss_fn).tolist()
    return {
        "train_loss": loss,
        "train_acc": acc,
        "train_nll": nll,
        "true_acc": true_acc,
        "true_nll": true_nll,
    }


def _phase_at(epoch: int, plan: list[dict]) -> int:
    """Index of the phase that trains 1-based ``epoch``."""
    end = 0
    for index, phase in enumerate(plan):
        end += phase["epochs"]
        if epoch <= end:
            return index
    raise ValueError(f"epoch {epoch} is past the last phase")


@dataclass
class Run:
    """One run of a pack: what sets it apart from the pack's other runs."""

    loss_spec: dict
    seed: int
    checkpoint: Path | None = None
    fingerprint: str = ""
    #: the prefix of its log lines (empty when it trains alone)
    name: str = ""


@dataclass
class _Progress:
    """A run's state between epochs: everything its next epoch depends on, and its record."""

    run: Run
    loss_fn: Callable
    weights: dict
    order: torch.Generator
    epoch: int = 0
    #: (phase index, optimizer state) for resuming an optimizer in that phase, or None
    optimizer: tuple[int, dict] | None = None
    history: list[dict] = field(default_factory=list)
    status: dict = field(default_factory=lambda: {"status": "ok"})
    #: the weights of its last finite epoch (its outcome, should it diverge)
    good: dict = field(default_factory=dict)

    def log(self, log: Callable[[str], None], line: str) -> None:
        log(f"{self.run.name}: {line}" if self.run.name else line)


def train_pack(
    runs: list[Run],
    *,
    data: dict[str, np.ndarray],
    noisy_x: np.ndarray,
    model_spec: dict,
    phases: list[dict],
    batch_size: int,
    device: torch.device,
    log: Callable[[str], None] = print,
    condition: dict[str, np.ndarray] | None = None,
    batched: bool | None = None,
    graphs: bool | None = None,
) -> list[Outcome]:
    """Train ``runs`` (one architecture and optimizer plan; each its own loss and seed)
    together through the optimizer ``phases`` (see ``study.phases``) on the training set as
    ``condition`` leaves it (``lossbench.data.conditions``; None: as it is), as one
    :class:`lossbench.train.packed.Pack`.

    Returns each run's per-epoch history, the weights of its last finite epoch and its status.
    Each run is what it would be alone: its initial weights and data order come from its seed,
    it has its own loss and optimizer state, its own checkpoint; a diverged run leaves the pack
    and the others go on. ``batched`` (default: on CUDA) trades the CPU's bit-for-bit equality
    with a lone run for batched matrix products, ``graphs`` (default: on CUDA) replays each
    step of full batches as one CUDA graph (see ``lossbench.train.packed``).
    """
    plan = phases
    total = sum(phase["epochs"] for phase in plan)
    classes = int(data["classes"].size)
    if condition is None:
        clean = {"pairs": None, "seed": None, "spec": {"type": "clean"}}
        condition = conditions.from_params(data["train_y"], data["val_y"], classes, clean)
    labels = condition["labels"]
    counts = np.bincount(labels, minlength=classes)
    mean, std = data["mean"], data["std"]
    batched = device.type == "cuda" if batched is None else batched
    graphs = device.type == "cuda" if graphs is None else graphs

    def tensor(array, dtype=None):
        return torch.from_numpy(np.ascontiguousarray(array)).to(device, dtype)

    # uint8, normalised batch by batch (the arithmetic of datasets.normalise, bit for bit):
    # a quarter of the memory of a float copy (190 MB less for MNIST)
    train_x = tensor(data["train_x"][condition["indices"]])
    centre, scale = (tensor(v)[None, :, None, None] for v in (mean, std))
    train_y = tensor(labels, torch.long)
    true_y = tensor(condition["true"], torch.long)
    corrupted = tensor(np.flatnonzero(condition["corrupted"]))
    corrupted_labels = train_y[corrupted]
    corrupted_true = true_y[corrupted]
    val_x = tensor(normalise(data["val_x"][condition["val_indices"]], mean, std))
    val_y = tensor(condition["val_labels"], torch.long)
    test_x = tensor(normalise(data["test_x"], mean, std))
    test_y = tensor(data["test_y"], torch.long)
    noisy = tensor(noisy_x)
    n = len(train_x)

    def normalised(idx: torch.Tensor) -> torch.Tensor:
        # index_select: half the time of train_x[idx]
        return train_x.index_select(0, idx).float().div_(255.0).sub_(centre).div_(scale)

    progress = []
    for run in runs:
        torch.manual_seed(run.seed)  # the initial weights are a function of the seed alone
        model = models.build(model_spec, data["train_x"].shape[1:], classes)
        order = torch.Generator().manual_seed(run.seed)  # the data order, likewise
        loss_fn = losses.build(run.loss_spec, counts, device)
        state = _Progress(run, loss_fn, dict(model.state_dict()), order)
        saved = _load_checkpoint(run.checkpoint, run.fingerprint, log) if run.checkpoint else None
        if saved is not None:
            state.weights = dict(saved["model"])
            order.set_state(saved["generator"])
            state.history, state.epoch = saved["history"], saved["epoch"]
            state.optimizer = (saved["phase"], saved["optimizer"])
            state.log(log, f"resuming from epoch {state.epoch}")
        state.status["epochs_planned"] = total
        state.good = state.weights
        progress.append(state)

    members: list[_Progress] = []
    pack = optimizer = phase_index = None
    for epoch in range(min(state.epoch for state in progress) + 1, total + 1):
        # a run resumed an epoch behind the others trains that epoch alone, then joins them
        active = [s for s in progress if s.status["status"] == "ok" and s.epoch == epoch - 1]
        if not active:
            continue
        tic = time.perf_counter()
        if active != members or _phase_at(epoch, plan) != phase_index:
            # a new pack from the runs' own states (each kept them at the end of its epoch)
            members, phase_index = active, _phase_at(epoch, plan)
            pack = Pack(model, [s.weights for s in members], device, batched)
            optimizer = optim.build(plan[phase_index], pack.params())
            if all(s.optimizer and s.optimizer[0] == phase_index for s in members):
                # the same phase goes on (next phase: a new optimizer, as alone)
                optimizer.load_state_dict(optim.joined([s.optimizer[1] for s in members]))
            steps = Steps(
                pack,
                optimizer,
                [s.loss_fn for s in members],
                normalised,
                train_y,
                batch_size,
                graphs=graphs,
            )
        runs_here = len(members)
        steps.epoch()
        orders = torch.stack([torch.randperm(n, generator=s.order) for s in members]).to(device)
        for idx in orders.split(batch_size, dim=1):
            steps(idx)
        loss_sum, correct = steps.loss_sum, steps.correct
        scores = [
            [split_scores(z, y, s.loss_fn) for s, z in zip(members, pack.logits(x), strict=True)]
            for x, y in ((val_x, val_y), (test_x, test_y), (noisy, test_y))
        ]
        fitted = corrupted_fit(
            pack.logits(corrupted, normalised) if len(corrupted) else [None] * runs_here,
            (corrupted_labels, corrupted_true),
            device,
        )
        own_states = optim.per_run(optimizer.state_dict(), runs_here)
        values = torch.stack(  # one row per run, read at once: the host waits once an epoch
            [
                torch.cat(
                    [
                        torch.stack([loss_sum[j] / n, correct[j] / n]),
                        *(s[j] for s in scores),
                        fitted[j],
                    ]
                )
                for j in range(runs_here)
            ]
        ).tolist()
        for j, state in enumerate(members):
            state.weights, state.epoch = pack.weights(j), epoch
            state.optimizer = (phase_index, own_states[j])
            _record(state, values[j], epoch, plan, phase_index, total, log, tic)
            if state.status["status"] != "ok":
                continue
            state.good = state.weights
            if state.run.checkpoint is not None and epoch < total:
                _save_checkpoint(
                    state.run.checkpoint,
                    {
                        "fingerprint": state.run.fingerprint,
                        "epoch": epoch,
                        "phase": phase_index,
                        "model": state.weights,
                        "optimizer": own_states[j],
                        "generator": state.order.get_state(),
                        "history": state.history,
                    },
                )
    trained = [s for s in progress if s.history]  # one diverged in its first epoch: none
    if trained:
        everything = torch.arange(n, device=device)
        final = Pack(model, [s.good for s in trained], device, batched)
        for state, logits in zip(trained, final.logits(everything, normalised), strict=True):
            state.status["final"] = final_scores(logits, train_y, true_y, state.loss_fn)
    outcomes = []
    for state in progress:
        state.status["epochs_completed"] = len(state.history)
        outcomes.append(Outcome(state.history, state.good, state.status))
    return outcomes


def corrupted_fit(logits: list, labels: tuple, device: torch.device) -> list[torch.Tensor]:
    """Per run, the fractions of the corrupted training examples that it predicts as each of
    ``labels`` (the corrupted label, the true one); NaN when nothing is corrupted (the history
    then leaves them empty)."""
    nothing = torch.full((len(labels),), float("nan"), device=device)
    return [
        nothing
        if z is None
        else torch.stack([(z.argmax(dim=1) == y).float().mean() for y in labels])
        for z in logits
    ]


def _record(state, values, epoch, plan, phase_index, total, log, tic) -> None:
    """Append epoch ``epoch``'s history row to a run, or record that it diverged there."""
    row = {
        "epoch": epoch,
        "phase": phase_index + 1,
        "phase_optimizer": plan[phase_index]["type"],
        **dict(zip(HISTORY_COLUMNS[3:], values, strict=True)),
    }
    if math.isnan(row["corrupted_memorised"]):  # nothing corrupted: no value, rather than a NaN
        row.update(corrupted_memorised=None, corrupted_true=None)
    bad = [k for k in ("train_loss", "test_loss") if not math.isfinite(row[k])]
    if bad:
        state.status.update(
            status="diverged",
            diverged_epoch=epoch,
            reason=f"{bad[0]} is {row[bad[0]]} at epoch {epoch}",
        )
        state.log(
            log,
            f"epoch {epoch}/{total} diverged: {state.status['reason']}; "
            f"keeping epochs 1-{epoch - 1}",
        )
        return
    state.history.append(row)
    state.log(
        log,
        f"epoch {epoch}/{total} phase={row['phase']}:{row['phase_optimizer']} "
        f"train_loss={row['train_loss']:.4f} train_acc={row['train_acc']:.4f} "
        f"val_acc={row['val_acc']:.4f} "
        f"test_loss={row['test_loss']:.4f} test_acc={row['test_acc']:.4f} "
        f"noisy_acc={row['noisy_acc']:.4f} ({time.perf_counter() - tic:.3f}s)",
    )


def train(*, loss_spec: dict, seed: int, checkpoint=None, fingerprint: str = "", **pack) -> Outcome:
    """One run alone: :func:`train_pack` of one (the same bits as in any pack, on the CPU)."""
    run = Run(loss_spec, seed, checkpoint, fingerprint)
    return train_pack([run], **pack)[0]


#: the arrays of ``data.npz`` that training reads
DATA_KEYS = ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y", "mean", "std", "classes")


def train_files(
    runs: list[dict],
    data: str,
    noisy: str,
    condition: str | None = None,
    checkpoints: list[Path] | None = None,
    names: list[str] | None = None,
    **pack,
) -> list[Outcome]:
    """:func:`train_pack` on the arrays of a ``data.npz``, the noisy test set file ``noisy``
    and the training ``condition`` file. ``runs`` holds each run's ``study.train_params`` and
    its ``seed``; they share the model, phases and batch size. A run's checkpoint is tied to
    its params, seed and the files, as when it trains alone."""
    files = [data, noisy, *([condition] if condition else [])]
    shared = {k: runs[0][k] for k in ("model", "phases", "batch_size")}
    if any({k: run[k] for k in shared} != shared for run in runs):
        raise ValueError("the runs of a pack must share the model, phases and batch size")
    return train_pack(
        [
            Run(run["loss"], run["seed"], checkpoint, digest.fingerprint(run, *files), name)
            for run, checkpoint, name in zip(
                runs, checkpoints or [None] * len(runs), names or [""] * len(runs), strict=True
            )
        ],
        data=arrays.load(data, DATA_KEYS),
        noisy_x=arrays.load(noisy, ("x",))["x"],
        condition=arrays.load(condition, conditions.ALL_KEYS) if condition else None,
        model_spec=shared["model"],
        phases=shared["phases"],
        batch_size=shared["batch_size"],
        **pack,
    )


def save(outcome: Outcome, history: str, weights_path: str, status: str) -> None:
    """A run's three outputs: history.csv, weights.pt and status.json."""
    write_rows(history, HISTORY_COLUMNS, outcome.history)
    weights.save(weights_path, outcome.state_dict)
    write_json(status, outcome.status)


def train_with(params: dict, **run) -> Outcome:
    """:func:`train` with the model, loss, phases and batch size of ``study.train_params``;
    ``run`` holds the rest (data, noisy_x, seed, device, checkpoint, ...)."""
    return train(
        model_spec=params["model"],
        loss_spec=params["loss"],
        phases=params["phases"],
        batch_size=params["batch_size"],
        **run,
    )
