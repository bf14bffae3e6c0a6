"""The training loop: one fresh model per run, batches sliced from device-resident tensors.

Reading order: :func:`train` builds the model from the seed, then for every epoch shuffles
with its own seeded generator, steps through the batches, scores the clean and the noisy
test set, appends a history row, and checkpoints. A checkpoint holds everything the next
epoch depends on (weights, optimizer state, shuffling generator, history so far), so a run
killed at any point resumes to byte-identical results. A non-finite loss stops the run,
keeping its finite epochs and recording where and why it diverged.
"""

from __future__ import annotations

import copy
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
from .evaluation import logits_of, split_scores

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


@torch.no_grad()
def logits_of_uint8(model, x, indices, centre, scale, batch: int = 256) -> torch.Tensor:
    """The model's logits for the uint8 images ``x[indices]``, normalised 256 at a time as
    training normalises its batches (no float copy of a whole training set)."""
    model.eval()
    chunks = [
        model(
            x.index_select(0, indices[i : i + batch]).float().div_(255.0).sub_(centre).div_(scale)
        )
        for i in range(0, len(indices), batch)
    ]
    return torch.cat(chunks) if chunks else torch.empty(0, device=x.device)


def corrupted_fit(model, train_x, corrupted, labels, centre, scale) -> torch.Tensor:
    """Fractions of the corrupted training examples (indices ``corrupted`` into the uint8
    ``train_x``) that the model predicts as each of ``labels`` (the corrupted label, the true
    one); NaN when nothing is corrupted (the history then leaves them empty)."""
    if len(corrupted) == 0:
        return torch.full((len(labels),), float("nan"), device=train_x.device)
    predicted = logits_of_uint8(model, train_x, corrupted, centre, scale).argmax(dim=1)
    return torch.stack([(predicted == y).float().mean() for y in labels])


def final_train_scores(model, train_x, train_y, true_y, loss_fn, centre, scale) -> dict:
    """The final weights scored on the whole training set: with the labels it trained on
    (accuracy, own loss, NLL) and with the true labels (accuracy and NLL: the train side of a
    generalization gap, which corrupted labels would otherwise confound with memorisation).
    The history's train columns are running averages over an epoch's changing weights."""
    everything = torch.arange(len(train_x), device=train_x.device)
    logits = logits_of_uint8(model, train_x, everything, centre, scale)
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


