"""Checks of exercise 1, preparing the data: split_labels, normalize, one_hot."""

from __future__ import annotations

import numpy as np

from ..data import NUM_CLASSES, NUM_PIXELS
from ._inputs import mnist_images, mnist_labels, mnist_rows  # noqa: F401 (hidden tests use them)
from ._messages import as_array, describe, fail, quiet

USES_KERAS = False
"""These checks need no Keras (grading does not import it ahead for them)."""


def _sample_rows():
    """Six CSV rows with labels and pixel values that differ everywhere."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(6, NUM_PIXELS))
    labels = np.array([5, 0, 4, 1, 9, 2])
    return np.column_stack([labels, pixels])


@quiet
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
        fail(
            f"{call} should return two arrays, x and y.",
            expected=f"a tuple (x, y): x of shape ({n}, {NUM_PIXELS}), y of shape ({n},)",
            returned=describe(result),
            hint="end with `return x, y`",
        )
    x = as_array(result[0], call, "x")
    y = as_array(result[1], call, "y")
    if x.shape == (n,) and y.shape == (n, NUM_PIXELS):
        fail(
            f"{call} returned the labels first.",
            expected=f"x of shape ({n}, {NUM_PIXELS}) first, then y of shape ({n},)",
            returned=f"first {describe(x)}; second {describe(y)}",
            hint="return the pixels first, then the labels: `return x, y`",
        )
    if x.shape != (n, NUM_PIXELS):
        hint = f"each row is the label, then {NUM_PIXELS} pixels: the pixels are rows[:, 1:]"
        if x.shape == (n, NUM_PIXELS + 1):
            hint = "x still holds the label column: take rows[:, 1:]"
        fail(
            f"{call} returned x of the wrong shape.",
            expected=f"x of shape ({n}, {NUM_PIXELS})",
            returned=f"x: {describe(x)}",
            hint=hint,
        )
    if y.shape != (n,):
        fail(
            f"{call} returned y of the wrong shape.",
            expected=f"y of shape ({n},): one label per row",
            returned=f"y: {describe(y)}",
            hint="the label is the first column: rows[:, 0]",
        )
    if not np.array_equal(y, rows[:, 0]):
        fail(
            f"{call} returned the wrong labels.",
            expected=f"the first column, starting {rows[:4, 0].tolist()}",
            returned=f"labels starting {y[:4].tolist()}",
            hint="the label is the first column: rows[:, 0]",
        )
    if not np.array_equal(x, rows[:, 1:]):
        fail(
            f"{call} returned the wrong pixel values.",
            expected=f"columns 1 to {NUM_PIXELS}, the first row starting {rows[0, 1:5].tolist()}",
            returned=f"a first row starting {x[0, :4].tolist()}",
            hint="the pixels are every column after the label: rows[:, 1:]",
        )


@quiet
def check_normalize(normalize, *, x=None):
    """Check that ``normalize(x)`` returns floats equal to ``x / 255 - 0.5`` (within 1e-6).

    float32 is what the course uses (Keras computes in float32); float64 is accepted too,
    Keras casts it. The input must be left unchanged and the shape kept: by default the check
    runs on grey levels as uint8, then as float32 (which an in-place conversion would change).

    Examples
    --------
    >>> check_normalize(lambda x: (x - 127.5) / 255)
    """
    x = np.arange(256, dtype=np.uint8).reshape(16, 16) if x is None else np.asarray(x)
    original = x.copy()
    call = f"normalize(x) for x of shape {x.shape}, {x.dtype}"
    result = as_array(normalize(x), call, "the normalised pixels")
    expected = x.astype(np.float64) / 255 - 0.5
    wanted = "floats from -0.5 to 0.5, x / 255 - 0.5"
    if not np.array_equal(x, original):
        fail(
            f"{call} changed its input x.",
            expected="x left as it was, a new array returned",
            returned=f"x changed to {describe(x)}",
            hint="compute a new array (x / 255 - 0.5) instead of changing x in place",
        )
    if result.shape != x.shape:
        fail(
            f"{call} changed the shape.",
            expected=f"an array of shape {x.shape}, the same as x",
            returned=describe(result),
            hint="normalising only scales the values; keep the shape",
        )
    if result.dtype.kind != "f":
        fail(
            f"{call} returned {result.dtype} values, not floats.",
            expected=wanted,
            returned=describe(result),
            hint="divide with / (not //) so that the result is float: x / 255 - 0.5",
        )
    if np.allclose(result, expected, rtol=0, atol=1e-6):
        if original.dtype == np.uint8:  # the same grey levels as floats, which can change
            check_normalize(normalize, x=original.astype(np.float32))
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
        (
            x // 255 - 0.5,
            "x // 255 is whole-number division, 0 for every grey level below 255: divide "
            "with / (not //), x / 255 - 0.5",
        ),
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
    fail(
        f"{call} returned the wrong values.",
        expected=f"{wanted}; for grey level {x.flat[worst]}: {expected.flat[worst]:.6g}",
        returned=f"{describe(result)}; for grey level {x.flat[worst]}: {values.flat[worst]:.6g}",
        hint=hint,
    )


@quiet
def check_one_hot(one_hot, *, y=None, num_classes=NUM_CLASSES):
    """Check that ``one_hot(y, num_classes=...)`` returns one row per label with a 1 in column y.

    Any numeric dtype is accepted (Keras casts the labels to float32).

    Examples
    --------
    >>> check_one_hot(lambda y, num_classes=10: np.eye(num_classes)[y])
    """
    y = np.array([3, 0, 9, 1, 1, 7, 4]) if y is None else np.asarray(y)
    n = len(y)
    if num_classes == NUM_CLASSES:
        call = "one_hot(y)"
        result = one_hot(y.copy())
    else:
        call = f"one_hot(y, num_classes={num_classes})"
        result = one_hot(y.copy(), num_classes=num_classes)
    result = as_array(result, call, "the one-hot labels")
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
        fail(
            f"{call} returned the wrong shape for {shown}.",
            expected=f"an array of shape ({n}, {num_classes})",
            returned=describe(result),
            hint=hint,
        )
    if result.dtype.kind not in "biuf":
        fail(
            f"{call} returned {result.dtype} values.",
            expected="numbers 0 and 1",
            returned=describe(result),
            hint="build the rows with numbers, e.g. np.eye(num_classes)[y]",
        )
    if not np.array_equal(result, expected):
        row = int(np.flatnonzero(np.any(result != expected, axis=1))[0])
        fail(
            f"{call} returned a wrong row for label {y[row]} (row {row}).",
            expected=f"{expected[row].astype(int).tolist()}",
            returned=f"{np.asarray(result[row]).tolist()}",
            hint="each row is all 0 except a 1 in the column of its label: np.eye(num_classes)[y]",
        )
