"""Checks of the backpropagation exercise: a 784-H-10 ReLU network in numpy, its forward pass,
its loss, its backward pass through the hidden layer, a finite-difference estimate of its
gradient, predictions about zero and symmetric starts, and a training loop.

The checks compute what they expect in float64 with their own few lines (this module's
``course_*`` functions), never with the student's functions. The backward pass is given the
forward pass's results (``x, y, h, p, W2``), so a mistake there is judged on its own; a
wrong gradient is compared with the gradients that the usual mistakes give (:data:`MISTAKES`),
and the message names the one it matches. Inputs are small random arrays whose sizes all
differ (features, hidden units, classes, examples), so a transposed matrix cannot fit by
chance; the accuracy check trains on the full MNIST.
"""

from __future__ import annotations

import numpy as np

from ._inputs import prepared, toy_task
from ._messages import as_array, blaming_helpers, describe, fail, quiet
from ._reference import TEST_SIZE, TRAIN_SIZE
from ._reference import softmax as _softmax

USES_KERAS = False
"""These checks need no Keras (grading does not import it ahead for them)."""

GRADING_SECONDS = 3  # alone, as graded: see mnist_course.checks.grading_seconds

TRAINING = {"hidden_units": 64, "epochs": 2, "batch_size": 100, "learning_rate": 0.1}
"""How the accuracy check trains: the exercise's defaults."""

MIN_TEST_ACCURACY = 0.92
"""Test accuracy that :func:`check_test_accuracy` asks for: the reference's worst of 10 seeds
minus about 0.01 (4 standard deviations of the seed-to-seed spread; the margin is for other
correct ways of writing the loop, float32 arithmetic say).

Measured with the exercise's solution (He-normal initial weights drawn with
``np.random.default_rng(seed)``, zero biases, a new permutation of the training set each
epoch, 64 hidden units, learning rate 0.1, batches of 100, 2 epochs over the 60,000 prepared
training images, about 1.3 CPU seconds), tested on the 10,000 test images::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.9312 0.9370 0.9333 0.9339 0.9316 0.9335 0.9296 0.9345 0.9367 0.9312

    mean 0.9333, standard deviation 0.0023, worst 0.9296 (seed 6) -> 0.92

For comparison: exercise 3's softmax regression (no hidden layer) reaches 0.910 to 0.915;
learning rate 0.5 gave 0.18 and 0.45 (seeds 0 and 1: too large, ReLU units die); one epoch
at 0.1 gave 0.910 and 0.919.
"""

PREDICTIONS = {
    "weights_changed": (0, 0),
    "test_accuracy": (0.1135 - 0.02, 0.1135 + 0.02),
    "distinct_units": (1, 1),
}
"""Part D's predictions and the range each must fall in, from the course's runs (the
solution's loop, the exercise's defaults, seed 0): started from all zeros, none of the
weights of ``W1`` and ``W2`` ever changes (``h = relu(0) = 0`` makes ``dW2`` zero and
``W2 = 0`` makes every gradient below it zero; only ``b2`` learns, the digits' frequencies),
so the network answers the most frequent training digit, 1, for every image: test accuracy
0.1135, the share of ones among the test images (accepted within 0.02). Started with every
hidden unit the same, the units get the same gradient at every step and stay the same: 1
distinct unit of 64."""

PREDICTION_HINTS = {
    "weights_changed": "with every weight and bias 0, what are h = relu(x @ W1 + b1), then "
    "dW2 = h.T @ ..., then the gradient that reaches the hidden layer through W2?",
    "test_accuracy": "if only b2 can learn, the network gives every image the same "
    "probabilities: which digit does it answer, and how often is that digit right?",
    "distinct_units": "if two hidden units start with the same weights in and out, do they "
    "get the same gradient? Then are they still the same after the step?",
}

PREDICTION_QUESTIONS = {
    "weights_changed": "the number of weights of W1 and W2 (of 784 * 64 + 64 * 10) that "
    "change in training from all zeros",
    "test_accuracy": "the test accuracy after training from all zeros",
    "distinct_units": "the number of different hidden units (of 64) after training from "
    "a start where every unit is the same",
}


# ---------------------------------------------------------------------------------------------
# The course's own network, in float64


def course_forward(W1, b1, W2, b2, x):
    """The forward pass: ``h = relu(x @ W1 + b1)``, ``p = softmax(h @ W2 + b2)``.

    Examples
    --------
    >>> W1, b1, W2, b2, x, y = small_network(0)
    >>> h, p = course_forward(W1, b1, W2, b2, x)
    >>> h.shape, p.shape, bool(np.allclose(p.sum(axis=1), 1))
    ((8, 4), (8, 3), True)
    """
    h = np.maximum(x @ W1 + b1, 0)
    return h, _softmax(h @ W2 + b2)


def course_loss(W1, b1, W2, b2, x, y):
    """The mean cross-entropy of the network's probabilities against one-hot ``y``.

    Examples
    --------
    >>> W1, b1, W2, b2, x, y = small_network(0)
    >>> round(course_loss(W1, b1, 0 * W2, 0 * b2, x, y), 4)  # every class 1/3
    1.0986
    """
    _, p = course_forward(W1, b1, W2, b2, x)
    return float(-np.mean(np.log(np.sum(p * y, axis=1))))


