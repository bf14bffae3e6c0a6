"""Final accuracy of every loss against the strength of a training condition: label noise
(clean test accuracy against the noise rate, a panel per optimizer and noise type) or class
imbalance (balanced accuracy against the imbalance ratio ρ, a panel per optimizer). The clean
condition is the point at rate 0 / ρ = 1 of every panel. Mean over the usable runs with the
seeds' min-max band."""

from .style import Look, band, subplots

#: what each kind of figure plots: its condition types, evaluation metric, x label, log x
KINDS = {
    "noise": (("symmetric", "asymmetric"), "accuracy", "label noise rate", False),
    "imbalance": (("imbalance",), "balanced_accuracy", "imbalance ratio ρ", True),
}


def draw(tables, kind: str):
    types, metric, xlabel, log_x = KINDS[kind]
    evaluation, runs = tables["evaluation"], tables["runs"]
    look = Look.of(runs)
    usable = runs[(runs["status"] == "ok") & ~runs["underfit"].astype(bool)]
    clean = evaluation[(evaluation["noise"] == "clean") & (evaluation["metric"] == metric)]
    points = clean.merge(usable, on=["dataset", "condition", "loss", "optimizer", "lr", "seed"])
    points = points.assign(value=points["value"] * 100.0)
    present = [t for t in types if (runs["condition_type"] == t).any()]
    panels = [(o, t) for o in look.optimizers for t in present]
    fig, axes = subplots(1, len(panels), sharey=True)
    for ax, (optimizer, kind_type) in zip(axes[0], panels, strict=True):
        shown = points[
            (points["optimizer"] == optimizer) & points["condition_type"].isin(["clean", kind_type])
        ]
        for loss in look.losses:
            line = shown[shown["loss"] == loss].sort_values("condition_level")
            band(ax, line, "condition_level", "value", look.color(loss), look.linestyle(optimizer))
        ax.set(title=f"{optimizer}: {kind_type}", xlabel=xlabel)
        if log_x:
            ax.set_xscale("log")
    axes[0][0].set_ylabel(f"clean test {metric.replace('_', ' ')} (%)")
    look.legend(fig)
    return fig
