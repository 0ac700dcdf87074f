"""Checks of exercise 3, gradient descent by hand: softmax, cross_entropy, gradients and a
training loop of mini-batch gradient descent for softmax regression, in numpy.

The checks compute what they expect in float64 with their own few lines, never with the
student's functions, and compare the gradient with a finite-difference estimate of the loss's
slope. Inputs are small random arrays of other shapes than MNIST's, so a function that only
works for 784 pixels and 10 classes is caught; the accuracy check trains on the full MNIST.
"""

from __future__ import annotations

import re

import numpy as np

from ._inputs import prepared, toy_task
from ._messages import (
    STUDENT_FUNCTION,
    as_array,
    blame,
    blaming_helpers,
    describe,
    fail,
    quiet,
    raised_in,
)
from ._reference import TEST_SIZE, TRAIN_SIZE, softmax_regression_loss
from ._reference import softmax as _softmax
from ._state import CheckFailed

USES_KERAS = False
"""These checks need no Keras (grading does not import it ahead for them)."""

GRADING_SECONDS = 3  # alone, as graded: see mnist_course.checks.grading_seconds

MIN_TEST_ACCURACY = 0.90
"""Test accuracy that :func:`check_test_accuracy` asks for: the reference's worst of 10 seeds
minus a margin of about 0.01 (8 standard deviations of the seed-to-seed spread: the loop is
deterministic given the seed, the margin is for other correct ways of writing it).

Measured with exercise 3's solution (zero initial weights, a new permutation of the training
set each epoch, learning rate 0.1, batches of 100, 3 epochs over the 60,000 prepared training
images), tested on the 10,000 test images::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.9130 0.9103 0.9126 0.9135 0.9148 0.9125 0.9122 0.9110 0.9114 0.9121

    mean 0.9123, standard deviation 0.0013, worst 0.9103 (seed 1) -> 0.90

For comparison: learning rate 0.5 gave 0.74 to 0.91 (too large: the loss jumps about), and
one epoch at 0.1 gave 0.895 to 0.902.
"""

TRAINING = {"epochs": 3, "batch_size": 100, "learning_rate": 0.1}
"""How the accuracy check trains: the exercise's defaults."""


def finite_difference(W, b, x, y, *, eps=1e-6):
    """Estimate the loss's slope along every weight and bias by central differences.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression_gradients
    >>> W, b, x, y = small_problem(0)
    >>> dW, db = finite_difference(W, b, x, y)
    >>> bool(np.allclose(dW, softmax_regression_gradients(W, b, x, y)[0], atol=1e-8))
    True
    """
    dW, db = np.zeros_like(W), np.zeros_like(b)
    for array, slope in ((W, dW), (b, db)):
        for index in np.ndindex(array.shape):
            keep = array[index]
            array[index] = keep + eps
            up = softmax_regression_loss(W, b, x, y)
            array[index] = keep - eps
            down = softmax_regression_loss(W, b, x, y)
            array[index] = keep
            slope[index] = (up - down) / (2 * eps)
    return dW, db


def small_problem(seed, *, n=8, features=5, classes=3):
    """Random weights, bias, inputs and one-hot labels of a small softmax regression.

    Examples
    --------
    >>> W, b, x, y = small_problem(0)
    >>> W.shape, b.shape, x.shape, y.shape
    ((5, 3), (3,), (8, 5), (8, 3))
    """
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.5, size=(features, classes))
    b = rng.normal(0, 0.5, size=classes)
    x = rng.uniform(-0.5, 0.5, size=(n, features))
    y = np.eye(classes)[rng.integers(0, classes, size=n)]
    return W, b, x, y


EARLIER = {
    "softmax": "test_softmax",
    "cross_entropy": "test_cross_entropy",
    "gradients": "test_gradients",
}
"""The exercise's functions that later ones call, and the grade id of each one's own check."""


def _helpers():
    """The functions of :data:`EARLIER`: their own checks and the course's own version."""
    own = {
        "softmax": check_softmax,
        "cross_entropy": check_cross_entropy,
        "gradients": check_gradients,
    }
    course = {
        "softmax": "softmax",
        "cross_entropy": "cross_entropy",
        "gradients": "softmax_regression_gradients",
    }
    return {
        name: (EARLIER[name], own[name], f"mnist_course.checks._reference:{course[name]}")
        for name in EARLIER
    }


