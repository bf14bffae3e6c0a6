"""Memorisation under label noise (Arpit et al. 2017): per epoch, the share of the training
examples whose label the condition corrupted that the model predicts as that wrong label
(solid) and as the true one (faint), per loss; one panel per noisy condition, a column per
optimizer. A loss that fits the noise climbs on the solid curve."""

from matplotlib.ticker import MaxNLocator

from ...analysis.metrics import wide_history
from .style import Look, band, label_edges, subplots


def draw(tables):
    runs = tables["runs"]
    look = Look.of(runs)
    wide = wide_history(tables["history"]).merge(
        runs[["condition", "condition_type", "condition_level"]].drop_duplicates(), on="condition"
    )
    noisy = wide[wide["condition_type"].isin(["symmetric", "asymmetric"])]
    conditions = list(dict.fromkeys(noisy.sort_values("condition_level")["condition"]))
    fig, axes = subplots(max(len(conditions), 1), len(look.optimizers), sharex=True, sharey=True)
    for row, condition in enumerate(conditions):
        for col, optimizer in enumerate(look.optimizers):
            ax = axes[row][col]
            mine = noisy[(noisy["condition"] == condition) & (noisy["optimizer"] == optimizer)]
            for loss in look.losses:
                data = mine[mine["loss"] == loss].assign(
                    fitted=lambda f: 100 * f["corrupted_memorised"],
                    true=lambda f: 100 * f["corrupted_true"],
                )
                style = (look.color(loss), look.linestyle(optimizer))
                band(ax, data, "epoch", "fitted", *style)
                band(ax, data, "epoch", "true", *style, faint=True)
            ax.set_title(f"{condition}, {optimizer}", fontsize=9)
            ax.set_ylim(0, 100)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    label_edges(axes, "epoch", "corrupted labels (%)")
    look.legend(fig, optimizers=False)
    return fig
