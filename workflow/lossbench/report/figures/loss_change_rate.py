"""Epoch-to-epoch relative change of the train and test loss (the original pct_change)."""

from ...analysis.metrics import RUN_KEYS, pct_change, wide_history
from .style import Series, curve_grid


def draw(tables, by_optimizer: bool = False):
    wide = wide_history(tables["history"])
    for split in ("train", "test"):
        wide[f"{split}_change"] = wide.groupby(RUN_KEYS)[f"{split}_loss"].transform(pct_change)
    rows = [
        Series("train_change", "train loss change (% per epoch)", 100.0, symlog=True),
        Series("test_change", "test loss change (% per epoch)", 100.0, symlog=True),
    ]
    return curve_grid(wide, tables["runs"], rows, by_optimizer)