def _call(function, call, *args, **kwargs):
    """Call a student's function. An error raised in another of the student's functions that
    it calls is blamed on that one; a numpy shape error in the function itself becomes a
    message about the shapes, with a hint only where the line's code fits it."""
    name = getattr(function, "__name__", "")
    try:
        return function(*args, **kwargs)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as error:
        where, code = raised_in(error)
        if where in EARLIER and where != name:
            blame(where, EARLIER[where], f"raised {type(error).__name__} when {name}() called it")
        text = str(getattr(error, "message", error))
        if isinstance(error, IndexError) and "must be of integer" in text:
            fail(
                f"{call} raised IndexError: {raised_in_removed(text).strip()}"
                + (f" at `{code.strip()}`" if code else ""),
                expected="the rows of a batch picked by their positions, integers 0..N-1",
                returned="an index array of floats",
                hint="rng.permutation(len(x)) shuffles the positions 0..N-1; "
                "rng.permutation(x) shuffles the rows of x themselves (floats), which cannot "
                "index x",
            )
        if not isinstance(error, ValueError) or (
            "matmul" not in text and "broadcast" not in text and "aligned" not in text
        ):
            raise
        text = raised_in_removed(text)
        code = code or ""
        expected = "shapes that fit: x (N, features) @ W (features, classes) + b (classes,)"
        # a row's sum or max that lost its axis (softmax's own name also ends in "max(")
        reduced = re.search(r"(?<![\w])(np\.)?(sum|max)\(|\.(sum|max)\(", code)
        if "broadcast" in text and reduced and "keepdims" not in code:
            expected = "each row's sum or max as a column of shape (N, 1), which divides its row"
            hint = (
                "a row's sum or max has shape (N,), which does not line up with an "
                "(N, classes) array: keep the axis, sum(axis=1, keepdims=True), giving (N, 1)"
            )
        elif "matmul" in text or "aligned" in text:
            hint = (
                "multiply x @ W (not W @ x, not x @ W.T): x is (N, features) and W "
                "(features, classes), one row per feature and one column per class"
            )
        else:
            hint = "print the shapes of the arrays on that line (x.shape) and make them fit"
        fail(
            f"{call} raised ValueError: {text}" + (f" at `{code.strip()}`" if code else ""),
            expected=expected,
            returned="arrays whose shapes do not fit together",
            hint=hint,
        )


def raised_in_removed(text):
    """A message from the student's process without its `` (in f(), cell ...)`` part."""
    found = STUDENT_FUNCTION.search(text)
    return text[: found.start()] if found else text


# ---------------------------------------------------------------------------------------------
# Part A: softmax


