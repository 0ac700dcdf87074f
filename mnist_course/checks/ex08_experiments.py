"""Checks of exercise 8, experimenting: compare_activations (seeded, so that runs can be
paired) and verdict (the lesson's rule: a paired comparison over seeds)."""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from ..experiments import VERDICTS, paired_comparison, t_critical
from ..sandbox.watch import watch
from ._messages import describe, fail, quiet, raised_in
from ._reference import deterministic, experiment_data, fingerprint, reference_experiment, stored

GRADING_SECONDS = 6  # alone, as graded: see mnist_course.checks.grading_seconds

EXPERIMENT_TOLERANCE = 0.02
"""How far an experiment's accuracy may be from the reference run with the same seed."""


@quiet
def check_compare_activations(
    compare_activations, *, activations=("relu", "sigmoid"), epochs=1, seed=0, repeat=True
):
    """Check ``compare_activations(activations, x_train, y_train, x_val, y_val, ...)``.

    It must return ``{activation: validation accuracy}`` within ``EXPERIMENT_TOLERANCE`` of the
    course's own run with the same seed, and the very same number when run again for the last
    activation alone after the random generators were left in another state: an experiment
    that forgets to pass the seed to ``build_mlp`` or to ``train`` gives another number and is
    told so, and one that trains activations of its own returns more than was asked for. With
    ``repeat=False`` it runs once (the seeds it passes are still checked): a hidden test
    that only varies the arguments after a visible one ran it twice.

    Examples
    --------
    >>> check_compare_activations(reference_experiment, activations=("relu",))
    """
    data = experiment_data()
    activations = list(activations)
    call = (
        f"compare_activations({activations}, x_train, y_train, x_val, y_val, "
        f"epochs={epochs}, seed={seed})"
    )
    deterministic(1000)
    with _seeds_passed(compare_activations) as seeds:
        result = compare_activations(list(activations), *data, epochs=epochs, seed=seed)
    for function, passed in seeds:
        if passed != seed:
            fail(
                f"{call} called mnist_course.{function}() with seed={passed!r}.",
                expected=f"seed={seed} in every call to build_mlp and train",
                returned=f"{function}(..., seed={passed!r})",
                hint="pass the seed everywhere: build_mlp(activation=..., seed=seed) draws the "
                "first weights, train(..., seed=seed) the order of the batches",
            )
    expected = stored(
        "reference_experiment",
        {"activations": activations, "epochs": epochs, "seed": seed, "data": fingerprint(*data)},
        lambda: {
            activation: float(accuracy)
            for activation, accuracy in reference_experiment(
                activations, *data, epochs=epochs, seed=seed
            ).items()
        },
    )
    wanted = "{" + ", ".join(f"{a!r}: {v:.4f}" for a, v in expected.items()) + "}"
    if not isinstance(result, dict) or set(result) != set(activations):
        fail(
            f"{call} did not return one accuracy per activation.",
            expected=f"a dict {wanted}",
            returned=describe(result),
            hint="results[activation] = the validation accuracy of the model with that activation",
        )
    again, repeated = result, activations
    if repeat:
        # The last activation alone, run again from another random state: only an experiment
        # seeded throughout repeats its number, and only one that trains the activations it
        # is given returns that one alone
        repeated = activations[-1:]
        deterministic(2000)
        again = compare_activations(list(repeated), *data, epochs=epochs, seed=seed)
        if not isinstance(again, dict) or set(again) != set(repeated):
            fail(
                f"compare_activations({repeated}, x_train, y_train, x_val, y_val, "
                f"epochs={epochs}, seed={seed}) did not return one accuracy per activation "
                "it was given.",
                expected=f"a dict with the key {repeated[0]!r} alone",
                returned=describe(again),
                hint="train one model for each activation in `activations`, the list you are "
                "given, not a list of your own",
            )
    for activation in repeated:
        first, second = _accuracy(result, activation), _accuracy(again, activation)
        if first is None:
            continue
        if second is None or abs(first - second) > 1e-9:
            alone = f" (with activations={repeated})" if repeated != activations else ""
            fail(
                f"{call} gave another accuracy for {activation!r} when run again{alone}.",
                expected=f"{first:.4f} again: the same seed gives the same run",
                returned=f"{second!r}",
                hint="pass the seed everywhere: build_mlp(activation=..., seed=seed) draws the "
                "first weights, train(..., seed=seed) the order of the batches; each model "
                "seeded on its own, so that an activation's number does not depend on the ones "
                "trained before it",
            )
    for activation, value in expected.items():
        found = _accuracy(result, activation)
        if found is None or not abs(found - value) <= EXPERIMENT_TOLERANCE:
            hint = (
                "for each activation: build_mlp(activation=..., seed=seed), compile, "
                "train(..., epochs=epochs, seed=seed), then the accuracy on x_val, y_val"
            )
            if isinstance(result[activation], dict) and "accuracy" in result[activation]:
                hint = (
                    "that is all that mnist_course.evaluate returns, a dict of the loss and "
                    "the accuracy: keep its 'accuracy', one number per activation"
                )
            fail(
                f"{call} returned {result[activation]!r} for {activation!r}.",
                expected=f"{wanted} (within {EXPERIMENT_TOLERANCE})",
                returned=describe(result),
                hint=hint,
            )


