"""Checks of exercise 6, testing the model: evaluate, predict_labels, misclassified."""

from __future__ import annotations

import functools

import numpy as np

from ..data import NUM_CLASSES
from ._inputs import mnist_labels, prepared  # noqa: F401 (hidden tests use mnist_labels)
from ._messages import as_array, describe, fail, quiet
from ._reference import reference_model

TESTED_SIZE = 1000
"""Test images each check of exercise 6 uses."""


@functools.cache
def _tested_model(seed=0):
    """A compiled model of the course (seeded, untrained: any weights do to compare the
    answers with Keras's own), and 1,000 test images and labels; another seed gives another
    model and the next 1,000 images, so numbers copied from a message earn nothing."""
    from .. import training

    model = training.compile_model(reference_model(seed))
    x_test, y_test = prepared(TESTED_SIZE * (seed + 1), split="test")
    return model, x_test[-TESTED_SIZE:], y_test[-TESTED_SIZE:]


@quiet
def check_evaluate(evaluate, *, seed=0):
    """Check that ``evaluate(model, x_test, y_test)`` returns the test loss and accuracy.

    ``seed`` picks the model's weights and which 1,000 test images it is given.

    Examples
    --------
    >>> from mnist_course.training import evaluate
    >>> check_evaluate(evaluate)
    """
    model, x_test, y_test = _tested_model(seed)
    call = "evaluate(model, x_test, y_test)"
    expected = model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)
    result = evaluate(model, x_test, y_test)
    wanted = f"{{'loss': {expected['loss']:.4f}, 'accuracy': {expected['accuracy']:.4f}}}"
    if not isinstance(result, dict) or not {"loss", "accuracy"} <= set(result):
        fail(
            f"{call} did not return a dict with 'loss' and 'accuracy'.",
            expected=wanted,
            returned=describe(result),
            hint="model.evaluate(x_test, y_test, return_dict=True) gives that dict",
        )
    try:
        loss, accuracy = float(result["loss"]), float(result["accuracy"])
    except (TypeError, ValueError):
        fail(
            f"{call} returned values that are not numbers.",
            expected=wanted,
            returned=describe(result),
            hint="return plain numbers: float(...)",
        )
    if np.isclose(accuracy, expected["accuracy"] * 100, atol=1e-2):
        fail(
            f"{call} returned the accuracy as a percentage.",
            expected=wanted,
            returned=f"{{'loss': {loss:.4f}, 'accuracy': {accuracy:.4f}}}",
            hint="return the accuracy as a fraction between 0 and 1",
        )
    if not (
        np.isclose(loss, expected["loss"], rtol=1e-4, atol=1e-5)
        and np.isclose(accuracy, expected["accuracy"], atol=1e-6)
    ):
        hint = "evaluate the model you were given on x_test and y_test"
        if np.isclose(loss, expected["accuracy"]) and np.isclose(accuracy, expected["loss"]):
            hint = "'loss' and 'accuracy' are swapped"
        fail(
            f"{call} returned other numbers than model.evaluate.",
            expected=wanted,
            returned=f"{{'loss': {loss:.4f}, 'accuracy': {accuracy:.4f}}}",
            hint=hint,
        )


@quiet
def check_predict_labels(predict_labels, *, seed=0):
    """Check that ``predict_labels(model, x)`` returns the most likely digit for each image.

    Examples
    --------
    >>> from mnist_course.training import predict_labels
    >>> check_predict_labels(predict_labels)
    """
    model, x_test, _ = _tested_model(seed)
    call = "predict_labels(model, x)"
    expected = np.argmax(model.predict(x_test, batch_size=1000, verbose=0), axis=1)
    result = as_array(predict_labels(model, x_test), call, "the labels")
    n = len(x_test)
    if result.shape != (n,):
        hint = "return one label per image"
        if result.shape == (n, NUM_CLASSES):
            hint = "these are the probabilities; take the most likely digit: argmax(axis=1)"
        elif result.shape == (NUM_CLASSES,):
            hint = "take the argmax along axis=1 (over the 10 digits), not axis=0"
        fail(
            f"{call} returned the wrong shape for {n} images.",
            expected=f"labels of shape ({n},)",
            returned=describe(result),
            hint=hint,
        )
    if result.dtype.kind not in "iu" and not (
        result.dtype.kind == "f" and np.all(result == np.round(result))
    ):
        fail(
            f"{call} did not return whole numbers.",
            expected="the digits 0..9",
            returned=describe(result),
            hint="np.argmax(probabilities, axis=1) gives the digit of each row",
        )
    if not np.array_equal(result, expected):
        wrong = int(np.flatnonzero(result != expected)[0])
        fail(
            f"{call} returned other labels than the model predicts.",
            expected=f"for image {wrong}, digit {expected[wrong]} (the highest probability)",
            returned=f"digit {result[wrong]}",
            hint="model.predict(x) gives probabilities; argmax(axis=1) picks each digit",
        )


@quiet
def check_misclassified(misclassified, *, y_true=None, y_pred=None):
    """Check that ``misclassified(y_true, y_pred)`` returns the indices where they differ.

    Examples
    --------
    >>> check_misclassified(lambda y_true, y_pred: np.flatnonzero(y_true != y_pred))
    """
    if y_true is None:
        y_true = np.array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        y_pred = np.array([7, 2, 1, 0, 9, 1, 4, 9, 6, 9])
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    call = f"misclassified(y_true, y_pred) for y_true={y_true.tolist()[:10]}, "
    call += f"y_pred={y_pred.tolist()[:10]}"
    expected = np.flatnonzero(y_true != y_pred)
    result = as_array(misclassified(y_true.copy(), y_pred.copy()), call, "the indices")
    if result.dtype == bool and result.shape == y_true.shape:
        fail(
            f"{call} returned a mask, not indices.",
            expected=f"the indices {expected.tolist()}",
            returned=describe(result),
            hint="turn the mask into indices: np.flatnonzero(y_true != y_pred)",
        )
    if result.ndim != 1 or not np.array_equal(result.astype(np.int64), expected):
        fail(
            f"{call} returned the wrong indices.",
            expected=f"{expected.tolist()}, the positions where the labels differ",
            returned=f"{result.tolist()[:20]}",
            hint="np.flatnonzero(y_true != y_pred)",
        )