@quiet
def check_softmax(softmax, *, seed=0, shape=(4, 3)):
    """Check that ``softmax(logits)`` turns each row into probabilities, also for large logits.

    Examples
    --------
    >>> check_softmax(_softmax)
    >>> check_softmax(_softmax, seed=1, shape=(6, 10))
    """
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, size=shape)
    call = f"softmax(logits) for logits of shape {shape}"
    original = logits.copy()
    result = as_array(_call(softmax, call, logits), call, "the probabilities")
    expected = _softmax(logits)
    if not np.array_equal(logits, original):
        fail(
            f"{call} changed its input.",
            expected="logits left as they were, a new array returned",
            returned="logits changed in place",
            hint="compute new arrays (z = logits - ...) instead of subtracting in place",
        )
    if result.shape != expected.shape:
        fail(
            f"{call} returned the wrong shape.",
            expected=f"an array of shape {shape}: one row of probabilities per example",
            returned=describe(result),
            hint="keep the shape: exponentiate, then divide each row by its own sum "
            "(sum(axis=1, keepdims=True))",
        )
    if not np.allclose(result, expected, rtol=1e-6, atol=1e-9):
        hint = "exp(logits) divided by the sum of exp over each row"
        if np.allclose(result.sum(axis=0), 1):
            hint = "each column sums to 1, not each row: sum over axis=1, with keepdims=True"
        elif np.allclose(result, np.exp(logits)):
            hint = "divide by the sum of each row so that the probabilities add up to 1"
        elif np.allclose(
            result,
            np.exp(logits - logits.max(axis=1, keepdims=True))
            / np.exp(logits).sum(axis=1, keepdims=True),
        ):
            hint = (
                "the max is subtracted in the numerator only, so the rows do not sum to 1: "
                "subtract it from the logits once, and take both the exponentials and their "
                "sum from the shifted logits"
            )
        fail(
            f"{call} returned other probabilities.",
            expected=f"rows that sum to 1, the first {np.round(expected[0], 4).tolist()}",
            returned=f"{describe(result)}, the first row {np.round(result[0], 4).tolist()}",
            hint=hint,
        )
    large = logits * 0 + np.array([1000.0, 990.0, 0.0] + [0.0] * (shape[1] - 3))
    _check_large_logits(softmax, large, "softmax(logits) for logits like [1000, 990, 0]")
    # The notebook's own demonstration: rows far apart, so one max for the whole array
    # leaves the small row at exp(-999) = 0 and 0 / 0
    _check_large_logits(softmax, DEMONSTRATION_LOGITS, "softmax([[1, 2, 3], [1000, 1000, 0]])")


DEMONSTRATION_LOGITS = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0]])
"""The logits that the notebook shows softmax on: softmax's check includes them."""


