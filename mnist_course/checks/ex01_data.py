"""Checks of exercise 1, preparing the data: split_labels, normalize, one_hot, where a pixel
lands when an image is flattened (derived), and two predictions (the accuracy on test images
left unnormalised, and after the pixels of every image are put in one other order)."""

from __future__ import annotations

import numpy as np

from ..data import NUM_CLASSES, NUM_PIXELS
from ._inputs import mnist_images, mnist_labels, mnist_rows  # noqa: F401 (hidden tests use them)
from ._messages import as_array, check_recorded, describe, fail, quiet

USES_KERAS = False
"""These checks need no Keras (grading does not import it ahead for them)."""

GRADING_SECONDS = 1  # alone, as graded: see mnist_course.checks.grading_seconds

NORMALISED_ACCURACY = (0.8588, 0.8945)
"""The test accuracy of the course's network trained as exercise 1's Part E trains it
(``mnist_course.build_mlp(seed=seed)``, ``compile_model``, ``train`` on the first 10,000
training images for one epoch, seed ``seed``), lowest and highest over seeds 0 to 9. Measured
with the three runs below, one process, each seed::

    seed          0      1      2      3      4      5      6      7      8      9
    normalised    0.8700 0.8845 0.8882 0.8806 0.8717 0.8724 0.8902 0.8945 0.8676 0.8588
    unnormalised  0.6406 0.7576 0.6762 0.7462 0.7509 0.7344 0.7543 0.7982 0.6861 0.6555
    permuted      0.8677 0.8783 0.8847 0.8871 0.8697 0.8784 0.8924 0.8882 0.8663 0.8570

``unnormalised``: the same trained network tested on the grey levels 0..255 as float32
(flattened, not normalised): mean 0.7200, standard deviation 0.0517. ``permuted``: a network
trained and tested with the 784 pixels of every image in one other order
(``numpy.random.default_rng(seed + 100).permutation(784)``): mean 0.8770; its difference from
``normalised`` lies between -0.0063 and +0.0065 (standard deviation 0.0045).
"""

UNNORMALISED_ACCURACY = (0.3, 0.85)
"""The predictions of the accuracy on unnormalised test images that pass: far above chance
(0.1) and clearly below the normalised accuracy. The runs (table above) give 0.64 to 0.80,
a spread too wide for a tighter band: the question is what kind of harm the mistake does."""

