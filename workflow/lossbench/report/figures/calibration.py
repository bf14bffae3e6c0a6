"""Reliability diagram on the clean test set: accuracy against confidence, seeds pooled."""

from ...analysis.metrics import pooled_bins
from ...train.ece import expected_calibration_error
from .style import Look, subplots

MIN_SHARE = 0.01  # bins with fewer than 1 % of the samples are left off the curve


def draw(tables):
    runs = tables["runs"]
    look = Look.of(runs)
    ok = runs.loc[runs["status"] == "ok", ["loss", "optimizer", "seed"]]
    clean = tables["calibration"].merge(ok)
    bins = pooled_bins(clean[clean["testset"] == "clean"])
    # ECE counts every bin; the curve skips bins too sparse to estimate an accuracy from
    total = bins.groupby(["loss", "optimizer"])["count"].transform("sum")
    fig, axes = subplots(1, len(look.optimizers), sharey=True)
    for ax, optimizer in zip(axes[0], look.optimizers, strict=True):
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--")
        for loss in look.losses:
            curve = bins[(bins["loss"] == loss) & (bins["optimizer"] == optimizer)]
            if curve.empty:
                continue
            shown = curve[curve["count"] >= MIN_SHARE * total[curve.index]]
            ax.plot(
                shown["confidence"],
                shown["accuracy"],
                marker=look.marker(optimizer),
                ms=4,
                color=look.color(loss),
                ls=look.linestyle(optimizer),
                label=f"{loss}: ECE {100 * expected_calibration_error(curve):.1f} %",
            )
        ax.set(title=optimizer, xlabel="confidence (max. probability)", xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=7, loc="upper left")
    axes[0][0].set_ylabel("accuracy in bin")
    look.legend(fig)
    return fig