def _check_large_logits(softmax, logits, call):
    with np.errstate(all="ignore"):
        result = as_array(_call(softmax, call, logits.copy()), call, "the probabilities")
    expected = _softmax(logits)
    if result.shape == expected.shape and np.allclose(result, expected, atol=1e-9):
        return
    if result.shape != expected.shape:
        fail(
            f"{call} returned the wrong shape.",
            expected=f"an array of shape {expected.shape}",
            returned=describe(result),
            hint="keep the shape: one row of probabilities per row of logits",
        )
    bad = [i for i in range(len(result)) if not np.allclose(result[i], expected[i], atol=1e-9)]
    row = bad[0]
    hint = (
        "np.exp(1000) is inf: subtract each row's max first "
        "(logits - logits.max(axis=1, keepdims=True)); softmax does not change"
    )
    with np.errstate(all="ignore"):
        global_max = np.exp(logits - logits.max())
        global_max = global_max / global_max.sum(axis=1, keepdims=True)
    if np.allclose(result, global_max, atol=1e-9, equal_nan=True):
        hint = (
            "one max for the whole array (logits.max()) leaves a row far below it at "
            "exp(-999) = 0, and 0 / 0 is nan: subtract each row's own max, "
            "logits.max(axis=1, keepdims=True)"
        )
    fail(
        f"{call} returned other probabilities in row {row}"
        + (" (it overflowed)." if not np.all(np.isfinite(result[row])) else "."),
        expected=f"row {row} {expected[row].tolist()}",
        returned=f"row {row} {result[row].tolist()}",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Part B: cross-entropy


@quiet
def check_cross_entropy(cross_entropy, *, seed=0, shape=(6, 4)):
    """Check that ``cross_entropy(probabilities, y)`` is the mean of -log p(true class).

    Examples
    --------
    >>> check_cross_entropy(lambda p, y: -np.mean(np.log(np.sum(p * y, axis=1))))
    """
    rng = np.random.default_rng(seed)
    p = _softmax(rng.normal(0, 2, size=shape))
    y = np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    call = f"cross_entropy(probabilities, y) for {shape[0]} examples"
    result = _call(cross_entropy, call, p.copy(), y.copy())
    try:
        value = float(np.asarray(result))
    except (TypeError, ValueError):
        fail(
            f"{call} did not return one number.",
            expected="a float: the mean loss over the examples",
            returned=describe(result),
            hint="average over the examples: np.mean(...) (a sum over the classes first)",
        )
    true_p = np.sum(p * y, axis=1)
    expected = float(-np.mean(np.log(true_p)))
    if np.isclose(value, expected, rtol=1e-6):
        return
    hint = "take -log of the probability of each example's true class, then the mean"
    if np.isclose(value, -expected, rtol=1e-6):
        hint = "the loss is -log p: a probability's log is negative, so put a minus in front"
    elif np.isclose(value, expected * shape[0], rtol=1e-6):
        hint = "that is the sum over the examples; the course's loss is the mean"
    elif np.isclose(value, float(-np.mean(y * np.log(p))), rtol=1e-6):
        hint = "sum y * log(p) over the classes (axis=1) before the mean over the examples"
    elif np.isclose(value, float(-np.mean(np.log(p.max(axis=1)))), rtol=1e-6):
        hint = (
            "that is -log of each example's highest probability, the class the model "
            "prefers; the loss takes the probability of the true class, where y is 1"
        )
    fail(
        f"{call} returned {value:.6g}.",
        expected=f"{expected:.6g}, the mean of -log p(true class)",
        returned=f"{value:.6g}",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Part C: the gradient


@blaming_helpers(_helpers)
@quiet
def check_gradients(gradients, *, seed=0, n=8, features=5, classes=3):
    """Check ``gradients(W, b, x, y)`` against a finite-difference estimate of the loss's slope.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression_gradients
    >>> check_gradients(softmax_regression_gradients)
    >>> check_gradients(softmax_regression_gradients, seed=3, n=20, features=7, classes=4)
    """
    W, b, x, y = small_problem(seed, n=n, features=features, classes=classes)
    call = f"gradients(W, b, x, y) for W {W.shape}, b {b.shape}, x {x.shape}"
    inputs = [array.copy() for array in (W, b, x, y)]
    result = _call(gradients, call, *inputs)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(
            f"{call} should return two arrays, dW and db.",
            expected=f"a tuple (dW, db): dW of shape {W.shape}, db of shape {b.shape}",
            returned=describe(result),
            hint="end with `return dW, db`",
        )
    if result[1] is None:
        fail(
            f"{call} returned no gradient for the bias.",
            expected=f"db of shape {b.shape}",
            returned="None",
            hint="the bias gets a gradient too: the sum over the batch of (p - y) / N",
        )
    dW = as_array(result[0], call, "dW")
    db = as_array(result[1], call, "db")
    fd_W, fd_b = finite_difference(W, b, x, y)
    if db.shape == b.shape and not np.allclose(db, fd_b, rtol=1e-4, atol=1e-7):
        # p - y sums to 0 over the classes of each example when p's rows sum to 1, whatever
        # the scale or sign of the gradient: db that does not sum to 0 was made from
        # probabilities that are not probabilities
        total = float(np.sum(db))
        if abs(total) > 1e-6 * max(1.0, float(np.abs(db).sum())):
            fail(
                f"{call} returned db whose entries sum to {total:.6g}, not 0: the "
                "probabilities it used do not sum to 1 for each example.",
                expected=f"db close to {np.round(fd_b, 5).tolist()}, summing to 0 (p - y "
                "sums to 0 over the classes when each row of p sums to 1)",
                returned=f"db = {np.round(db, 5).tolist()}",
                hint="gradients() takes p from softmax(x @ W + b): if it calls your softmax() "
                "and test_softmax fails, fix softmax first; else check how p is computed",
            )
    if dW.shape != W.shape:
        hint = f"dW has the shape of W, {W.shape}: x.T @ (p - y) / N"
        if dW.shape == W.T.shape:
            hint = f"dW is transposed: it must have W's shape {W.shape}, so x.T @ (p - y)"
        fail(
            f"{call} returned dW of the wrong shape.",
            expected=f"dW of shape {W.shape}, like W",
            returned=f"dW: {describe(dW)}",
            hint=hint,
        )
    _compare_slope("dW", dW, fd_W, call, n)
    if db.shape != b.shape:
        fail(
            f"{call} returned db of the wrong shape.",
            expected=f"db of shape {b.shape}, like b",
            returned=f"db: {describe(db)}",
            hint="sum (p - y) / N over the examples (axis=0) for the bias",
        )
    if np.allclose(db, 0) and not np.allclose(fd_b, 0):
        fail(
            f"{call} returned a zero gradient for the bias.",
            expected=f"db close to {np.round(fd_b, 5).tolist()} (finite differences)",
            returned=f"db = {np.round(db, 5).tolist()}",
            hint="the bias moves the logits too: db = (p - y).sum(axis=0) / N",
        )
    _compare_slope("db", db, fd_b, call, n)
    for name, before, after in zip("Wbxy", (W, b, x, y), inputs, strict=True):
        if not np.array_equal(before, after):
            fail(
                f"{call} changed its input {name}.",
                expected="the inputs left as they were",
                returned=f"{name} changed in place",
                hint="compute the gradient; the training loop, not gradients(), updates W and b",
            )


def _compare_slope(name, result, estimate, call, n):
    if np.allclose(result, estimate, rtol=1e-4, atol=1e-7):
        return
    scale = float(np.sum(result * estimate) / np.sum(estimate * estimate))
    hint = "p - y, then x.T @ that for dW and its sum over the examples for db, both / N"
    if np.isclose(scale, n, rtol=1e-3):
        hint = f"{n} times too large: the loss is the mean over the batch, so divide by N ({n})"
    elif np.isclose(scale, 1 / n, rtol=1e-3):
        hint = f"{n} times too small: divide by N once, not twice"
    elif np.isclose(scale, -1, rtol=1e-3):
        hint = "the sign is flipped: the gradient of the loss is p - y, not y - p"
    fail(
        f"{call} returned {name} that disagrees with the finite-difference estimate.",
        expected=f"{name} close to {np.round(estimate.ravel()[:4], 5).tolist()}... "
        "(the change of the loss when each weight moves by a tiny step)",
        returned=f"{name} = {np.round(result.ravel()[:4], 5).tolist()}...",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Part D: the training loop


def _name(train):
    """The name of the student's loop as the notebook spells it, for the messages."""
    name = getattr(train, "__name__", "")
    return name if name.isidentifier() else "train_softmax_regression"


def _run(train, call, x, y, **options):
    result = _call(train, call, x.copy(), y.copy(), **options)
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(
            f"{call} should return W, b and the losses.",
            expected="a tuple (W, b, losses)",
            returned=describe(result),
            hint="end with `return W, b, losses`",
        )
    W = as_array(result[0], call, "W")
    b = as_array(result[1], call, "b")
    losses = _losses(result[2], call, options.get("batch_size"))
    return W, b, losses


def _losses(losses, call, batch_size):
    """The losses as one float each, or fail saying what a loss was instead."""
    items = list(losses) if isinstance(losses, list | tuple) else None
    if items:
        sizes = [np.size(item) for item in items]
        if max(sizes) > 1:
            first = next(item for item in items if np.size(item) > 1)
            hint = "record one number per mini-batch: the mean loss over its examples"
            if batch_size is not None and np.size(first) == min(batch_size, max(sizes)):
                hint = (
                    f"each loss holds one value per example of its batch ({np.size(first)}): "
                    "a mini-batch's loss is their mean, one float. If your cross_entropy "
                    "returns one value per example, its own check, test_cross_entropy, says "
                    "so: fix it first"
                )
            fail(
                f"{call} returned losses that are not one number each.",
                expected="losses: a list of floats, one per mini-batch",
                returned=f"a {type(losses).__name__} of {len(items)} items, the first "
                f"{describe(np.asarray(first))}",
                hint=hint,
            )
    return as_array(losses, call, "the losses").astype(np.float64).ravel()


@blaming_helpers(_helpers)
@quiet
def check_training_loop(train, *, seed=0):
    """Check ``train(x, y, epochs=..., batch_size=..., learning_rate=..., seed=...)``.

    It must return ``(W, b, losses)`` with one loss per mini-batch, lower the loss, use each
    argument, repeat its numbers for the same seed, and record the losses of the course's
    loop (Part D) at the same seed, loss by loss.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression
    >>> check_training_loop(softmax_regression)
    """
    x, y = toy_task(seed)
    options = {"epochs": 4, "batch_size": 32, "learning_rate": 0.5, "seed": seed}
    shown = ", ".join(f"{key}={value}" for key, value in options.items())
    call = f"{_name(train)}(x, y, {shown}) for x of shape {x.shape}"
    W, b, losses = _run(train, call, x, y, **options)
    steps = options["epochs"] * -(-len(x) // options["batch_size"])
    if W.shape != (x.shape[1], y.shape[1]) or b.shape != (y.shape[1],):
        fail(
            f"{call} returned W and b of the wrong shapes.",
            expected=f"W of shape {(x.shape[1], y.shape[1])}, b of shape {(y.shape[1],)}",
            returned=f"W: {describe(W)}; b: {describe(b)}",
            hint="W has one row per feature (x.shape[1]) and one column per class (y.shape[1])",
        )
    if len(losses) != steps:
        hint = "record the loss of each mini-batch: losses.append(...) inside the batch loop"
        if len(losses) == options["epochs"]:
            hint = "that is one loss per epoch; record one per mini-batch"
        elif len(losses) == len(x) // options["batch_size"] * options["epochs"]:
            hint = "the last, smaller batch of each epoch is missing: range(0, N, batch_size)"
        fail(
            f"{call} returned {len(losses)} losses.",
            expected=f"{steps} losses: {options['epochs']} epochs of "
            f"{-(-len(x) // options['batch_size'])} batches of at most {options['batch_size']}",
            returned=f"{len(losses)} losses",
            hint=hint,
        )
    first, last = losses[: steps // 4].mean(), losses[-(steps // 4) :].mean()
    if not np.all(np.isfinite(losses)) or not last < 0.5 * first:
        hint = (
            "step against the gradient: W -= learning_rate * dW, and the same for b; if "
            "gradients() fails its own check, test_gradients, fix it first"
        )
        uphill = course_losses(x, y, **{**options, "learning_rate": -options["learning_rate"]})
        if np.allclose(losses, uphill, rtol=1e-5, atol=1e-8):
            hint = (
                "your losses are those of steps up the gradient: either the loop adds it "
                "(W += ... where W -= learning_rate * dW belongs) or your gradients() has its "
                "sign flipped (its own check, test_gradients, then says so: fix it first)"
            )
        fail(
            f"{call} did not lower the loss.",
            expected="the loss of the last batches well below that of the first ones",
            returned=f"mean loss {first:.3f} over the first quarter of the steps, "
            f"{last:.3f} over the last",
            hint=hint,
        )
    still, _, _ = _run(train, call, x, y, **{**options, "learning_rate": 0.0})
    if not np.allclose(still, 0):
        fail(
            f"{call.replace('learning_rate=0.5', 'learning_rate=0.0')} changed W.",
            expected="W still all zeros: with learning_rate=0 a step changes nothing",
            returned=f"W: {describe(still)}",
            hint="start from zeros and scale each step by learning_rate",
        )
    again, _, _ = _run(train, call, x, y, **options)
    if not np.allclose(again, W, rtol=0, atol=1e-12):
        fail(
            f"{call} gave other weights when run again.",
            expected="the same W for the same seed",
            returned="another W",
            hint="draw the order of the examples with rng = np.random.default_rng(seed)",
        )
    other, _, _ = _run(train, call, x, y, **{**options, "seed": seed + 1})
    if np.allclose(other, W, rtol=0, atol=1e-12):
        fail(
            f"{call} gave the same weights for seed={seed + 1}.",
            expected="other weights for another seed (the batches come in another order)",
            returned="the same W",
            hint="shuffle the examples each epoch: rng.permutation(len(x))",
        )
    _compare_losses(losses, x, y, call, **options)


LOOP_MISTAKES = {
    "after": (
        "each loss recorded after its step",
        "record each batch's loss before its step (Part D, step 3): losses.append(...) "
        "first, then the gradient and the update",
    ),
    "same order": (
        "the same order of the examples in every epoch",
        "make rng = np.random.default_rng(seed) once, before the epochs, and draw a new "
        "order in each epoch with rng.permutation(len(x)): a generator made again each "
        "epoch, or one order drawn before the epochs, repeats the first epoch's order",
    ),
}
"""The usual ways a loop's losses differ from the course's loop at the same seed: (what the
losses fit, the fix)."""


def course_losses(x, y, *, epochs, batch_size, learning_rate, seed, mistake=None):
    """The losses of the course's loop (Part D), or of the loop with one of ``LOOP_MISTAKES``.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression
    >>> x, y = toy_task(0)
    >>> options = {"epochs": 2, "batch_size": 32, "learning_rate": 0.5, "seed": 0}
    >>> bool(np.allclose(course_losses(x, y, **options), softmax_regression(x, y, **options)[2]))
    True
    >>> late = course_losses(x, y, **options, mistake="after")
    >>> bool(late[0] < course_losses(x, y, **options)[0])
    True
    """
    from ._reference import softmax_regression_gradients

    rng = np.random.default_rng(seed)
    W, b = np.zeros((x.shape[1], y.shape[1])), np.zeros(y.shape[1])
    losses = []
    for _ in range(epochs):
        if mistake == "same order":
            rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            if mistake != "after":
                losses.append(softmax_regression_loss(W, b, x[batch], y[batch]))
            dW, db = softmax_regression_gradients(W, b, x[batch], y[batch])
            W -= learning_rate * dW
            b -= learning_rate * db
            if mistake == "after":
                losses.append(softmax_regression_loss(W, b, x[batch], y[batch]))
    return np.array(losses)


def _compare_losses(losses, x, y, call, **options):
    """Fail unless the losses are the course's loop's at the same seed, loss by loss, saying
    which loss first differs and which usual mistake the losses fit."""
    expected = course_losses(x, y, **options)
    close = np.isclose(losses, expected, rtol=1e-5, atol=1e-8)
    if close.all():
        return
    first = int(np.argmin(close))
    batches = -(-len(x) // options["batch_size"])
    where = f"loss {first + 1} (epoch {first // batches + 1}, batch {first % batches + 1})"
    hint = (
        "follow Part D step by step: one rng = np.random.default_rng(seed) before the epochs, "
        "a new rng.permutation(len(x)) each epoch, batches taken from it in order, each "
        "batch's loss recorded before its step, W and b starting at zeros"
    )
    found = ""
    for name, (what, fix) in LOOP_MISTAKES.items():
        if np.allclose(losses, course_losses(x, y, **options, mistake=name), rtol=1e-5, atol=1e-8):
            found, hint = f": your losses are those of {what}", fix
            break
    fail(
        f"{call} recorded other losses than the course's loop with the same seed, first "
        f"at {where}{found}.",
        expected=f"{where} = {expected[first]:.6g}, as the loop of Part D gives",
        returned=f"{where} = {losses[first]:.6g}",
        hint=hint,
    )


@quiet
def check_test_accuracy(train, *, seed=0):
    """Check that ``train`` with the exercise's defaults reaches ``MIN_TEST_ACCURACY`` on MNIST.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression
    >>> check_test_accuracy(softmax_regression)  # doctest: +SKIP
    """
    x_train, y_train = prepared(TRAIN_SIZE, split="train")
    x_test, y_test = prepared(TEST_SIZE, split="test")
    shown = ", ".join(f"{key}={value}" for key, value in TRAINING.items())
    call = f"{_name(train)}(x_train, y_train, {shown}, seed={seed})"
    W, b, _ = _run(train, call, x_train, y_train, **TRAINING, seed=seed)
    with np.errstate(all="ignore"):
        predicted = np.argmax(x_test @ W + b, axis=1)
    accuracy = float(np.mean(predicted == np.argmax(y_test, axis=1)))
    if accuracy < MIN_TEST_ACCURACY:
        fail(
            f"softmax regression trained by {call} reached test accuracy {accuracy:.4f}.",
            expected=f"at least {MIN_TEST_ACCURACY} (the course's own loop reaches 0.910 to 0.915)",
            returned=f"{accuracy:.4f}",
            hint="first fix what the checks of your softmax(), cross_entropy(), gradients() "
            "and loop (Parts A to D) find; then check that each step uses the mean gradient "
            "of its mini-batch and W -= learning_rate * dW",
        )
