"""Judge an experiment honestly: does a change beat the seed-to-seed noise?

The course's rule (the experimenting lesson, exercise 5): run the baseline and the changed
setting with the same seeds, take the difference seed by seed, and call the change better
(or worse) only when the 95% confidence interval of the mean difference, mean ± t × standard
error, lies entirely above (or below) zero. With few seeds t is large (4.30 for 3 seeds), so
few seeds can rarely decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

T_CRITICAL = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    11: 2.201,
    12: 2.179,
    13: 2.160,
    14: 2.145,
    15: 2.131,
    16: 2.120,
    17: 2.110,
    18: 2.101,
    19: 2.093,
    20: 2.086,
    29: 2.045,
}
"""Student's t for a two-sided 95% interval, by degrees of freedom (seeds - 1)."""

VERDICTS = ("better", "worse", "no detectable difference")
"""What :func:`paired_comparison` can conclude about the changed setting."""


@dataclass(frozen=True)
class Comparison:
    """The paired comparison of two settings over the same seeds."""

    mean_difference: float
    """Mean of changed - baseline, seed by seed."""
    standard_error: float
    """Standard deviation of the differences (n - 1 in the denominator) / sqrt(n)."""
    margin: float
    """t × standard error: half the width of the 95% interval."""
    verdict: str
    """One of :data:`VERDICTS`."""


def t_critical(seeds):
    """Student's t for a two-sided 95% interval from ``seeds`` paired runs.

    Examples
    --------
    >>> t_critical(3), t_critical(10)
    (4.303, 2.262)
    """
    if seeds < 2:
        raise ValueError(f"seeds is {seeds}; a spread needs at least 2 seeds per setting.")
    degrees = seeds - 1
    if degrees in T_CRITICAL:
        return T_CRITICAL[degrees]
    known = max(d for d in T_CRITICAL if d <= degrees)
    return T_CRITICAL[known]  # a little wider than exact: the verdict errs towards "no"


def paired_comparison(baseline, changed):
    """Compare two settings run with the same seeds, by the course's rule.

    Parameters
    ----------
    baseline, changed : sequence of float
        One score (validation accuracy, say) per seed, in the same seed order.

    Returns
    -------
    Comparison
        The mean difference (changed - baseline), its standard error, the 95% margin and the
        verdict: "better" when mean - margin > 0, "worse" when mean + margin < 0, otherwise
        "no detectable difference".

    Examples
    --------
    >>> result = paired_comparison([0.960, 0.962, 0.958], [0.967, 0.968, 0.966])
    >>> round(result.mean_difference, 4), result.verdict
    (0.007, 'better')
    >>> paired_comparison([0.96, 0.95, 0.97], [0.95, 0.97, 0.96]).verdict
    'no detectable difference'
    """
    baseline = np.asarray(baseline, dtype=np.float64)
    changed = np.asarray(changed, dtype=np.float64)
    if baseline.shape != changed.shape or baseline.ndim != 1:
        raise ValueError(
            f"baseline has shape {baseline.shape} and changed {changed.shape}; expected one "
            "score per seed for each, the same seeds in the same order."
        )
    differences = changed - baseline
    mean = float(differences.mean())
    error = float(differences.std(ddof=1) / math.sqrt(len(differences)))
    margin = t_critical(len(differences)) * error
    if mean - margin > 0:
        verdict = "better"
    elif mean + margin < 0:
        verdict = "worse"
    else:
        verdict = "no detectable difference"
    return Comparison(mean, error, margin, verdict)