@watch
@contextlib.contextmanager
def _seeds_passed(function=None):
    """Record the seed of each call to the course's build_mlp and train while the block runs.

    Yields a list of ``(function name, seed)``; an experiment that calls the course's
    functions, as the exercise asks, is checked call by call. One that trains another way is
    still checked by running it twice. A ``function`` of the student's that runs in another
    process (``mnist_course.sandbox``) records its calls there.
    """
    if hasattr(function, "watching"):
        with function.watching(_seeds_passed) as calls:
            yield calls
        return
    import mnist_course

    from .. import models, training

    calls = []
    originals = {"build_mlp": models.build_mlp, "train": training.train}

    def recording(name):
        original = originals[name]

        @functools.wraps(original)
        def call(*args, seed=None, **kwargs):
            calls.append((name, seed))
            return original(*args, seed=seed, **kwargs)

        return call

    owners = [models, training, mnist_course]
    kept = [(owner, name, owner.__dict__.get(name)) for owner in owners for name in originals]
    try:
        for owner, name, value in kept:
            if owner is not mnist_course or value is not None:
                setattr(owner, name, recording(name))
        yield calls
    finally:
        for owner, name, value in kept:
            if value is not None:
                setattr(owner, name, value)


def _accuracy(results, activation):
    try:
        return float(results[activation])
    except (KeyError, TypeError, ValueError):
        return None


# The verdict: constructed runs whose verdict is known, and what the usual mistakes say

CASES = {
    "better": ([0.960, 0.962, 0.958, 0.961, 0.959], [0.966, 0.967, 0.964, 0.968, 0.965]),
    "worse": ([0.960, 0.962, 0.958, 0.961, 0.959], [0.951, 0.955, 0.950, 0.954, 0.952]),
    "noise": ([0.960, 0.950, 0.970, 0.955, 0.965], [0.955, 0.962, 0.964, 0.950, 0.966]),
    # the seeds move both settings together: paired, the change is clearly better; compared
    # as two unpaired groups, the seed-to-seed spread hides it
    "paired": ([0.950, 0.965, 0.958, 0.970, 0.945], [0.954, 0.968, 0.962, 0.973, 0.949]),
    # three seeds, mean difference 3 standard errors: above the loose 2-SE rule, below t
    "three seeds": ([0.960, 0.962, 0.958], [0.964, 0.963, 0.962]),
    # the mean difference is 2.69 standard errors: past t for 5 degrees of freedom (2.571),
    # short of t for 4 (2.776), which five paired runs leave; so T_CRITICAL[n] says "better"
    "five seeds": (
        [0.9612, 0.9580, 0.9655, 0.9601, 0.9634],
        [0.9611, 0.9589, 0.9674, 0.9630, 0.9673],
    ),
    # the same between t for 4 and for 3 degrees of freedom (-2.94 standard errors), worse
    "four seeds": ([0.9540, 0.9575, 0.9522, 0.9561], [0.9536, 0.9551, 0.9508, 0.9527]),
}
"""Inputs of the verdict check; each is (baseline, changed), one accuracy per seed."""


@quiet
def check_verdict(verdict, *, case="better"):
    """Check ``verdict(baseline, changed)`` -> ``(mean_difference, standard_error, verdict)``.

    Examples
    --------
    >>> def answer(baseline, changed):
    ...     result = paired_comparison(baseline, changed)
    ...     return result.mean_difference, result.standard_error, result.verdict
    >>> for case in CASES:
    ...     check_verdict(answer, case=case)
    """
    baseline, changed = CASES[case]
    _check_pair(verdict, baseline, changed)
    if case == "better":
        # the same runs the other way round are worse: a verdict that only ever says
        # "better" or "no detectable difference" fails here already, not only in grading
        _check_pair(verdict, changed, baseline)


