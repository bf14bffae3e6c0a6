"""Train (faint) and test (bold) loss per epoch, one panel per loss: each in its own units."""

from matplotlib.lines import Line2D

from ...analysis.metrics import wide_history
from .style import DIVERGED_HANDLE, Look, band, diverged_runs, mark_diverged, phase_lines, subplots


def draw(tables):
    wide, runs = wide_history(tables["history"]), tables["runs"]
    look, diverged = Look.of(runs), diverged_runs(runs)
    cols = min(len(look.losses), 2)
    fig, axes = subplots(-(-len(look.losses) // cols), cols, sharex=True)
    for ax in axes.flat[len(look.losses) :]:
        ax.set_visible(False)
    marked = False
    for i, (ax, loss) in enumerate(zip(axes.flat, look.losses, strict=False)):
        for optimizer in look.optimizers:
            data = wide[(wide["loss"] == loss) & (wide["optimizer"] == optimizer)]
            color, linestyle = look.color(loss), look.linestyle(optimizer)
            band(ax, data, "epoch", "train_loss", color, linestyle, faint=True)
            band(ax, data, "epoch", "test_loss", color, linestyle)
            marked |= mark_diverged(ax, data, diverged, "epoch", "test_loss", color)
            phase_lines(ax, data, linestyle)
        ax.set_title(loss)
        if i + cols >= len(look.losses):  # the lowest panel of its column
            ax.set_xlabel("epoch")
    for row in axes:
        row[0].set_ylabel("loss (own units)")
    splits = [
        Line2D([], [], color="0.3", lw=1.0, alpha=0.45, label="train"),
        Line2D([], [], color="0.3", lw=1.8, label="test"),
    ]
    look.legend(fig, extra=splits + ([DIVERGED_HANDLE] if marked else []))
    return fig
