"""Checks of exercise 5, experimenting: compare_activations, best_activation."""

from __future__ import annotations

from ._messages import describe, fail, quiet
from ._reference import experiment_data, reference_experiment

EXPERIMENT_TOLERANCE = 0.02
"""How far an experiment's accuracy may be from the reference run with the same seed."""


@quiet
def check_compare_activations(compare_activations, *, activations=("relu", "sigmoid"), epochs=1):
    """Check ``compare_activations(activations, x_train, y_train, x_test, y_test, ...)``.

    It must return ``{activation: test accuracy}`` within ``EXPERIMENT_TOLERANCE`` of the
    course's own run with the same seed.

    Examples
    --------
    >>> check_compare_activations(reference_experiment, activations=("relu",))
    """
    data = experiment_data()
    activations = list(activations)
    call = f"compare_activations({activations}, x_train, y_train, x_test, y_test, epochs={epochs})"
    result = compare_activations(list(activations), *data, epochs=epochs, seed=0)
    expected = reference_experiment(activations, *data, epochs=epochs, seed=0)
    wanted = "{" + ", ".join(f"{a!r}: {v:.4f}" for a, v in expected.items()) + "}"
    if not isinstance(result, dict) or set(result) != set(activations):
        fail(
            f"{call} did not return one accuracy per activation.",
            expected=f"a dict {wanted}",
            returned=describe(result),
            hint="results[activation] = the test accuracy of the model with that activation",
        )
    for activation, value in expected.items():
        try:
            found = float(result[activation])
        except (TypeError, ValueError):
            found = None
        if found is None or not abs(found - value) <= EXPERIMENT_TOLERANCE:
            fail(
                f"{call} returned {result[activation]!r} for {activation!r}.",
                expected=f"{wanted} (within {EXPERIMENT_TOLERANCE})",
                returned=describe(result),
                hint="for each activation: build_mlp(activation=..., seed=seed), compile, "
                "train(..., epochs=epochs, seed=seed), then the accuracy on x_test, y_test",
            )


@quiet
def check_best_activation(best_activation, *, results=None):
    """Check that ``best_activation(results)`` returns the activation with the highest accuracy.

    Examples
    --------
    >>> check_best_activation(lambda results: max(results, key=results.get))
    """
    results = {"sigmoid": 0.91, "relu": 0.95, "tanh": 0.93} if results is None else results
    call = f"best_activation({results})"
    expected = max(results, key=results.get)
    result = best_activation(dict(results))
    if result != expected:
        hint = "return the activation's name (the key), the one with the highest accuracy"
        if result == results[expected]:
            hint = "return the name of the activation (the key), not its accuracy"
        elif result == min(results, key=results.get):
            hint = "that is the lowest accuracy; return the highest"
        fail(
            f"{call} returned {result!r}.",
            expected=repr(expected),
            returned=repr(result),
            hint=hint,
        )
