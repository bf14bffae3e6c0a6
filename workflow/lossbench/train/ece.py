"""Expected calibration error from confidence bins: one formula for the evaluation job (torch,
no pandas) and the figures (pandas, no torch), so it imports numpy only."""

from __future__ import annotations

import numpy as np

#: equal-width confidence bins of the calibration tables and the ECE
ECE_BINS = 15


def expected_calibration_error(bins) -> float:
    """sum_b (n_b / N) |accuracy_b - confidence_b| over non-empty bins.

    ``bins`` maps "count", "confidence" and "accuracy" to one value per bin: a dict of lists
    or a DataFrame (empty bins may hold NaN).
    """
    count = np.asarray(bins["count"], dtype=float)
    gap = np.abs(np.asarray(bins["accuracy"], float) - np.asarray(bins["confidence"], float))
    full = count > 0
    return float((count[full] * gap[full]).sum() / count[full].sum())
