"""Findings that cannot mislead (an independent review's list), each on a hand-made table that
would have caught it: losses compared on common yardsticks only, directions that read right,
train accuracy of the final weights, no choice made on a test set, underfitting named and not
ranked, noise named from the config, colours and bands that do not overstate."""

import math

import numpy as np
import pandas as pd
import pytest

from lossbench.analysis import metrics, selection, summary
from lossbench.report import findings
from lossbench.report.figures import style, summary_heatmap

RUN = {"dataset": "d", "condition": "clean", "optimizer": "sgd", "lr": 0.1}
#: the hand-made studies have one learning rate: selected_lr.csv has no line
NOTHING_TUNED = pd.DataFrame(columns=[*metrics.GROUP_KEYS, "selected"])
EPOCHS = 3


def run_tables(runs: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(history, evaluation, runs) tables from hand-made runs: each a dict with loss, seed,
    val_acc, test_acc (per epoch), clean and noisy evaluation metrics, final train accuracy."""
    history, evaluation, statuses = [], [], []
    for r in runs:
        keys = {**RUN, "loss": r["loss"], "seed": r["seed"]}
        series = {
            ("train", "acc"): r.get("train_acc", [0.9] * EPOCHS),
            ("train", "loss"): [0.5] * EPOCHS,
            ("val", "acc"): r["val_acc"],
            ("val", "nll"): [0.3] * EPOCHS,
            ("val", "loss"): [0.3] * EPOCHS,
            ("test", "acc"): r["test_acc"],
            ("test", "nll"): r.get("test_nll", [0.3] * EPOCHS),
            ("test", "loss"): r.get("test_loss", [0.3] * EPOCHS),
        }
        for (split, metric), values in series.items():
            for epoch, value in enumerate(values, start=1):
                history.append(
                    {**keys, "epoch": epoch, "phase": 1, "phase_optimizer": "sgd"}
                    | {"split": split, "metric": metric, "value": value}
                )
        for testset, noise, level, scores in (
            ("clean", "clean", 0.0, r["clean"]),
            ("gaussian", "gaussian", 1.0, r["noisy"]),
        ):
            intensity = 0.376 * level
            for metric, value in scores.items():
                evaluation.append(
                    {**keys, "testset": testset, "noise": noise, "level": level}
                    | {"intensity": intensity, "metric": metric, "value": value}
                )
        statuses.append(
            {**keys, "status": "ok", "underfit": r.get("underfit", False)}
            | {"final_train_acc": r.get("noisy_train_acc", r["final_train_acc"])}
            | {"final_true_acc": r["final_train_acc"], "final_train_nll": 0.1}
            | {"final_true_nll": 0.1}
            | {"condition_type": "clean", "condition_level": 0.0, "reason": ""}
            | {"epochs_planned": EPOCHS, "epochs_completed": EPOCHS, "diverged_epoch": None}
        )
    return pd.DataFrame(history), pd.DataFrame(evaluation), pd.DataFrame(statuses)


def scores(acc, nll=0.3, ece=0.02, brier=0.1):
    return {"accuracy": acc, "balanced_accuracy": acc, "macro_f1": acc, "nll": nll} | {
        "ece": ece,
        "brier": brier,
        "loss": 99.0,  # each loss's own value: never a yardstick
        "min_recall": 0.5,
    }


def study(runs):
    history, evaluation, statuses = run_tables(runs)
    made = summary.tables(
        history,
        evaluation,
        statuses,
        NOTHING_TUNED,
        noisy="gaussian",
        k=2,
        target=0.98,
        fixed={"sgd": 0.1},
    )
    return made, statuses


def three_seeds(loss, acc, **extra):
    return [
        {"loss": loss, "seed": s, "val_acc": [0.5, 0.8, 0.9], "test_acc": [0.5, 0.8, a]}
        | {"clean": scores(a), "noisy": scores(a - 0.2), "final_train_acc": a + 0.01}
        | extra
        for s, a in enumerate(acc)
    ]


def test_own_loss_quantities_are_never_compared_across_losses():
    """Review item 1: focal's (1 − p)^γ shrinks its loss, not its learning time; MAE lives in
    [0, 2]. Area under the own test loss, own-loss gaps and deltas are no metric at all."""
    runs = three_seeds("ce", [0.9, 0.91, 0.92], test_loss=[1.0, 0.5, 0.4])
    runs += three_seeds("focal", [0.9, 0.91, 0.92], test_loss=[0.2, 0.05, 0.01])
    made, _ = study(runs)
    compared = set(made["comparisons"]["metric"])
    assert compared and compared <= set(summary.COMPARED)
    own = {"test_loss_auc", "loss_gap", "noise_loss_delta", "epochs_to_converge"}
    assert not own & (set(metrics.METRICS) | compared)


def test_a_smaller_gap_is_better_whatever_the_sign():
    """Review item 2: train − test loss is negative, so 'lower' was a larger gap. The gap
    metrics are oriented so that a smaller value is the smaller gap."""
    ce = three_seeds("ce", [0.90, 0.90, 0.90])  # train 0.91 (final weights): gap 1 pp
    wide = [dict(r, final_train_acc=1.0) for r in three_seeds("wide", [0.90, 0.905, 0.895])]
    made, _ = study(ce + wide)
    rows = made["comparisons"].query("metric == 'acc_gap'")
    (row,) = rows.itertuples()
    better = row.loss_a if row.verdict == "a better" else row.loss_b
    assert better == "ce" and not metrics.METRICS["acc_gap"].higher_is_better
    assert not metrics.METRICS["nll_gap"].higher_is_better


def test_the_train_side_of_a_gap_is_the_final_weights_not_the_running_average():
    """Review item 4: the history's train accuracy is a running average over the epoch."""
    runs = three_seeds("ce", [0.9, 0.9, 0.9], train_acc=[0.5, 0.6, 0.7])
    history, evaluation, statuses = run_tables(runs)
    per_run = metrics.run_metrics(history, evaluation, statuses, noisy="gaussian", k=2, target=0.98)
    gap = per_run.query("metric == 'acc_gap'")["value"]
    assert gap.tolist() == pytest.approx([0.01, 0.01, 0.01])  # 0.91 final − 0.90 test


def test_under_label_noise_the_gap_is_taken_on_the_true_labels():
    """On corrupted labels a memorising loss has the higher training accuracy: a gap on them
    would measure memorisation, and come out negative for a loss that resists the noise."""
    runs = three_seeds("ce", [0.9, 0.9, 0.9], noisy_train_acc=0.55)
    history, evaluation, statuses = run_tables(runs)
    per_run = metrics.run_metrics(history, evaluation, statuses, noisy="gaussian", k=2, target=0.98)
    gap = per_run.query("metric == 'acc_gap'")["value"]
    assert gap.tolist() == pytest.approx([0.01, 0.01, 0.01])  # 0.91 true − 0.90 test


def test_no_choice_is_made_on_a_test_set():
    """Review item 5: the best epoch is the best-validation one, never the best-test one."""
    assert "best_test_acc" not in metrics.METRICS
    run = three_seeds("ce", [0.9])[0] | {"val_acc": [0.5, 0.95, 0.9], "test_acc": [0.5, 0.7, 0.99]}
    history, evaluation, statuses = run_tables([run])
    per_run = metrics.run_metrics(
        history, evaluation, statuses, noisy="gaussian", k=2, target=0.98
    ).set_index("metric")["value"]
    assert per_run["best_val_test_acc"] == pytest.approx(0.7)  # epoch 2, not the test's 0.99
    assert per_run["best_to_last_drop"] == pytest.approx(0.7 - 0.99)


def test_an_underfit_run_is_named_and_not_ranked():
    """Review item 3: runs that stopped learning read as robust and as generalising well."""
    healthy = three_seeds("ce", [0.95, 0.96, 0.97])
    mae = three_seeds("mae", [0.97, 0.85, 0.86])
    for r in mae[1:]:  # two seeds never recognise a class: flagged by the runs table
        r["underfit"] = True
        r["noisy"] = scores(r["clean"]["accuracy"] - 0.05)  # "loses the least under noise"
    made, statuses = study(healthy + mae)
    noise = made["summary"].query("loss == 'mae' and metric == 'noise_acc_delta'").iloc[0]
    assert noise["n"] == 1 and noise["underfit"] == 2
    table = findings.verdicts(made["summary"], made["comparisons"], judged(statuses))
    for row in table:  # ranked on its one healthy seed, mae would win on noise: not ranked
        assert row["best"] == "ce" and row["not_ranked"] == "mae (2 underfit of 3 runs)"
    named = " ".join(findings.run_problems(statuses))
    assert "mae/sgd lr 0.1: underfit in seeds 1" in named and "2 (" in named


def judged(statuses):
    """Every run group judged by the fixed answer (the hand-made study tunes no rate)."""
    return selection.answers(statuses, NOTHING_TUNED, {"sgd": 0.1})


def test_noise_is_named_from_the_config_in_both_units():
    """Review item 6: 'σ = 1' was written into names whatever the test set."""
    assert not any("σ" in m.label for m in metrics.METRICS.values())
    _, evaluation, _ = run_tables(three_seeds("ce", [0.9]))
    (sentence,) = findings.noise_named(evaluation, "gaussian")
    assert "gaussian 1 in normalised units = 0.376 of the pixel intensity range" in sentence


def test_within_noise_cells_of_the_heatmap_share_the_best_colour():
    """Review item 7: coloured by rank, 97.3 % was red beside 97.8 % within seed noise."""
    runs = three_seeds("a", [0.978, 0.97, 0.986]) + three_seeds("b", [0.973, 0.975, 0.971])
    runs += three_seeds("c", [0.50, 0.51, 0.49])
    made, statuses = study(runs)
    tables = {"summary": made["summary"], "comparisons": made["comparisons"], "runs": statuses}
    fig = summary_heatmap.draw(tables)
    colours = fig.axes[0].images[0].get_array()
    column = summary_heatmap.COLUMNS.index("final_test_acc")
    assert colours[0, column] == colours[1, column] == 0  # best, and within noise of it
    assert colours[2, column] == summary_heatmap.FAR  # far beyond it
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("≈ ") for t in texts)


