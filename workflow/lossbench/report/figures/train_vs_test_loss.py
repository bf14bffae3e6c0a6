"""Train (faint) and test (bold) loss per epoch, one panel per loss: each in its own units."""

from matplotlib.lines import Line2D

from ...analysis.metrics import wide_history
from .style import Look, band, flag_handles, left_out, mark_left_out, phase_lines, subplots


def draw(tables):
    wide, runs = wide_history(tables["history"]), tables["runs"]
    look, flags = Look.of(runs), left_out(runs)
    cols = min(len(look.losses), 2)
    fig, axes = subplots(-(-len(look.losses) // cols), cols, sharex=True)
    for ax in axes.flat[len(look.losses) :]:
        ax.set_visible(False)
    marked = set()
    for i, (ax, loss) in enumerate(zip(axes.flat, look.losses, strict=False)):
        for optimizer in look.optimizers:
            data = wide[(wide["loss"] == loss) & (wide["optimizer"] == optimizer)]
            color, linestyle = look.color(loss), look.linestyle(optimizer)
            band(ax, data, "epoch", "train_loss", color, linestyle, faint=True)
            band(ax, data, "epoch", "test_loss", color, linestyle)
            marked |= mark_left_out(ax, data, flags, "epoch", "test_loss", color)
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
    look.legend(fig, extra=splits + flag_handles(marked))
    return fig