def course_backward(x, y, h, p, W2):
    """The backward pass: ``(dW1, db1, dW2, db2)`` of the mean loss, from the forward pass's
    results.

    Examples
    --------
    >>> W1, b1, W2, b2, x, y = small_network(0)
    >>> h, p = course_forward(W1, b1, W2, b2, x)
    >>> [g.shape for g in course_backward(x, y, h, p, W2)]
    [(6, 4), (4,), (4, 3), (3,)]
    """
    d = (p - y) / len(x)
    dz1 = (d @ W2.T) * (h > 0)
    return x.T @ dz1, dz1.sum(axis=0), h.T @ d, d.sum(axis=0)


def he_normal(rng, features, hidden_units, classes):
    """The exercise's initial weights: He-normal ``W1``, ``W2``, zero biases, drawn from rng."""
    W1 = rng.normal(0, np.sqrt(2 / features), size=(features, hidden_units))
    W2 = rng.normal(0, np.sqrt(2 / hidden_units), size=(hidden_units, classes))
    return W1, np.zeros(hidden_units), W2, np.zeros(classes)


def course_network(
    x,
    y,
    *,
    hidden_units=64,
    epochs=2,
    batch_size=100,
    learning_rate=0.1,
    seed=0,
    initial=None,
):
    """Train the network by mini-batch gradient descent; return ``W1, b1, W2, b2, losses``.

    Examples
    --------
    >>> x, y = toy_task(0)
    >>> *weights, losses = course_network(x, y, hidden_units=8, epochs=4, batch_size=32,
    ...     learning_rate=0.5)
    >>> weights[0].shape, len(losses), losses[-1] < losses[0] / 2
    ((4, 8), 40, True)
    """
    rng = np.random.default_rng(seed)
    if initial is None:
        W1, b1, W2, b2 = he_normal(rng, x.shape[1], hidden_units, y.shape[1])
    else:
        W1, b1, W2, b2 = (np.array(array, dtype=np.float64) for array in initial)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            h, p = course_forward(W1, b1, W2, b2, x[batch])
            losses.append(float(-np.mean(np.log(np.sum(p * y[batch], axis=1)))))
            dW1, db1, dW2, db2 = course_backward(x[batch], y[batch], h, p, W2)
            W1 -= learning_rate * dW1
            b1 -= learning_rate * db1
            W2 -= learning_rate * dW2
            b2 -= learning_rate * db2
    return W1, b1, W2, b2, losses


def course_predictions():
    """Part D's answers, as the course's runs measure them.

    Examples
    --------
    >>> course_predictions()["distinct_units"]
    1
    """
    return {"weights_changed": 0, "test_accuracy": 0.1135, "distinct_units": 1}


def small_network(seed, *, n=8, features=6, hidden=4, classes=3):
    """Random weights, biases, inputs and one-hot labels of a small network; every size
    differs from the others, so that no transposed matrix fits by chance.

    Examples
    --------
    >>> [a.shape for a in small_network(0)]
    [(6, 4), (4,), (4, 3), (3,), (8, 6), (8, 3)]
    """
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0, 1, size=(features, hidden))
    b1 = rng.normal(0, 0.5, size=hidden)
    W2 = rng.normal(0, 1, size=(hidden, classes))
    b2 = rng.normal(0, 0.5, size=classes)
    x = rng.uniform(-1, 1, size=(n, features))
    y = np.eye(classes)[rng.integers(0, classes, size=n)]
    return W1, b1, W2, b2, x, y


def finite_difference(W1, b1, W2, b2, x, y, *, eps=1e-5, one_sided=False):
    """The loss's slope along every weight and bias, by differences (the check's own).

    Examples
    --------
    >>> W1, b1, W2, b2, x, y = small_network(0)
    >>> h, p = course_forward(W1, b1, W2, b2, x)
    >>> slopes = finite_difference(W1, b1, W2, b2, x, y)
    >>> all(np.allclose(a, b, atol=1e-8) for a, b in zip(slopes,
    ...     course_backward(x, y, h, p, W2)))
    True
    """
    arrays = [np.array(a, dtype=np.float64) for a in (W1, b1, W2, b2)]
    slopes = [np.zeros_like(a) for a in arrays]
    for array, slope in zip(arrays, slopes, strict=True):
        for index in np.ndindex(array.shape):
            keep = array[index]
            array[index] = keep + eps
            up = course_loss(*arrays, x, y)
            array[index] = keep if one_sided else keep - eps
            down = course_loss(*arrays, x, y)
            array[index] = keep
            slope[index] = (up - down) / (eps if one_sided else 2 * eps)
    return tuple(slopes)


# ---------------------------------------------------------------------------------------------
# The usual mistakes of the backward pass, each as the gradients it gives


def _mistake(hidden=None, *, scale=1.0, hidden_scale=1.0, minus_y=True):
    """The gradients of a backward pass that differs from the course's in one way; a scale
    of ``"n"`` or ``"1/n"`` stands for the batch size or its inverse."""

    def factor(option, n):
        return {"n": float(n), "1/n": 1.0 / n}.get(option, option)

    def gradients(x, y, h, p, W2):
        n = len(x)
        d = ((p - y) if minus_y else p) / n * factor(scale, n)
        dh = d @ W2.T
        dz1 = (dh * (h > 0) if hidden is None else hidden(dh, h)) * factor(hidden_scale, n)
        return x.T @ dz1, dz1.sum(axis=0), h.T @ d, d.sum(axis=0)

    return gradients


