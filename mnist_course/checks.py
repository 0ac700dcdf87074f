"""Checks for the exercises: one set, called by nbgrader's test cells and by ``pytest exercises``.

Each ``check_<name>(function, ...)`` calls a student's function on known inputs and compares
what it returns with the course's own functions. A wrong answer raises :class:`CheckFailed`
with what was expected, what the function returned and a hint; an answer written differently
but correct (a functional model instead of a Sequential, float64 instead of float32, ...)
passes. Test cells load the checks with :func:`fresh`, so that code in an answer cell that
patches this module, or the course functions it compares against, changes nothing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import uuid
from pathlib import Path

import numpy as np

from . import data, preprocessing

MIN_TEST_ACCURACY = 0.85
"""Test accuracy that :func:`check_test_accuracy` asks for (placeholder, measured below)."""

ACCURACY_TRAIN_SIZE = 10000
"""Training images (the first ones of the training set) that the accuracy check trains on."""

ACCURACY_EPOCHS = 1
"""Epochs that the accuracy check trains for."""


class CheckFailed(AssertionError):
    """An answer does not do what the exercise asks; the message says what and how to fix it."""


def fresh():
    """Return these checks loaded anew from the course's files, in a private namespace.

    The copy has its own copies of the course modules it compares against, so code that
    replaces ``mnist_course.checks.check_normalize`` or ``mnist_course.normalize`` in the
    notebook does not reach it. Keras and numpy are shared.

    Returns
    -------
    module
        A private copy of this module.

    Examples
    --------
    >>> checks = fresh()
    >>> checks.check_normalize is check_normalize
    False
    """
    folder = Path(__file__).resolve().parent
    name = f"_mnist_course_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.checks")


# ---------------------------------------------------------------------------------------------
# Messages


def _fail(summary, *, expected, returned, hint=None):
    """Raise CheckFailed with a summary line, then expected / returned / hint lines."""
    lines = [summary, f"  expected: {expected}", f"  returned: {returned}"]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailed("\n".join(lines))


def _describe(value):
    """A short description of a value: arrays by shape, dtype and range."""
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}, dtype {value.dtype}"
        if value.size and value.dtype.kind in "biuf":
            text += f", values from {value.min():.6g} to {value.max():.6g}"
        return text
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}" if not isinstance(value, str | type(None)) else text


def _as_array(value, call, what):
    """Convert a returned value to a numpy array or fail with a message that says why."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except Exception:  # a value numpy cannot convert
        array = None
    if array is None or array.dtype == object:
        _fail(
            f"{call} did not return {what} as an array.",
            expected=f"{what}: a numpy array",
            returned=_describe(value),
            hint="return a numpy array (np.asarray(...) converts lists)",
        )
    return array


# ---------------------------------------------------------------------------------------------
# Inputs


@functools.cache
def _mnist():
    return data.load_mnist()


def mnist_images(n, *, split="test"):
    """Return the first ``n`` MNIST images of a split, uint8 of shape (n, 28, 28).

    Examples
    --------
    >>> mnist_images(3).shape
    (3, 28, 28)
    """
    (x_train, _), (x_test, _) = _mnist()
    return (x_train if split == "train" else x_test)[:n].copy()


def mnist_labels(n, *, split="test"):
    """Return the first ``n`` MNIST labels of a split, uint8 of shape (n,).

    Examples
    --------
    >>> mnist_labels(5)
    array([7, 2, 1, 0, 4], dtype=uint8)
    """
    (_, y_train), (_, y_test) = _mnist()
    return (y_train if split == "train" else y_test)[:n].copy()


def mnist_rows(n, *, split="test"):
    """Return the first ``n`` lines of ``mnist_<split>.csv`` as integers of shape (n, 785).

    Examples
    --------
    >>> mnist_rows(2).shape
    (2, 785)
    """
    x, y = mnist_images(n, split=split), mnist_labels(n, split=split)
    return np.column_stack([y, x.reshape(n, -1)]).astype(np.int64)


def _prepared(n, *, split):
    return preprocessing.preprocess(mnist_images(n, split=split), mnist_labels(n, split=split))