def train(
    *,
    data: dict[str, np.ndarray],
    noisy_x: np.ndarray,
    model_spec: dict,
    loss_spec: dict,
    phases: list[dict],
    batch_size: int,
    seed: int,
    device: torch.device,
    checkpoint: Path | None = None,
    fingerprint: str = "",
    log: Callable[[str], None] = print,
    condition: dict[str, np.ndarray] | None = None,
) -> Outcome:
    """Train one run through its optimizer ``phases`` (see ``study.phases``) on the training
    set as ``condition`` leaves it (``lossbench.data.conditions``; None: as it is).

    Returns the per-epoch history, the weights of the last finite epoch and the run's status.
    """
    plan = phases
    total = sum(phase["epochs"] for phase in plan)
    classes = int(data["classes"].size)
    if condition is None:
        clean = {"pairs": None, "seed": None, "spec": {"type": "clean"}}
        condition = conditions.from_params(data["train_y"], data["val_y"], classes, clean)
    labels = condition["labels"]
    loss_fn = losses.build(loss_spec, np.bincount(labels, minlength=classes))
    mean, std = data["mean"], data["std"]

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

    torch.manual_seed(seed)  # the initial weights are a function of the seed alone
    model = models.build(model_spec, data["train_x"].shape[1:], classes).to(device)
    order = torch.Generator().manual_seed(seed)  # the data order, likewise
    history: list[dict] = []
    start = 0
    state = _load_checkpoint(checkpoint, fingerprint, log) if checkpoint else None
    if state is not None:
        model.load_state_dict(state["model"])
        order.set_state(state["generator"])
        history = state["history"]
        start = state["epoch"]
        log(f"resuming from epoch {start}")
    phase_index = _phase_at(start + 1, plan) if start < total else len(plan) - 1
    optimizer = optim.build(plan[phase_index], model.parameters())
    if state is not None and state["phase"] == phase_index:
        optimizer.load_state_dict(state["optimizer"])
    good_weights = copy.deepcopy(model.state_dict())
    status = {"status": "ok", "epochs_planned": total}

    for epoch in range(start + 1, total + 1):
        tic = time.perf_counter()
        if _phase_at(epoch, plan) != phase_index:  # next phase: same model, new optimizer
            phase_index = _phase_at(epoch, plan)
            optimizer = optim.build(plan[phase_index], model.parameters())
        model.train()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for idx in torch.randperm(n, generator=order).to(device).split(batch_size):
            # index_select: half the time of train_x[idx]
            xb = train_x.index_select(0, idx).float().div_(255.0).sub_(centre).div_(scale)
            yb = train_y.index_select(0, idx)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(idx)
            correct += (logits.argmax(dim=1) == yb).sum()
        val = split_scores(logits_of(model, val_x), val_y, loss_fn)
        test = split_scores(logits_of(model, test_x), test_y, loss_fn)
        noise = split_scores(logits_of(model, noisy), test_y, loss_fn)
        fitted = corrupted_fit(
            model, train_x, corrupted, (corrupted_labels, corrupted_true), centre, scale
        )
        values = torch.cat([torch.stack([loss_sum / n, correct / n]), val, test, noise, fitted])
        values = values.tolist()
        row = {
            "epoch": epoch,
            "phase": phase_index + 1,
            "phase_optimizer": plan[phase_index]["type"],
            **dict(zip(HISTORY_COLUMNS[3:], values, strict=True)),
        }
        if len(corrupted) == 0:  # no value, rather than a NaN that equals nothing
            row.update(corrupted_memorised=None, corrupted_true=None)
        bad = [k for k in ("train_loss", "test_loss") if not math.isfinite(row[k])]
        if bad:
            status.update(
                status="diverged",
                diverged_epoch=epoch,
                reason=f"{bad[0]} is {row[bad[0]]} at epoch {epoch}",
            )
            log(f"epoch {epoch}/{total} diverged: {status['reason']}; keeping epochs 1-{epoch - 1}")
            break
        history.append(row)
        good_weights = copy.deepcopy(model.state_dict())
        log(
            f"epoch {epoch}/{total} phase={row['phase']}:{row['phase_optimizer']} "
            f"train_loss={row['train_loss']:.4f} train_acc={row['train_acc']:.4f} "
            f"val_acc={row['val_acc']:.4f} "
            f"test_loss={row['test_loss']:.4f} test_acc={row['test_acc']:.4f} "
            f"noisy_acc={row['noisy_acc']:.4f} ({time.perf_counter() - tic:.3f}s)"
        )
        if checkpoint is not None and epoch < total:
            _save_checkpoint(
                checkpoint,
                {
                    "fingerprint": fingerprint,
                    "epoch": epoch,
                    "phase": phase_index,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "generator": order.get_state(),
                    "history": history,
                },
            )
    status["epochs_completed"] = len(history)
    if history:  # a run that diverged in its first epoch has no trained weights to score
        model.load_state_dict(good_weights)
        status["final"] = final_train_scores(
            model, train_x, train_y, true_y, loss_fn, centre, scale
        )
    return Outcome(history, {k: v.cpu() for k, v in good_weights.items()}, status)


#: the arrays of ``data.npz`` that training reads
DATA_KEYS = ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y", "mean", "std", "classes")


def train_files(
    params: dict, seed: int, data: str, noisy: str, condition: str | None = None, **run
) -> Outcome:
    """:func:`train_with` on the arrays of a ``data.npz``, the noisy test set file ``noisy``
    and the training ``condition`` file; a checkpoint (``run["checkpoint"]``) is tied to
    ``params``, seed and the files."""
    files = [data, noisy, *([condition] if condition else [])]
    return train_with(
        params,
        data=arrays.load(data, DATA_KEYS),
        noisy_x=arrays.load(noisy, ("x",))["x"],
        condition=arrays.load(condition, conditions.ALL_KEYS) if condition else None,
        seed=seed,
        fingerprint=digest.fingerprint({**params, "seed": seed}, *files),
        **run,
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