MISTAKES = {
    "the ReLU mask forgotten": (
        _mistake(lambda dh, h: dh),
        "the gradient that reaches the hidden layer must pass back through the ReLU: a unit "
        "that output 0 (h <= 0) passes no gradient, a unit that was on passes it unchanged; "
        "multiply by the mask (h > 0)",
    ),
    "the ReLU mask taken after the activation (multiplied by h)": (
        _mistake(lambda dh, h: dh * h),
        "ReLU's slope is 1 where the unit was on and 0 where it was off: multiply by the "
        "mask (h > 0), not by the activation h itself",
    ),
    "ReLU applied to the gradient": (
        _mistake(lambda dh, h: np.maximum(dh, 0)),
        "np.maximum(gradient, 0) keeps the positive gradients; the backward pass keeps the "
        "gradient of the units that were on in the forward pass: multiply by (h > 0)",
    ),
    "the ReLU mask inverted": (
        _mistake(lambda dh, h: dh * (h <= 0)),
        "the gradient flows through the units that were on (h > 0), not through those "
        "that were off",
    ),
    "the batch mean forgotten": (
        _mistake(scale="n"),
        "the loss is the mean over the batch: divide p - y by N (len(x)) once, and every "
        "gradient is N times smaller",
    ),
    "the batch mean forgotten in the hidden layer": (
        _mistake(hidden_scale="n"),
        "the hidden layer's gradients are N times too large: the gradient you send back "
        "through W2 must be the one already divided by N",
    ),
    "the batch mean taken twice in the hidden layer": (
        _mistake(hidden_scale="1/n"),
        "the hidden layer's gradients are N times too small: the gradient that comes back "
        "through W2 is already divided by N; do not divide again",
    ),
    "the batch mean taken twice": (
        _mistake(scale="1/n"),
        "every gradient is N times too small: divide by N once",
    ),
    "the sign flipped (y - p)": (
        _mistake(scale=-1.0),
        "the gradient of the loss with respect to the logits is p - y, not y - p",
    ),
    "y not subtracted (p instead of p - y)": (
        _mistake(minus_y=False),
        "the gradient of the loss with respect to the logits is p - y: subtract the one-hot labels",
    ),
}
"""Each named mistake of the backward pass: the gradients it gives and the fix."""


NAMES = ("dW1", "db1", "dW2", "db2")


def _call(function, call, *args, **kwargs):
    """Call a student's function; a numpy shape error becomes a message about the shapes."""
    try:
        return function(*args, **kwargs)
    except ValueError as error:
        if "matmul" not in str(error) and "broadcast" not in str(error):
            raise
        fail(
            f"{call} raised ValueError: {error}",
            expected="shapes that fit: x (N, features) @ W1 (features, hidden) -> (N, hidden), "
            "h (N, hidden) @ W2 (hidden, classes) -> (N, classes)",
            returned="arrays whose shapes do not fit together",
            hint="each weight matrix has one row per input of its layer and one column per "
            "output; going backwards, a gradient crosses a layer through that matrix "
            "transposed. Write the shape of each array beside its line and check it fits"
            + _FROM_FORWARD.get(getattr(function, "__name__", ""), ""),
        )


_FROM_FORWARD = {
    name: f"; {name}() takes h and p from your forward(): if test_forward fails (h and p "
    "swapped, say), fix forward first"
    for name in ("loss", "finite_difference", "train_network")
}
"""What a shape error in a function that calls forward() adds: forward may be the cause."""


def _helpers():
    """The functions that the later ones call: their own checks and the course's own version
    (forward first: loss calls it)."""
    own = {"forward": check_forward, "loss": check_loss, "backward": check_backward}
    return {
        name: (f"test_{name}", check, f"{__name__}:course_{name}") for name, check in own.items()
    }


def _name(train):
    """The name of the student's loop as the notebook spells it, for the messages."""
    name = getattr(train, "__name__", "")
    return name if name.isidentifier() else "train_network"