def test_bands_stay_inside_the_metric_range():
    """Review item 7: a t band of 3 seeds went above 100 %; the min-max band cannot."""
    frame = pd.DataFrame({"epoch": [1, 1, 1], "value": [99.0, 100.0, 98.0]})
    band = style.mean_band(frame, "epoch", "value").iloc[0]
    assert band["high"] == 100.0 and band["low"] == 98.0
    t_high = 99 + 4.303 * 1.0 / math.sqrt(3)
    assert t_high > 100  # what the old band drew


def test_convergence_counts_only_runs_that_reach_the_common_target():
    """A run stuck on a plateau below the target is never "fastest" (review, 13.5)."""
    fast_plateau = {"val_acc": [0.6, 0.6, 0.6], "test_acc": [0.6, 0.6, 0.6]}
    runs = three_seeds("stuck", [0.6, 0.6, 0.6]) + three_seeds("ce", [0.9, 0.9, 0.9])
    runs[:3] = [r | fast_plateau for r in runs[:3]]
    history, evaluation, statuses = run_tables(runs)
    per_run = metrics.run_metrics(history, evaluation, statuses, noisy="gaussian", k=2, target=0.98)
    epochs = per_run.query("metric == 'epochs_to_target'")
    assert epochs[epochs["loss"] == "stuck"]["value"].isna().all()
    assert (epochs[epochs["loss"] == "ce"]["value"] == 3).all()
    assert np.isfinite(epochs[epochs["loss"] == "ce"]["value"]).all()
