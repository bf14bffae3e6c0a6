"""Choosing each loss's learning rate on the validation split, on hand-made tables."""

import pandas as pd

from lossbench.analysis import selection

KEYS = {"dataset": "d", "condition": "clean", "optimizer": "sgd"}


def tables(rates: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(validation, runs) from {(loss, lr): [(val_acc, val_nll, status) per seed]}."""
    validation, runs = [], []
    for (loss, lr), seeds in rates.items():
        for seed, (acc, nll, status) in enumerate(seeds):
            run = {**KEYS, "loss": loss, "lr": lr, "seed": seed}
            runs.append({**run, "status": status, "underfit": False})
            validation.append({**run, "val_acc": acc, "val_nll": nll})
    return pd.DataFrame(validation), pd.DataFrame(runs)


def chosen(selected: pd.DataFrame) -> dict:
    best = selected[selected["selected"]]
    return dict(zip(best["loss"], best["lr"], strict=True))


def test_the_best_mean_validation_accuracy_wins_and_ties_go_to_the_lower_nll():
    validation, runs = tables(
        {
            ("ce", 0.01): [(0.90, 0.30, "ok"), (0.92, 0.30, "ok")],
            ("ce", 0.1): [(0.95, 0.20, "ok"), (0.93, 0.25, "ok")],
            ("ce", 1.0): [(0.94, 0.10, "ok"), (0.94, 0.10, "ok")],  # same mean as 0.1, lower NLL
            ("mae", 0.01): [(0.50, 1.0, "ok"), (0.52, 1.0, "ok")],
            ("mae", 0.1): [(0.70, 0.9, "ok"), (0.72, 0.9, "ok")],
            ("mae", 1.0): [(0.99, 0.1, "diverged"), (0.99, 0.1, "ok")],  # a diverged seed
        }
    )
    selected = selection.selected_lrs(validation, runs)
    assert chosen(selected) == {"ce": 1.0, "mae": 0.1}  # a diverged run never wins
    edge = selected[selected["at_edge"]]
    assert edge["loss"].tolist() == ["ce"]  # 1.0 is the top of its grid; mae's 0.1 is inside
    assert len(selected) == 6


def test_a_study_without_lists_has_only_the_fixed_answer():
    validation, runs = tables({("ce", 0.1): [(0.9, 0.3, "ok")], ("mae", 0.1): [(0.8, 0.5, "ok")]})
    selected = selection.selected_lrs(validation, runs)
    assert selected.empty
    judged = selection.answers(runs, selected, {"sgd": 0.1})
    assert set(judged["answer"]) == {"fixed"} and len(judged) == 2


def test_fixed_and_tuned_answers_judge_their_own_rates():
    validation, runs = tables(
        {
            ("ce", 0.03): [(0.96, 0.2, "ok")],
            ("ce", 0.1): [(0.95, 0.2, "ok")],
            ("mae", 0.03): [(0.70, 0.9, "ok")],
            ("mae", 0.1): [(0.80, 0.9, "ok")],
        }
    )
    selected = selection.selected_lrs(validation, runs)
    judged = selection.answers(runs, selected, {"sgd": 0.1})
    by_answer = {a: dict(zip(g["loss"], g["lr"], strict=True)) for a, g in judged.groupby("answer")}
    assert by_answer == {"fixed": {"ce": 0.1, "mae": 0.1}, "tuned": {"ce": 0.03, "mae": 0.1}}
    shown = selection.shown(runs, selected)
    assert sorted(zip(shown["loss"], shown["lr"], strict=True)) == [("ce", 0.03), ("mae", 0.1)]
    assert selection.answers(runs, selected, {"sgd": None})["answer"].unique().tolist() == ["tuned"]


def test_a_loss_whose_every_rate_diverged_has_no_choice():
    diverged = [(0.9, 0.3, "diverged")]
    validation, runs = tables({("ce", 0.1): diverged, ("ce", 1.0): diverged})
    assert not selection.selected_lrs(validation, runs)["selected"].any()
