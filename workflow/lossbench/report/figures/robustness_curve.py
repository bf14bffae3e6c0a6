"""Final accuracy against noise level, one panel per noise kind (level 0 is the clean set)."""

from .style import DIVERGED_HANDLE, Look, band, diverged_runs, subplots

XLABELS = {"gaussian": "noise σ (normalised pixels)", "salt_pepper": "fraction of pixels flipped"}


def draw(tables):
    evaluation, runs = tables["evaluation"], tables["runs"]
    look, diverged = Look.of(runs), diverged_runs(runs)
    accuracy = evaluation[evaluation["metric"] == "accuracy"].assign(
        value=lambda f: f["value"] * 100.0,
        bad=lambda f: [
            k in diverged for k in zip(f["loss"], f["optimizer"], f["seed"], strict=True)
        ],
    )
    kinds = [k for k in dict.fromkeys(accuracy["noise"]) if k != "clean"]
    clean = accuracy[accuracy["noise"] == "clean"]
    fig, axes = subplots(1, max(len(kinds), 1), sharey=True)
    for ax, kind in zip(axes[0], kinds, strict=False):
        curve = accuracy[accuracy["noise"].isin(["clean", kind])].sort_values("level")
        for (loss, optimizer), group in curve.groupby(["loss", "optimizer"], sort=False):
            color, linestyle = look.color(loss), look.linestyle(optimizer)
            band(ax, group[~group["bad"]], "level", "value", color, linestyle)
            ax.plot(
                group.loc[group["bad"], "level"], group.loc[group["bad"], "value"], "x", color=color
            )
        ax.set_xlabel(XLABELS.get(kind, f"{kind} level"))
        ax.set_title(kind)
    if not kinds:
        axes[0][0].set_title(f"only a clean test set ({len(clean)} runs)")
    axes[0][0].set_ylabel("test accuracy (%)")
    look.legend(fig, extra=[DIVERGED_HANDLE] if accuracy["bad"].any() else None)
    return fig