# ---------------------------------------------------------------------------------------------
# Exercise 1: preparing the data


def _sample_rows():
    """Six CSV rows with labels and pixel values that differ everywhere."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(6, 784))
    labels = np.array([5, 0, 4, 1, 9, 2])
    return np.column_stack([labels, pixels])


def check_split_labels(split_labels, *, rows=None):
    """Check that ``split_labels(rows)`` returns pixels ``rows[:, 1:]`` and labels ``rows[:, 0]``.

    Examples
    --------
    >>> check_split_labels(lambda rows: (rows[:, 1:], rows[:, 0]))
    """
    rows = _sample_rows() if rows is None else np.asarray(rows)
    n = len(rows)
    call = "split_labels(rows)"
    result = split_labels(rows.copy())
    if not isinstance(result, tuple | list) or len(result) != 2:
        _fail(
            f"{call} should return two arrays, x and y.",
            expected=f"a tuple (x, y): x of shape ({n}, 784), y of shape ({n},)",
            returned=_describe(result),
            hint="end with `return x, y`",
        )
    x = _as_array(result[0], call, "x")
    y = _as_array(result[1], call, "y")
    if x.shape == (n,) and y.shape == (n, 784):
        _fail(
            f"{call} returned the labels first.",
            expected=f"x of shape ({n}, 784) first, then y of shape ({n},)",
            returned=f"first {_describe(x)}; second {_describe(y)}",
            hint="return the pixels first, then the labels: `return x, y`",
        )
    if x.shape != (n, 784):
        hint = "each row is the label, then 784 pixels: the pixels are rows[:, 1:]"
        if x.shape == (n, 785):
            hint = "x still holds the label column: take rows[:, 1:]"
        _fail(
            f"{call} returned x of the wrong shape.",
            expected=f"x of shape ({n}, 784)",
            returned=f"x: {_describe(x)}",
            hint=hint,
        )
    if y.shape != (n,):
        _fail(
            f"{call} returned y of the wrong shape.",
            expected=f"y of shape ({n},): one label per row",
            returned=f"y: {_describe(y)}",
            hint="the label is the first column: rows[:, 0]",
        )
    if not np.array_equal(y, rows[:, 0]):
        _fail(
            f"{call} returned the wrong labels.",
            expected=f"the first column, starting {rows[:4, 0].tolist()}",
            returned=f"labels starting {y[:4].tolist()}",
            hint="the label is the first column: rows[:, 0]",
        )
    if not np.array_equal(x, rows[:, 1:]):
        _fail(
            f"{call} returned the wrong pixel values.",
            expected=f"columns 1 to 784, the first row starting {rows[0, 1:5].tolist()}",
            returned=f"a first row starting {x[0, :4].tolist()}",
            hint="the pixels are every column after the label: rows[:, 1:]",
        )


def check_normalize(normalize, *, x=None):
    """Check that ``normalize(x)`` returns floats equal to ``x / 255 - 0.5`` (within 1e-6).

    float32 is what the course uses (Keras computes in float32); float64 is accepted too,
    Keras casts it. The input must be left unchanged and the shape kept.

    Examples
    --------
    >>> check_normalize(lambda x: (x - 127.5) / 255)
    """
    x = np.arange(256, dtype=np.uint8).reshape(16, 16) if x is None else np.asarray(x)
    original = x.copy()
    call = f"normalize(x) for x of shape {x.shape}, {x.dtype}"
    result = _as_array(normalize(x), call, "the normalised pixels")
    expected = x.astype(np.float64) / 255 - 0.5
    wanted = "floats from -0.5 to 0.5, x / 255 - 0.5"
    if not np.array_equal(x, original):
        _fail(
            f"{call} changed its input x.",
            expected="x left as it was, a new array returned",
            returned=f"x changed to {_describe(x)}",
            hint="compute a new array (x / 255 - 0.5) instead of changing x in place",
        )
    if result.shape != x.shape:
        _fail(
            f"{call} changed the shape.",
            expected=f"an array of shape {x.shape}, the same as x",
            returned=_describe(result),
            hint="normalising only scales the values; keep the shape",
        )
    if result.dtype.kind != "f":
        _fail(
            f"{call} returned {result.dtype} values, not floats.",
            expected=wanted,
            returned=_describe(result),
            hint="divide with / (not //) so that the result is float: x / 255 - 0.5",
        )
    if np.allclose(result, expected, rtol=0, atol=1e-6):
        return
    hint = "the course normalises to [-0.5, 0.5]: x / 255 - 0.5"
    values = result.astype(np.float64)
    for close_to, why in (
        (
            x / 255,
            "values are in [0, 1]; the course normalises to [-0.5, 0.5]: "
            "subtract 0.5 after dividing by 255",
        ),
        (x / 127.5 - 1, "values are in [-1, 1]; divide by 255, not 127.5, then subtract 0.5"),
        (x - 0.5, "the values were not divided by 255: x / 255 - 0.5"),
        (x / 255 + 0.5, "values are in [0.5, 1.5]: subtract 0.5, do not add it"),
        ((x - 0.5) / 255, "subtract 0.5 after dividing by 255, not before: x / 255 - 0.5"),
    ):
        if np.allclose(values, close_to, rtol=0, atol=1e-3):
            hint = why
            break
    else:
        if np.allclose(values, expected, rtol=0, atol=1e-3):
            hint = (
                f"the values are close but not within 1e-6 ({result.dtype} is too coarse): "
                "return float32 or float64"
            )
    worst = int(np.argmax(np.abs(values - expected)))
    _fail(
        f"{call} returned the wrong values.",
        expected=f"{wanted}; for grey level {x.flat[worst]}: {expected.flat[worst]:.6g}",
        returned=f"{_describe(result)}; for grey level {x.flat[worst]}: {values.flat[worst]:.6g}",
        hint=hint,
    )


def check_one_hot(one_hot, *, y=None, num_classes=10):
    """Check that ``one_hot(y, num_classes=...)`` returns one row per label with a 1 in column y.

    Any numeric dtype is accepted (Keras casts the labels to float32).

    Examples
    --------
    >>> check_one_hot(lambda y, num_classes=10: np.eye(num_classes)[y])
    """
    y = np.array([3, 0, 9, 1, 1, 7, 4]) if y is None else np.asarray(y)
    n = len(y)
    if num_classes == 10:
        call = "one_hot(y)"
        result = one_hot(y.copy())
    else:
        call = f"one_hot(y, num_classes={num_classes})"
        result = one_hot(y.copy(), num_classes=num_classes)
    result = _as_array(result, call, "the one-hot labels")
    expected = np.eye(num_classes)[y.astype(np.int64)]
    shown = f"y = {y[:4].tolist()}..." if n > 4 else f"y = {y.tolist()}"
    if result.shape != (n, num_classes):
        hint = f"make one row per label and one column per class: shape (N, {num_classes})"
        if result.shape == (num_classes, n):
            hint = "the array is transposed: one row per label, one column per class"
        elif result.shape == (n,):
            hint = "that is one number per label; one-hot makes a row of 0s with a 1 in column y"
        elif result.ndim == 2 and result.shape[0] == n:
            hint = f"use num_classes ({num_classes}) columns, not {result.shape[1]}"
        _fail(
            f"{call} returned the wrong shape for {shown}.",
            expected=f"an array of shape ({n}, {num_classes})",
            returned=_describe(result),
            hint=hint,
        )
    if result.dtype.kind not in "biuf":
        _fail(
            f"{call} returned {result.dtype} values.",
            expected="numbers 0 and 1",
            returned=_describe(result),
            hint="build the rows with numbers, e.g. np.eye(num_classes)[y]",
        )
    if not np.array_equal(result, expected):
        row = int(np.flatnonzero(np.any(result != expected, axis=1))[0])
        _fail(
            f"{call} returned a wrong row for label {y[row]} (row {row}).",
            expected=f"{expected[row].astype(int).tolist()}",
            returned=f"{np.asarray(result[row]).tolist()}",
            hint="each row is all 0 except a 1 in the column of its label: np.eye(num_classes)[y]",
        )
