"""Which learning rate each loss is judged at: the study's two answers.

* ``fixed``: every loss at the one learning rate the study fixes per optimizer (the homework's
  way: SGD lr 0.1, Adam 0.001); an optimizer with a list of rates fixes one with ``fixed_lr``.
* ``tuned``: each loss at its own best learning rate, chosen on the validation split: the
  rate with the best mean last-epoch validation accuracy over seeds, ties broken by the lower
  validation NLL. A rate at which any seed diverged is never chosen (a loss that needs luck to
  train at a rate is not trained well at it); a chosen rate at the edge of its grid is flagged
  (the best may lie beyond it). Only for optimizers with several rates.

A loss with one rate per optimizer is judged the same way in both, so a study without lists
has the ``fixed`` answer alone. Test sets never take part in a choice.
"""

from __future__ import annotations

import pandas as pd

from .metrics import GROUP_KEYS, RUN_KEYS, wide_history

CHOICE_KEYS = ["dataset", "condition", "loss", "optimizer"]


def last_validation(history: pd.DataFrame) -> pd.DataFrame:
    """Each run's validation accuracy and NLL at its last epoch: the run's keys, val_acc,
    val_nll (from the history alone, so the choice depends on no analysis setting)."""
    last = wide_history(history).groupby(RUN_KEYS, sort=False).tail(1)
    return last[[*RUN_KEYS, "val_acc", "val_nll"]]


def selected_lrs(validation: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per dataset x condition x loss x optimizer with several rates, one line per rate: its
    validation accuracy and NLL (means over seeds; ``validation``: :func:`last_validation`),
    seeds, diverged runs, whether it is the chosen one and whether that choice is at the edge
    of the grid."""
    columns = [*GROUP_KEYS, "val_acc", "val_nll", "seeds", "diverged", "selected", "at_edge"]
    frame = runs[[*RUN_KEYS, "status"]].merge(validation, on=RUN_KEYS, how="left")
    frame = frame[frame.groupby(CHOICE_KEYS, sort=False)["lr"].transform("nunique") > 1]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    per_lr = (
        frame.assign(diverged=frame["status"] == "diverged")
        .groupby(GROUP_KEYS, sort=False)
        .agg(
            val_acc=("val_acc", "mean"),
            val_nll=("val_nll", "mean"),
            seeds=("val_acc", "count"),
            diverged=("diverged", "sum"),
        )
        .reset_index()
    )
    eligible = per_lr[(per_lr["diverged"] == 0) & per_lr["val_acc"].notna()]
    ranked = eligible.sort_values(["val_acc", "val_nll"], ascending=[False, True], kind="stable")
    chosen = ranked.groupby(CHOICE_KEYS, sort=False).head(1).index
    per_lr["selected"] = per_lr.index.isin(chosen)
    grid = per_lr.groupby(CHOICE_KEYS, sort=False)["lr"]
    edge = per_lr["lr"].eq(grid.transform("min")) | per_lr["lr"].eq(grid.transform("max"))
    per_lr["at_edge"] = per_lr["selected"] & edge
    return per_lr[columns]


def answers(
    runs: pd.DataFrame, selected: pd.DataFrame, fixed: dict[str, float | None]
) -> pd.DataFrame:
    """Which runs each answer judges: one row per (answer, run group) with the group's keys.

    ``fixed`` maps every optimizer to its fixed learning rate (None: tuned only).
    """
    groups = runs[GROUP_KEYS].drop_duplicates()
    several = groups.groupby(CHOICE_KEYS, sort=False)["lr"].transform("nunique") > 1
    frames = []
    fixed_lr = groups["optimizer"].map(fixed)
    frames.append(groups[groups["lr"] == fixed_lr].assign(answer="fixed"))
    chosen = selected.loc[selected["selected"].astype(bool), GROUP_KEYS]
    if not chosen.empty:
        frames.append(groups[several].merge(chosen, on=GROUP_KEYS).assign(answer="tuned"))
    return pd.concat(frames, ignore_index=True)[["answer", *GROUP_KEYS]]


def preferred(judged: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``judged`` (:func:`answers`) of the one answer each setting is read by:
    the tuned answer where the setting has one, else the fixed one."""
    keys = ["dataset", "condition", "optimizer"]
    tuned = set(judged.loc[judged["answer"] == "tuned", keys].itertuples(index=False, name=None))
    has_tuned = [k in tuned for k in judged[keys].itertuples(index=False, name=None)]
    return judged[
        (judged["answer"] == "tuned").to_numpy() | ~pd.Series(has_tuned, dtype=bool).to_numpy()
    ]


def shown(runs: pd.DataFrame, selected: pd.DataFrame) -> pd.DataFrame:
    """The run groups the figures draw: each loss and optimizer at its one learning rate, or
    at its chosen one where the study tunes it (``selected``: ``selected_lrs``)."""
    groups = runs[GROUP_KEYS].drop_duplicates()
    single = groups.groupby(CHOICE_KEYS, sort=False)["lr"].transform("nunique") == 1
    chosen = selected.loc[selected["selected"].astype(bool), GROUP_KEYS]
    if chosen.empty:
        return groups[single]
    return pd.concat([groups[single], groups.merge(chosen, on=GROUP_KEYS)], ignore_index=True)


def restrict(tables: dict, groups: pd.DataFrame, condition: str | None = None) -> dict:
    """``tables`` cut to one condition (if given) and to the run ``groups`` (``shown``); the
    comparisons and the learning-rate table keep every rate (they are about choosing one)."""
    out = {}
    for name, frame in tables.items():
        if condition is not None and "condition" in frame:
            frame = frame[frame["condition"] == condition]
        if name not in ("selected_lr", "comparisons", "judged") and {"loss", "lr"} <= set(frame):
            frame = frame.merge(groups, on=GROUP_KEYS)
        out[name] = frame
    return out