def _arrays(result, call, count, names):
    if not isinstance(result, tuple | list) or len(result) != count:
        fail(
            f"{call} should return {count} arrays.",
            expected=f"a tuple ({', '.join(names)})",
            returned=describe(result),
            hint=f"end with `return {', '.join(names)}`",
        )
    for name, value in zip(names, result, strict=True):
        if value is None:
            fail(
                f"{call} returned None for {name}.",
                expected=f"{name} as an array",
                returned="None",
                hint=f"compute {name} and return it",
            )
    return [
        as_array(value, call, name).astype(np.float64)
        for name, value in zip(names, result, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Part A: the forward pass and the loss


@quiet
def check_forward(forward, *, seed=0, n=8, features=6, hidden=4, classes=3):
    """Check ``forward(W1, b1, W2, b2, x)`` -> ``(h, p)``, also for large logits.

    Examples
    --------
    >>> check_forward(course_forward)
    >>> check_forward(course_forward, seed=2, n=11, features=9, hidden=7, classes=10)
    """
    W1, b1, W2, b2, x, _ = small_network(
        seed, n=n, features=features, hidden=hidden, classes=classes
    )
    call = f"forward(W1, b1, W2, b2, x) for W1 {W1.shape}, W2 {W2.shape}, x {x.shape}"
    h_expected, p_expected = course_forward(W1, b1, W2, b2, x)
    h, p = _arrays(_call(forward, call, W1, b1, W2, b2, x), call, 2, ("h", "p"))
    if (h.shape, p.shape) == (p_expected.shape, h_expected.shape) and np.allclose(h.sum(axis=1), 1):
        fail(
            f"{call} returned (p, h): the probabilities first.",
            expected=f"(h, p): h of shape {h_expected.shape}, then p of shape {p_expected.shape}",
            returned=f"first an array of shape {h.shape} whose rows sum to 1, then one of "
            f"shape {p.shape}",
            hint="return h, p in the docstring's order: the hidden layer's outputs, then the "
            "probabilities (loss, backward and the loop unpack them as h, p)",
        )
    for name, array, expected in (("h", h, h_expected), ("p", p, p_expected)):
        if array.shape != expected.shape:
            fail(
                f"{call} returned {name} of the wrong shape.",
                expected=f"{name} of shape {expected.shape}: one row per example",
                returned=f"{name}: {describe(array)}",
                hint="h = relu(x @ W1 + b1) has one column per hidden unit, "
                "p = softmax(h @ W2 + b2) one per class",
            )
    if not np.allclose(h, h_expected, rtol=1e-6, atol=1e-9):
        z1 = x @ W1 + b1
        hint = "h = relu(x @ W1 + b1), relu(z) = np.maximum(z, 0)"
        if np.allclose(h, z1):
            hint = "h has negative values: apply the ReLU, np.maximum(x @ W1 + b1, 0)"
        elif np.allclose(h, np.maximum(x @ W1, 0)):
            hint = "the bias b1 is missing: x @ W1 + b1"
        fail(
            f"{call} returned other hidden activations h.",
            expected=f"h = relu(x @ W1 + b1), first row {np.round(h_expected[0], 4).tolist()}",
            returned=f"first row {np.round(h[0], 4).tolist()}",
            hint=hint,
        )
    if not np.allclose(p, p_expected, rtol=1e-6, atol=1e-9):
        z2 = h_expected @ W2 + b2
        hint = "p = softmax(h @ W2 + b2), each row summing to 1"
        if np.allclose(p, _softmax(h_expected @ W2)):
            hint = "the bias b2 is missing: h @ W2 + b2"
        elif np.allclose(p.sum(axis=0), 1):
            hint = "each column sums to 1, not each row: the softmax sums over axis=1"
        elif np.allclose(p, z2):
            hint = "these are the logits: apply the softmax to them"
        elif np.allclose(p, _softmax(np.maximum(z2, 0))):
            hint = "the output layer has no ReLU: the softmax takes h @ W2 + b2 as it is"
        fail(
            f"{call} returned other probabilities p.",
            expected=f"p = softmax(h @ W2 + b2), first row {np.round(p_expected[0], 4).tolist()}",
            returned=f"first row {np.round(p[0], 4).tolist()}",
            hint=hint,
        )
    large = W2 * 1000
    call = "forward(W1, b1, W2 * 1000, b2, x), whose logits reach the thousands"
    with np.errstate(all="ignore"):
        _, p = _arrays(_call(forward, call, W1, b1, large, b2, x), call, 2, ("h", "p"))
    expected = course_forward(W1, b1, large, b2, x)[1]
    if not np.all(np.isfinite(p)) or not np.allclose(p, expected, atol=1e-9):
        # the first row that differs, as returned (nan where it overflowed)
        row = next((i for i in range(len(p)) if not np.allclose(p[i], expected[i], atol=1e-9)), 0)
        fail(
            f"{call} overflowed.",
            expected=f"finite probabilities, row {row} {np.round(expected[row], 6).tolist()}",
            returned=f"row {row} {p[row].tolist()}",
            hint="np.exp(1000) is inf: subtract each row's max from the logits first "
            "(z - z.max(axis=1, keepdims=True)); the softmax does not change",
        )


@blaming_helpers(_helpers)
@quiet
def check_loss(loss, *, seed=0, n=8, features=6, hidden=4, classes=3):
    """Check ``loss(W1, b1, W2, b2, x, y)``: the mean cross-entropy of the network.

    Examples
    --------
    >>> check_loss(course_loss)
    """
    W1, b1, W2, b2, x, y = small_network(
        seed, n=n, features=features, hidden=hidden, classes=classes
    )
    call = f"loss(W1, b1, W2, b2, x, y) for {n} examples"
    result = _call(loss, call, W1, b1, W2, b2, x, y)
    try:
        value = float(np.asarray(result))
    except (TypeError, ValueError):
        fail(
            f"{call} did not return one number.",
            expected="a float: the mean loss over the examples",
            returned=describe(result),
            hint="average over the examples: np.mean(...) of -log p(true class)",
        )
    expected = course_loss(W1, b1, W2, b2, x, y)
    if np.isclose(value, expected, rtol=1e-6):
        return
    _, p = course_forward(W1, b1, W2, b2, x)
    hint = (
        "the mean over the examples of -log of the probability of the true class; loss calls "
        "your forward(): if its own check, test_forward, fails, fix forward first"
    )
    if np.isclose(value, -expected, rtol=1e-6):
        hint = "the loss is -log p: put a minus in front"
    elif np.isclose(value, expected * n, rtol=1e-6):
        hint = "that is the sum over the examples; the loss is the mean"
    elif np.isclose(value, float(-np.mean(y * np.log(p))), rtol=1e-6):
        hint = "sum y * log(p) over the classes (axis=1) before the mean over the examples"
    fail(
        f"{call} returned {value:.6g}.",
        expected=f"{expected:.6g}, the mean of -log p(true class)",
        returned=f"{value:.6g}",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Part B: the backward pass


def _shape_hint(name, shape, sizes):
    n, features, hidden, classes = sizes
    wanted = {
        "dW1": (features, hidden),
        "db1": (hidden,),
        "dW2": (hidden, classes),
        "db2": (classes,),
    }[name]
    layer_input = "x" if name == "dW1" else "h"
    if len(wanted) == 2 and shape == wanted[::-1]:
        return (
            f"{name} is transposed: it has the shape of its weights, {wanted}: "
            f"{layer_input}.T @ (the gradient of the layer's output)"
        )
    if name == "dW1" and shape == (hidden, hidden):
        return (
            "dW1 multiplies h by the hidden layer's gradient; the first layer's input is x: "
            "x.T @ ..."
        )
    if name == "dW2" and shape == (features, classes):
        return "dW2 multiplies x by the output's gradient; the output layer's input is h: h.T @ ..."
    if len(wanted) == 1 and shape == (n,):
        return (
            f"{name} was summed over the wrong axis: a bias gradient sums over the "
            "examples, axis=0, and keeps one number per unit"
        )
    if len(wanted) == 1 and shape == (1, wanted[0]):
        return (
            f"{name} kept a dimension (keepdims=True): it must have the bias's shape "
            f"{wanted}, as b -= learning_rate * {name} must keep b's shape"
        )
    if len(wanted) == 1 and shape == ():
        return f"{name} was summed over everything: sum over the examples only (axis=0)"
    return f"{name} has the shape of the array it is the gradient of, {wanted}"


@quiet
def check_backward(backward, *, seed=0, n=8, features=6, hidden=4, classes=3):
    """Check ``backward(x, y, h, p, W2)`` -> ``(dW1, db1, dW2, db2)`` against the gradient of
    the mean loss, and name the usual mistake it matches.

    Examples
    --------
    >>> check_backward(course_backward)
    >>> check_backward(course_backward, seed=5, n=13, features=9, hidden=7, classes=10)
    """
    W1, b1, W2, b2, x, y = small_network(
        seed, n=n, features=features, hidden=hidden, classes=classes
    )
    h, p = course_forward(W1, b1, W2, b2, x)
    call = f"backward(x, y, h, p, W2) for x {x.shape}, h {h.shape}, p {p.shape}, W2 {W2.shape}"
    result = _arrays(_call(backward, call, x, y, h, p, W2), call, 4, NAMES)
    expected = course_backward(x, y, h, p, W2)
    sizes = (n, features, hidden, classes)
    if [a.shape for a in result] == [w.shape for w in expected[2:] + expected[:2]] and [
        a.shape for a in result
    ] != [w.shape for w in expected]:
        fail(
            f"{call} returned the output layer's gradients first.",
            expected="(dW1, db1, dW2, db2): the shapes "
            + ", ".join(str(w.shape) for w in expected),
            returned="the shapes " + ", ".join(str(a.shape) for a in result),
            hint="the docstring's order is the layers' order, the hidden layer first: "
            "return dW1, db1, dW2, db2 (the loop unpacks them so), even though backward "
            "computes dW2 and db2 first",
        )
    for name, array, wanted in zip(NAMES, result, expected, strict=True):
        if array.shape != wanted.shape:
            fail(
                f"{call} returned {name} of the wrong shape.",
                expected=f"{name} of shape {wanted.shape}, like the array it is the gradient of",
                returned=f"{name}: {describe(array)}",
                hint=_shape_hint(name, array.shape, sizes),
            )
    # the output layer first (the lesson's), then the hidden layer (the exercise's)
    for index in (2, 3, 0, 1):
        name, array, wanted = NAMES[index], result[index], expected[index]
        if np.allclose(array, wanted, rtol=1e-5, atol=1e-9):
            continue
        for mistake, (gradients, hint) in MISTAKES.items():
            mistaken = gradients(x, y, h, p, W2)
            if all(
                np.allclose(r, m, rtol=1e-5, atol=1e-9)
                for r, m in zip(result, mistaken, strict=True)
            ):
                fail(
                    f"{call} returned gradients with {mistake}.",
                    expected=f"{name} close to {np.round(wanted.ravel()[:4], 5).tolist()}...",
                    returned=f"{name} = {np.round(array.ravel()[:4], 5).tolist()}...",
                    hint=hint,
                )
        layer = "output" if index >= 2 else "hidden"
        hint = (
            "the output layer's gradients are the lesson's: dW2 = h.T @ (p - y) / N and db2 "
            "the sum of (p - y) / N over the examples"
            if layer == "output"
            else "send the output's gradient back through W2 (the shapes tell you how), through "
            "the ReLU, then into W1 and b1 as the output layer does into W2 and b2"
        )
        fail(
            f"{call} returned {name} that differs from the gradient of the mean loss "
            f"(the {layer} layer).",
            expected=f"{name} close to {np.round(wanted.ravel()[:4], 5).tolist()}...",
            returned=f"{name} = {np.round(array.ravel()[:4], 5).tolist()}...",
            hint=hint,
        )


# ---------------------------------------------------------------------------------------------
# Part C: the gradient estimated by finite differences


def _all_at_once(W1, b1, W2, b2, x, y, eps):
    """Each array nudged whole, every entry at once: one slope repeated."""
    arrays = [np.array(a, dtype=np.float64) for a in (W1, b1, W2, b2)]
    slopes = []
    for i, array in enumerate(arrays):
        up = [a + eps if j == i else a for j, a in enumerate(arrays)]
        down = [a - eps if j == i else a for j, a in enumerate(arrays)]
        slope = (course_loss(*up, x, y) - course_loss(*down, x, y)) / (2 * eps)
        slopes.append(np.full(array.shape, slope))
    return tuple(slopes)


def _not_restored(W1, b1, W2, b2, x, y, eps):
    """Each entry left at keep - eps after its two evaluations."""
    arrays = [np.array(a, dtype=np.float64) for a in (W1, b1, W2, b2)]
    slopes = [np.zeros_like(a) for a in arrays]
    for array, slope in zip(arrays, slopes, strict=True):
        for index in np.ndindex(array.shape):
            keep = array[index]
            array[index] = keep + eps
            up = course_loss(*arrays, x, y)
            array[index] = keep - eps
            down = course_loss(*arrays, x, y)
            slope[index] = (up - down) / (2 * eps)
    return tuple(slopes)


@blaming_helpers(_helpers)
@quiet
def check_finite_difference(finite_difference_, loss, *, seed=0, eps=1e-2):
    """Check ``finite_difference(W1, b1, W2, b2, x, y, eps=...)``: the central difference of
    the loss along each weight and bias, one entry at a time.

    Examples
    --------
    >>> check_finite_difference(finite_difference, course_loss)
    >>> check_finite_difference(finite_difference, course_loss, seed=3, eps=1e-3)
    """
    W1, b1, W2, b2, x, y = small_network(seed)
    call = f"loss(W1, b1, W2, b2, x, y) for {len(x)} examples"
    value = _call(loss, call, W1, b1, W2, b2, x, y)
    try:
        right = np.isclose(float(np.asarray(value)), course_loss(W1, b1, W2, b2, x, y))
    except (TypeError, ValueError):
        right = False
    if not right:
        fail(
            f"{call} returned {describe(value)}, not the network's mean loss.",
            expected=f"{course_loss(W1, b1, W2, b2, x, y):.6g}",
            returned=describe(value),
            hint="finite differences of a wrong loss cannot be right: fix loss (Part A) first "
            "(its own check, test_loss, says what is wrong, or that your forward() is)",
        )
    call = f"finite_difference(W1, b1, W2, b2, x, y, eps={eps}) for W1 {W1.shape}"
    given = [array.copy() for array in (W1, b1, W2, b2, x, y)]
    result = _arrays(_call(finite_difference_, call, W1, b1, W2, b2, x, y, eps=eps), call, 4, NAMES)
    for name, before, after in zip(
        ("W1", "b1", "W2", "b2", "x", "y"), given, (W1, b1, W2, b2, x, y), strict=True
    ):
        if not np.array_equal(before, after):
            fail(
                f"{call} changed its input {name}.",
                expected="the arrays it was given left as they were",
                returned=f"{name} changed in place",
                hint="nudge a copy (np.array(W1, dtype=float)), or put each entry back to its "
                "value after its two evaluations",
            )
    expected = finite_difference(W1, b1, W2, b2, x, y, eps=eps)
    for name, array, wanted in zip(NAMES, result, expected, strict=True):
        if array.shape != wanted.shape:
            fail(
                f"{call} returned {name} of the wrong shape.",
                expected=f"{name} of shape {wanted.shape}, like the array it estimates the "
                "slope along",
                returned=f"{name}: {describe(array)}",
                hint="one slope per entry: np.zeros_like(array), filled entry by entry",
            )
    if all(np.allclose(r, e, rtol=1e-6, atol=1e-9) for r, e in zip(result, expected, strict=True)):
        return
    h, p = course_forward(W1, b1, W2, b2, x)
    variants = {
        "a one-sided difference": (
            finite_difference(W1, b1, W2, b2, x, y, eps=eps, one_sided=True),
            "(L(w + eps) - L(w)) / eps is off by about eps times the curvature; the central "
            "difference (L(w + eps) - L(w - eps)) / (2 * eps) is far more accurate",
        ),
        "a difference divided by eps instead of 2 * eps": (
            tuple(2 * e for e in expected),
            "the two points w + eps and w - eps are 2 * eps apart: divide by 2 * eps",
        ),
        "every entry of an array nudged at once": (
            _all_at_once(W1, b1, W2, b2, x, y, eps),
            "nudge one entry at a time (for index in np.ndindex(array.shape)), so that each "
            "gets its own slope",
        ),
        "each entry left nudged": (
            _not_restored(W1, b1, W2, b2, x, y, eps),
            "put each entry back to its value after its two evaluations, before the next one",
        ),
        "the eps argument ignored": (
            finite_difference(W1, b1, W2, b2, x, y, eps=1e-5),
            "nudge by the eps you are given",
        ),
        "the backward pass's gradient returned": (
            course_backward(x, y, h, p, W2),
            "estimate the slopes from the loss alone, by nudging; the point is to check the "
            "backward pass against something independent of it",
        ),
        "every slope 0: the loss never saw a nudged entry": (
            tuple(np.zeros_like(e) for e in expected),
            "the two losses were equal: give loss() the arrays you nudged (a nudged copy "
            "that loss() is not given changes nothing)",
        ),
    }
    mistake, hint = (
        "other slopes",
        "for each entry: its value + eps, the loss; its value - eps, the loss; put it back; "
        "the difference of the two losses divided by 2 * eps",
    )
    for name, (mistaken, fix) in variants.items():
        if all(
            np.allclose(r, m, rtol=1e-6, atol=1e-9) for r, m in zip(result, mistaken, strict=True)
        ):
            mistake, hint = name, fix
            break
    first = next(
        i for i in range(4) if not np.allclose(result[i], expected[i], rtol=1e-6, atol=1e-9)
    )
    fail(
        f"{call} returned {mistake}.",
        expected=f"{NAMES[first]} close to {np.round(expected[first].ravel()[:4], 6).tolist()}...",
        returned=f"{NAMES[first]} = {np.round(result[first].ravel()[:4], 6).tolist()}...",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Part D: predictions


@quiet
def check_prediction(predictions, *, key):
    """Check one of the predictions that ``predictions()`` returns, a dict.

    Examples
    --------
    >>> for key in PREDICTIONS:
    ...     check_prediction(course_predictions, key=key)
    """
    call = "zero_start_predictions()"
    result = predictions()
    if not isinstance(result, dict) or key not in result:
        fail(
            f"{call} has no prediction for {key!r}.",
            expected=f"a dict with the keys {list(PREDICTIONS)}",
            returned=describe(result),
            hint="return {'weights_changed': ..., 'test_accuracy': ..., 'distinct_units': ...}",
        )
    try:
        value = float(result[key])
    except (TypeError, ValueError):
        fail(
            f"{call}[{key!r}] is not a number.",
            expected=f"a number: {PREDICTION_QUESTIONS[key]}",
            returned=describe(result[key]),
            hint="write your prediction as a number",
        )
    low, high = PREDICTIONS[key]
    if not low <= value <= high:
        tolerance = "" if low == high else f", within {(high - low) / 2:g}"
        fail(
            f"{call}[{key!r}] = {value:g} is not what the experiment gives.",
            expected=f"{PREDICTION_QUESTIONS[key]}, as the cells below this part measure "
            f"it{tolerance}",
            returned=f"{value:g}",
            hint=PREDICTION_HINTS[key],
        )


# ---------------------------------------------------------------------------------------------
# Part E: the training loop


def _run(train, call, x, y, **options):
    result = _call(train, call, x.copy(), y.copy(), **options)
    if not isinstance(result, tuple | list) or len(result) != 5:
        fail(
            f"{call} should return W1, b1, W2, b2 and the losses.",
            expected="a tuple (W1, b1, W2, b2, losses)",
            returned=describe(result),
            hint="end with `return W1, b1, W2, b2, losses`",
        )
    *weights, losses = result
    weights = [
        as_array(w, call, name) for w, name in zip(weights, ("W1", "b1", "W2", "b2"), strict=True)
    ]
    losses = as_array(losses, call, "the losses").astype(np.float64).ravel()
    return weights, losses


@blaming_helpers(_helpers)
@quiet
def check_training_loop(train, *, seed=0):
    """Check ``train(x, y, hidden_units=..., epochs=..., batch_size=..., learning_rate=...,
    seed=..., initial=...)``.

    It must return ``(W1, b1, W2, b2, losses)`` with one loss per mini-batch, lower the loss,
    use each argument, and repeat its numbers for the same seed.

    Examples
    --------
    >>> check_training_loop(course_network)
    """
    x, y = toy_task(seed)
    options = {"hidden_units": 8, "epochs": 4, "batch_size": 32, "learning_rate": 0.5, "seed": seed}
    shown = ", ".join(f"{key}={value}" for key, value in options.items())
    call = f"{_name(train)}(x, y, {shown}) for x of shape {x.shape}"
    weights, losses = _run(train, call, x, y, **options)
    features, hidden, classes = x.shape[1], options["hidden_units"], y.shape[1]
    shapes = [(features, hidden), (hidden,), (hidden, classes), (classes,)]
    if [w.shape for w in weights] != shapes:
        fail(
            f"{call} returned weights of the wrong shapes.",
            expected=f"W1 {shapes[0]}, b1 {shapes[1]}, W2 {shapes[2]}, b2 {shapes[3]}",
            returned=", ".join(
                f"{n} {w.shape}" for n, w in zip(("W1", "b1", "W2", "b2"), weights, strict=True)
            ),
            hint="W1 has one row per feature (x.shape[1]) and one column per hidden unit "
            "(hidden_units); W2 one row per hidden unit and one column per class",
        )
    batches = -(-len(x) // options["batch_size"])
    steps = options["epochs"] * batches
    if len(losses) != steps:
        hint = "record the loss of each mini-batch: losses.append(...) inside the batch loop"
        if len(losses) == options["epochs"]:
            hint = "that is one loss per epoch; record one per mini-batch"
        elif len(losses) == len(x) // options["batch_size"] * options["epochs"]:
            hint = "the last, smaller batch of each epoch is missing: range(0, N, batch_size)"
        fail(
            f"{call} returned {len(losses)} losses.",
            expected=f"{steps} losses: {options['epochs']} epochs of {batches} batches of at "
            f"most {options['batch_size']}",
            returned=f"{len(losses)} losses",
            hint=hint,
        )
    if np.allclose(weights[0], 0) and np.allclose(weights[2], 0):
        fail(
            f"{call} returned W1 and W2 all zeros.",
            expected="weights that moved from a random start",
            returned="W1 and W2 all zeros",
            hint="started from zeros, no weight of W1 or W2 ever gets a gradient (Part D): "
            "draw W1 and W2 from rng.normal with the scales the instructions give",
        )
    first, last = losses[: steps // 4].mean(), losses[-(steps // 4) :].mean()
    if not np.all(np.isfinite(losses)) or not last < 0.5 * first:
        fail(
            f"{call} did not lower the loss.",
            expected="the loss of the last batches well below that of the first ones",
            returned=f"mean loss {first:.3f} over the first quarter of the steps, "
            f"{last:.3f} over the last",
            hint="step against each gradient: W1 -= learning_rate * dW1, and the same for b1, "
            "W2 and b2; if backward() fails its own check, test_backward, fix it first",
        )
    initial = he_normal(np.random.default_rng(seed + 100), features, hidden, classes)
    still_options = {**options, "learning_rate": 0.0, "initial": initial}
    still, still_losses = _run(train, call, x, y, **still_options)
    if not all(np.allclose(s, i, rtol=0, atol=1e-12) for s, i in zip(still, initial, strict=True)):
        fail(
            f"{call.replace('learning_rate=0.5', 'learning_rate=0.0, initial=...')} did not "
            "return the initial weights.",
            expected="W1, b1, W2, b2 equal to initial: training starts from initial, and "
            "with learning_rate=0 a step changes nothing",
            returned=f"W1: {describe(still[0])}",
            hint="if initial is given, start from copies of its four arrays instead of "
            "drawing them; scale each step by learning_rate",
        )
    again, _ = _run(train, call, x, y, **options)
    if not all(np.allclose(a, w, rtol=0, atol=1e-12) for a, w in zip(again, weights, strict=True)):
        fail(
            f"{call} gave other weights when run again.",
            expected="the same weights for the same seed",
            returned="other weights",
            hint="draw everything random from rng = np.random.default_rng(seed)",
        )
    other, _ = _run(train, call, x, y, **{**options, "seed": seed + 1})
    if np.allclose(other[2], weights[2], rtol=0, atol=1e-12):
        fail(
            f"{call} gave the same weights for seed={seed + 1}.",
            expected="other weights for another seed (another start, batches in another order)",
            returned="the same weights",
            hint="draw the initial weights and each epoch's order with "
            "rng = np.random.default_rng(seed)",
        )
    del still_losses


@quiet
def check_test_accuracy(train, *, seed=0):
    """Check that ``train`` with the exercise's defaults reaches ``MIN_TEST_ACCURACY``.

    Examples
    --------
    >>> check_test_accuracy(course_network)  # doctest: +SKIP
    """
    x_train, y_train = prepared(TRAIN_SIZE, split="train")
    x_test, y_test = prepared(TEST_SIZE, split="test")
    shown = ", ".join(f"{key}={value}" for key, value in TRAINING.items())
    call = f"{_name(train)}(x_train, y_train, {shown}, seed={seed})"
    weights, _ = _run(train, call, x_train, y_train, **TRAINING, seed=seed)
    with np.errstate(all="ignore"):
        _, p = course_forward(*[w.astype(np.float64) for w in weights], x_test)
    accuracy = float(np.mean(np.argmax(p, axis=1) == np.argmax(y_test, axis=1)))
    if not accuracy >= MIN_TEST_ACCURACY:
        fail(
            f"the network trained by {call} reached test accuracy {accuracy:.4f}.",
            expected=f"at least {MIN_TEST_ACCURACY} (the course's own loop reaches 0.930 to 0.937)",
            returned=f"{accuracy:.4f}",
            hint="first fix what the checks of your forward(), loss() and backward() (Parts A "
            "to C) find; then check each step: the mean gradient of its mini-batch, every "
            "array updated against its gradient; and the start: W1 and W2 drawn as the "
            "instructions say, with a standard deviation that shrinks with the inputs of "
            "their layer (a standard deviation of 1 starts far too large)",
        )