def _check_pair(verdict, baseline, changed):
    call = f"verdict(baseline={list(baseline)}, changed={list(changed)})"
    expected = paired_comparison(baseline, changed)
    try:
        result = verdict(list(baseline), list(changed))
    except TypeError as error:
        if "unsupported operand type(s) for -: 'list' and 'list'" not in str(error):
            raise
        _, code = raised_in(error)
        fail(
            f"{call} raised TypeError"
            + (f" at `{code.strip()}`" if code else "")
            + ": Python's - does not subtract two lists.",
            expected="the differences changed[i] - baseline[i], seed by seed",
            returned="an error: unsupported operand type(s) for -: 'list' and 'list'",
            hint="baseline and changed come as lists of floats (see the docstring); make "
            "numpy arrays of them first (np.asarray), whose - works element by element",
        )
    try:
        mean, error, said = result
        mean, error = float(mean), float(error)
    except (TypeError, ValueError):
        fail(
            f"{call} did not return three values.",
            expected="(mean difference, standard error, verdict)",
            returned=describe(result),
            hint="end with `return mean_difference, standard_error, verdict`",
        )
    d = np.asarray(changed) - np.asarray(baseline)
    n = len(d)
    wanted = (
        f"({expected.mean_difference:.5f}, {expected.standard_error:.5f}, {expected.verdict!r})"
    )
    returned = f"({mean:.5f}, {error:.5f}, {said!r})"
    if np.isclose(mean, -expected.mean_difference, atol=1e-9) and expected.mean_difference:
        fail(
            f"{call} returned the difference the wrong way round.",
            expected=wanted,
            returned=returned,
            hint="the difference is changed - baseline: positive when the change helps",
        )
    if not np.isclose(mean, expected.mean_difference, atol=1e-9):
        fail(
            f"{call} returned another mean difference.",
            expected=wanted,
            returned=returned,
            hint="take the difference seed by seed (changed[i] - baseline[i]), then its mean",
        )
    if not np.isclose(error, expected.standard_error, rtol=1e-6):
        hint = "standard error = the differences' standard deviation (ddof=1) / sqrt(n)"
        unpaired = np.sqrt(np.var(baseline, ddof=1) / n + np.var(changed, ddof=1) / n)
        if np.isclose(error, np.std(d, ddof=0) / np.sqrt(n), rtol=1e-6):
            hint = "use the sample standard deviation, np.std(d, ddof=1): n - 1, not n"
        elif np.isclose(error, unpaired, rtol=1e-6):
            hint = (
                "that is the error of two unpaired groups; the runs share their seeds, so "
                "take the differences seed by seed first and the error of those"
            )
        elif np.isclose(error, np.std(d, ddof=1), rtol=1e-6):
            hint = "that is the spread of one difference; divide by sqrt(n) for their mean"
        elif np.isclose(error, np.std(d, ddof=1) / np.sqrt(n - 1), rtol=1e-6):
            hint = (
                "that divides by sqrt(n - 1): the n - 1 belongs in the standard deviation "
                "(ddof=1) only; the mean of n differences has the error s / sqrt(n)"
            )
        fail(
            f"{call} returned another standard error.",
            expected=wanted,
            returned=returned,
            hint=hint,
        )
    if said not in VERDICTS:
        fail(
            f"{call} returned the verdict {said!r}.",
            expected=f"one of {list(VERDICTS)}",
            returned=repr(said),
            hint="return exactly one of the three strings",
        )
    if said != expected.verdict:
        hint = (
            "better when mean - t * error > 0, worse when mean + t * error < 0, no "
            f"detectable difference otherwise: look at the branch that should give "
            f"{expected.verdict!r}"
        )
        loose = said == _verdict(mean, 2 * error)
        shifted = said == _verdict(mean, t_critical(n + 1) * error)
        degrees = (
            f"{n} paired differences leave {n - 1} degrees of freedom (their mean is estimated "
            f"from them first): t = T_CRITICAL[{n - 1}] = {t_critical(n)}"
        )
        if loose and shifted:
            hint = (
                f"that is the verdict of a t below {t_critical(n)}, such as 2 standard errors or "
                f"T_CRITICAL[{n}] = {t_critical(n + 1)}; {degrees}"
            )
        elif loose:
            hint = f"with {n} seeds, 2 standard errors is too loose: use t = {t_critical(n)}"
        elif shifted:
            hint = f"that is the verdict of t = T_CRITICAL[{n}] = {t_critical(n + 1)}; {degrees}"
        fail(f"{call} gave the wrong verdict.", expected=wanted, returned=returned, hint=hint)


def _verdict(mean, margin):
    if mean - margin > 0:
        return "better"
    if mean + margin < 0:
        return "worse"
    return "no detectable difference"
