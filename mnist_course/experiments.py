"""Judge an experiment honestly: does a change beat the seed-to-seed noise?

The course's rule (the experimenting lesson, exercise 8): run the baseline and the changed
setting with the same seeds, take the difference seed by seed, and call the change better
(or worse) only when the 95% confidence interval of the mean difference, mean ± t × standard
error, lies entirely above (or below) zero. With few seeds t is large (4.30 for 3 seeds), so
few seeds can rarely decide.

:class:`RunCache` keeps finished runs on disk (scores as JSON, weights as ``.npz``), so that a
notebook that trains many runs reads them back when it is run again.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

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


def t_critical(seeds, *, confidence=0.95):
    """Student's t for a two-sided interval of ``confidence`` from ``seeds`` paired runs.

    Parameters
    ----------
    seeds : int
        Number of paired runs; the degrees of freedom are ``seeds - 1``.
    confidence : float, default 0.95
        The 95% values come from :data:`T_CRITICAL`; any other level is computed
        (:func:`t_quantile`), for example ``1 - 0.05 / 3`` for three comparisons at once.

    Returns
    -------
    float

    Examples
    --------
    >>> t_critical(3), t_critical(10)
    (4.303, 2.262)
    >>> round(t_critical(5, confidence=1 - 0.05 / 3), 2)
    3.96
    """
    if seeds < 2:
        raise ValueError(f"seeds is {seeds}; a spread needs at least 2 seeds per setting.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence is {confidence}; expected a share between 0 and 1.")
    degrees = seeds - 1
    if confidence != 0.95:
        return t_quantile(1 - (1 - confidence) / 2, degrees)
    if degrees in T_CRITICAL:
        return T_CRITICAL[degrees]
    known = max(d for d in T_CRITICAL if d <= degrees)
    return T_CRITICAL[known]  # a little wider than exact: the verdict errs towards "no"


def t_quantile(probability, degrees):
    """The value below which Student's t with ``degrees`` degrees of freedom falls with
    ``probability``.

    The density is integrated numerically (Simpson's rule) and the value found by bisection;
    it agrees with the printed tables to three decimals.

    Parameters
    ----------
    probability : float
        Between 0.5 and 1 (the upper half; the distribution is symmetric).
    degrees : int
        At least 1.

    Returns
    -------
    float

    Examples
    --------
    >>> round(t_quantile(0.975, 4), 3), round(t_quantile(0.975, 9), 3)
    (2.776, 2.262)
    """
    if not 0.5 <= probability < 1:
        raise ValueError(f"probability is {probability}; expected a value from 0.5 up to 1.")
    if degrees < 1:
        raise ValueError(f"degrees is {degrees}; expected at least 1 degree of freedom.")
    scale = math.exp(math.lgamma((degrees + 1) / 2) - math.lgamma(degrees / 2)) / math.sqrt(
        degrees * math.pi
    )

    def below(x, steps=2000):  # P(T < x) for x >= 0: one half plus the area from 0 to x
        grid = np.linspace(0.0, x, steps + 1)
        density = scale * (1 + grid**2 / degrees) ** (-(degrees + 1) / 2)
        weights = np.ones(steps + 1)
        weights[1:-1:2], weights[2:-1:2] = 4, 2
        return 0.5 + float(weights @ density) * x / (3 * steps)

    low, high = 0.0, 1.0
    while below(high) < probability:
        low, high = high, 2 * high
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if below(middle) < probability else (low, middle)
    return (low + high) / 2


def paired_comparison(baseline, changed, *, confidence=0.95):
    """Compare two settings run with the same seeds, by the course's rule.

    Parameters
    ----------
    baseline, changed : sequence of float
        One score (validation accuracy, say) per seed, in the same seed order.
    confidence : float, default 0.95
        The level of the interval; ``1 - 0.05 / k`` when ``k`` changes are judged at once
        (Bonferroni), so that the chance of any false verdict stays at most 5%.

    Returns
    -------
    Comparison
        The mean difference (changed - baseline), its standard error, the margin and the
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
    margin = t_critical(len(differences), confidence=confidence) * error
    if mean - margin > 0:
        verdict = "better"
    elif mean + margin < 0:
        verdict = "worse"
    else:
        verdict = "no detectable difference"
    return Comparison(mean, error, margin, verdict)


class RunCache:
    """Finished runs kept in a folder: their scores in one JSON file, their weights as ``.npz``.

    A run is known by its settings, a dict of plain values (numbers, strings, lists) that
    names everything its result depends on: the model, the training, the seed, the data, the
    Keras version. Two dicts with the same items, in any order, name the same run.

    Parameters
    ----------
    folder : str or Path
        Created when the first run is saved. Delete it to train everything anew.

    Examples
    --------
    >>> import tempfile
    >>> cache = RunCache(Path(tempfile.mkdtemp()) / "runs")
    >>> def train():
    ...     return {"val_accuracy": 0.97}, {5: [np.ones((2, 3)), np.zeros(3)]}
    >>> cache.run({"epochs": 5, "seed": 0}, train)
    ({'val_accuracy': 0.97}, 'trained')
    >>> cache.run({"seed": 0, "epochs": 5}, train)
    ({'val_accuracy': 0.97}, 'from cache')
    >>> [w.shape for w in cache.weights({"epochs": 5, "seed": 0}, epoch=5)]
    [(2, 3), (3,)]
    """

    INDEX = "runs.json"
    """The file, in the folder, that holds every run's scores."""

    def __init__(self, folder):
        self.folder = Path(folder)
        index = self.folder / self.INDEX
        self._runs = json.loads(index.read_text()) if index.is_file() else {}

    @staticmethod
    def key(settings):
        """The run's name in the index: its settings as JSON, keys sorted.

        Examples
        --------
        >>> RunCache.key({"seed": 1, "epochs": 5})
        '{"epochs": 5, "seed": 1}'
        """
        if not isinstance(settings, dict):
            raise TypeError(
                f"settings is a {type(settings).__name__}; expected a dict such as "
                '{"epochs": 5, "seed": 0}.'
            )
        return json.dumps(settings, sort_keys=True)

    def __contains__(self, settings):
        return self.key(settings) in self._runs

    def __len__(self):
        return len(self._runs)

    def scores(self, settings):
        """The saved scores of a run (a dict), or KeyError naming the settings."""
        key = self.key(settings)
        if key not in self._runs:
            raise KeyError(f"no run with settings {key} in {self.folder}; train it first.")
        return self._runs[key]

    def weights_path(self, settings, epoch):
        """The ``.npz`` file that holds the run's weights after ``epoch``."""
        digest = hashlib.sha256(self.key(settings).encode()).hexdigest()[:16]
        return self.folder / f"{digest}_epoch{int(epoch)}.npz"

    def save(self, settings, scores, weights=None):
        """Save a run: ``scores`` (JSON-able) and ``weights``, ``{epoch: list of arrays}``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for epoch, arrays in (weights or {}).items():
            np.savez(self.weights_path(settings, epoch), *arrays)
        self._runs[self.key(settings)] = scores
        (self.folder / self.INDEX).write_text(json.dumps(self._runs))

    def weights(self, settings, *, epoch):
        """The weights the run saved after ``epoch``, ready for ``model.set_weights``."""
        path = self.weights_path(settings, epoch)
        if not path.is_file():
            raise FileNotFoundError(
                f"no weights after epoch {epoch} for settings {self.key(settings)} in "
                f"{self.folder}; the run saved {self._saved_epochs(settings) or 'none'}."
            )
        with np.load(path) as saved:
            return [saved[f"arr_{i}"] for i in range(len(saved.files))]

    def _saved_epochs(self, settings):
        stem = self.weights_path(settings, 0).name.split("_epoch")[0]
        return sorted(int(p.stem.split("_epoch")[1]) for p in self.folder.glob(f"{stem}_epoch*"))

    def run(self, settings, train):
        """Return the run's scores, from the cache or from ``train()``, and where they came from.

        Parameters
        ----------
        settings : dict
        train : callable
            ``train() -> (scores, weights)``, called only when the run is not in the cache;
            ``weights`` is ``{epoch: list of arrays}`` (or None).

        Returns
        -------
        (dict, str)
            The scores, and "from cache" or "trained".
        """
        if settings in self:
            return self.scores(settings), "from cache"
        scores, weights = train()
        self.save(settings, scores, weights)
        return self.scores(settings), "trained"