PERMUTED_ACCURACY = (0.84, 0.91)
"""The predictions of the permuted network's accuracy that pass: the normalised network's
accuracy, which the notebook prints before the question (0.8588 to 0.8945 over the seeds
above), with a margin of about 0.015 either side."""


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
        if original.size and original.max() == 255:  # and faint ink, darkest grey level 200
            check_normalize(normalize, x=(original.astype(np.uint16) * 200 // 255).astype(np.uint8))
        return
    hint = "the course normalises to [-0.5, 0.5]: x / 255 - 0.5"
    values = result.astype(np.float64)
    largest = float(x.max()) if x.size and x.max() > 0 else 255.0
    for close_to, why in (
        (
            x / largest - 0.5 if largest != 255 else np.full(x.shape, np.nan),
            f"divided by the largest grey level of this x ({largest:g}), not by 255: images "
            "with fainter ink would each be scaled their own way, and the test images "
            "differently from the training images; divide by 255, the largest grey level "
            "there can be",
        ),
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
            x / 256 - 0.5,
            "divided by 256, the number of grey levels: the darkest ink, 255, lands at "
            "0.496, not 0.5; divide by the largest grey level, 255",
        ),
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
    shown = f"y = [{', '.join(map(str, y[:4].tolist()))}, ...]" if n > 4 else f"y = {y.tolist()}"
    if result.shape != (n, num_classes):
        hint = f"make one row per label and one column per class: shape (N, {num_classes})"
        if result.shape == (num_classes, n):
            hint = "the array is transposed: one row per label, one column per class"
        elif result.shape == (n,):
            hint = "that is one number per label; one-hot makes a row of 0s with a 1 in column y"
        elif result.ndim == 2 and result.shape[0] == n and result.shape[1] == y.max() + 1:
            hint = (
                f"{result.shape[1]} columns is the largest label + 1, but the labels given "
                "need not include every class: use num_classes "
                f"({num_classes}) columns, np.eye(num_classes)[y]"
            )
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
        hint = "each row is all 0 except a 1 in the column of its label: np.eye(num_classes)[y]"
        if np.array_equal(result, np.tile(expected.max(axis=0), (len(expected), 1))):
            hint = (
                "every row has a 1 in the column of every label: out[:, y] = 1 fills whole "
                "columns; row i needs a 1 in column y[i] only (pair each row with its own "
                "label: out[np.arange(len(y)), y])"
            )
        fail(
            f"{call} returned a wrong row for label {y[row]} (row {row}).",
            expected=f"{expected[row].astype(int).tolist()}",
            returned=f"{np.asarray(result[row]).tolist()}",
            hint=hint,
        )
    if n and y.max() == num_classes - 1 and (y < num_classes - 1).any():
        # and labels without the last class: there are still num_classes columns
        check_one_hot(one_hot, y=y[y < num_classes - 1], num_classes=num_classes)


@quiet
def check_pixel_position(pixel_position, *, width=28, pixels=None):
    """Check ``pixel_position(row, column, width=...)``: where the pixel at ``(row, column)``
    of an image ``width`` pixels wide lands in the image flattened row by row.

    ``pixels`` are the ``(row, column)`` pairs tried (by default corners, edges and a middle
    pixel of a 28-pixel-wide image). Any whole number passes (int, numpy integer, whole float).

    Examples
    --------
    >>> check_pixel_position(lambda row, column, width=28: row * width + column)
    >>> check_pixel_position(lambda row, column, width=28: row * width + column, width=20,
    ...     pixels=[(0, 19), (3, 7), (11, 0)])
    """
    if pixels is None:
        pixels = [(0, 0), (0, 1), (1, 0), (0, width - 1), (1, 1), (13, 14), (width - 1, 5)]
    results = []
    for row, column in pixels:
        call = f"pixel_position({row}, {column}, width={width})"
        result = pixel_position(row, column, width=width)
        if isinstance(result, bool) or not isinstance(
            result, int | float | np.integer | np.floating
        ):
            fail(
                f"{call} did not return a number.",
                expected=f"an int: the position of the pixel at row {row}, column {column}",
                returned=describe(result),
                hint="return the position as one whole number",
            )
        results.append(result)
    wrong = [
        (row, column, result)
        for (row, column), result in zip(pixels, results, strict=True)
        if result != row * width + column
    ]
    if not wrong:
        return
    hint = (
        "flattening puts the image's rows one after another: every row before this one "
        "comes first, then the pixels before this one in its row"
    )
    mistakes = [
        (
            lambda row, column: column * width + row,
            "row and column are swapped: a whole row of width pixels comes before the next",
        ),
        (
            lambda row, column: row * 28 + column,
            f"the image is width = {width} pixels wide here: use the argument, not 28",
        ),
        (
            lambda row, column: row * width + column + 1,
            "positions count from 0, as numpy does: pixel (0, 0) is at position 0",
        ),
        (
            lambda row, column: row * (width - 1) + column,
            "count the rows before this one: there are `row` of them, width pixels each",
        ),
        (
            lambda row, column: (row - 1) * width + column,
            "count the rows before this one: there are `row` of them, width pixels each",
        ),
    ]
    for position, why in mistakes:
        if all(
            result == position(row, column)
            for (row, column), result in zip(pixels, results, strict=True)
        ):
            hint = why
            break
    row, column, result = wrong[0]
    fail(
        f"pixel_position({row}, {column}, width={width}) returned {result}.",
        expected=f"{row * width + column}: the position in the flat vector of the pixel at row "
        f"{row}, column {column}",
        returned=f"{result}",
        hint=hint,
    )


@quiet
def check_unnormalised_accuracy(value):
    """Check the prediction ``PREDICTED_UNNORMALISED_ACCURACY`` against
    :data:`UNNORMALISED_ACCURACY`.

    Examples
    --------
    >>> check_unnormalised_accuracy(0.6)
    """
    check_recorded(
        value,
        name="PREDICTED_UNNORMALISED_ACCURACY",
        question="the test accuracy of the trained network on test images left as grey "
        "levels 0..255, a fraction between 0 and 1",
        accepted=UNNORMALISED_ACCURACY,
        mistakes=[
            (1.5, 100, "write the accuracy as a fraction between 0 and 1, not a percentage"),
            (
                0,
                UNNORMALISED_ACCURACY[0],
                "about as good as guessing? The images are the same, only scaled and shifted: "
                "255 * (x + 0.5). Scaling every input of a relu network with small biases "
                "scales its scores before the softmax and leaves their order, the answer, "
                "nearly as it was; "
                "what does the shift do?",
            ),
            (
                UNNORMALISED_ACCURACY[1],
                1,
                "as good as on normalised images? Every input is also shifted by 0.5 before the "
                "scaling: that moves each first-layer unit's sum by 0.5 times the sum of its "
                "weights, an offset the network never saw in training",
            ),
        ],
        hint="write a fraction between 0 and 1",
    )


@quiet
def check_permuted_accuracy(value):
    """Check the prediction ``PREDICTED_PERMUTED_ACCURACY`` against :data:`PERMUTED_ACCURACY`.

    Examples
    --------
    >>> check_permuted_accuracy(0.87)
    """
    check_recorded(
        value,
        name="PREDICTED_PERMUTED_ACCURACY",
        question="the test accuracy of the network trained and tested with every image's "
        "pixels in one other order, a fraction between 0 and 1",
        accepted=PERMUTED_ACCURACY,
        mistakes=[
            (1.5, 100, "write the accuracy as a fraction between 0 and 1, not a percentage"),
            (
                0,
                PERMUTED_ACCURACY[0],
                "lower than with the pixels in order? A Dense layer takes all 784 inputs at "
                "once and is never told which pixels are neighbours: one order for every image "
                "only renames its inputs",
            ),
            (
                PERMUTED_ACCURACY[1],
                1,
                "higher than with the pixels in order? The images hold the same information "
                "in another order, nothing more",
            ),
        ],
        hint="write a fraction between 0 and 1",
    )
