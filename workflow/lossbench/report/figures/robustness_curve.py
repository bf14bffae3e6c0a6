"""Final accuracy against noise level, one panel per noise kind (level 0 is the clean set)."""

from .style import FLAGS, Look, band, flag_handles, left_out, subplots

XLABELS = {
    "gaussian": "noise σ (share of the pixel intensity range)",
    "salt_pepper": "fraction of pixels flipped",
}


def draw(tables):
    evaluation, runs = tables["evaluation"], tables["runs"]
    look, flags = Look.of(runs), left_out(runs)
    accuracy = evaluation[evaluation["metric"] == "accuracy"].assign(
        value=lambda f: f["value"] * 100.0,
        flag=lambda f: [
            flags.get(k, "") for k in zip(f["loss"], f["optimizer"], f["seed"], strict=True)
        ],
    )
    kinds = [k for k in dict.fromkeys(accuracy["noise"]) if k != "clean"]
    clean = accuracy[accuracy["noise"] == "clean"]
    fig, axes = subplots(1, max(len(kinds), 1), sharey=True)
    for ax, kind in zip(axes[0], kinds, strict=False):
        curve = accuracy[accuracy["noise"].isin(["clean", kind])].sort_values("intensity")
        for (loss, optimizer), group in curve.groupby(["loss", "optimizer"], sort=False):
            color, linestyle = look.color(loss), look.linestyle(optimizer)
            band(ax, group[group["flag"] == ""], "intensity", "value", color, linestyle)
            for flag, marked in group[group["flag"] != ""].groupby("flag"):
                ax.plot(marked["intensity"], marked["value"], color=color, ls="", **FLAGS[flag])
        ax.set_xlabel(XLABELS.get(kind, f"{kind} level"))
        ax.set_title(kind)
    if not kinds:
        axes[0][0].set_title(f"only a clean test set ({len(clean)} runs)")
    axes[0][0].set_ylabel("test accuracy (%)")
    look.legend(fig, extra=flag_handles(set(accuracy["flag"]) - {""}))
    return fig
