"""Exercise 3's checks (gradient descent by hand): correct answers written any reasonable way
pass, the usual mistakes fail with a message that names them."""

import numpy as np
import pytest

from mnist_course.checks import ex03_gradient_descent as checks
from mnist_course.checks._reference import (
    softmax,
    softmax_regression,
    softmax_regression_gradients,
)


def naive_softmax(logits):
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "function",
    [
        softmax,
        lambda z: np.exp(z - z.max(1)[:, None]) / np.exp(z - z.max(1)[:, None]).sum(1)[:, None],
        lambda z: np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True)),
    ],
    ids=["course", "broadcast-by-hand", "log-sum-exp"],
)
def test_softmax_accepts_every_stable_variant(function):
    checks.check_softmax(function)
    checks.check_softmax(function, seed=1, shape=(7, 10))


def test_softmax_that_overflows_on_large_logits_says_subtract_the_max(fails_with):
    message = fails_with(checks.check_softmax, naive_softmax, match="overflowed")
    assert "subtract each row's max" in message


def test_softmax_over_the_wrong_axis_says_rows(fails_with):
    def columns(z):
        e = np.exp(z - z.max())
        return e / e.sum(axis=0, keepdims=True)

    message = fails_with(checks.check_softmax, columns, match="other probabilities")
    assert "each column sums to 1, not each row" in message


def test_softmax_without_the_division_says_normalise(fails_with):
    message = fails_with(checks.check_softmax, np.exp, match="other probabilities")
    assert "divide by the sum of each row" in message


@pytest.mark.parametrize(
    "function",
    [
        lambda p, y: -np.mean(np.log(np.sum(p * y, axis=1))),
        lambda p, y: -np.sum(y * np.log(p)) / len(y),
        lambda p, y: np.float32(-np.log(p[np.arange(len(y)), y.argmax(1)]).mean()),
    ],
    ids=["mean-of-true-class", "sum-over-n", "fancy-index-float32"],
)
def test_cross_entropy_accepts_every_correct_variant(function):
    checks.check_cross_entropy(function)
    checks.check_cross_entropy(function, seed=2, shape=(9, 10))


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda p, y: np.mean(np.log(np.sum(p * y, axis=1))), "put a minus in front"),
        (lambda p, y: -np.sum(np.log(np.sum(p * y, axis=1))), "the course's loss is the mean"),
        (lambda p, y: -np.mean(y * np.log(p)), "sum y * log(p) over the classes"),
    ],
    ids=["no-minus", "sum-not-mean", "mean-over-classes-too"],
)
def test_cross_entropy_mistakes_are_named(function, hint, fails_with):
    assert hint in fails_with(checks.check_cross_entropy, function, match="returned")


def gradients_times(factor):
    def gradients(W, b, x, y):
        dW, db = softmax_regression_gradients(W, b, x, y)
        return factor * dW, factor * db

    return gradients


def test_gradients_accepts_the_course_formula_for_any_shape():
    checks.check_gradients(softmax_regression_gradients)
    checks.check_gradients(softmax_regression_gradients, seed=4, n=30, features=9, classes=10)


def test_gradients_summed_over_the_batch_says_divide_by_n(fails_with):
    message = fails_with(checks.check_gradients, gradients_times(8), match="disagrees")
    assert "8 times too large: the loss is the mean over the batch" in message


def test_gradients_divided_twice_says_so(fails_with):
    message = fails_with(checks.check_gradients, gradients_times(1 / 8), match="disagrees")
    assert "divide by N once, not twice" in message


def test_gradients_with_the_wrong_sign_says_p_minus_y(fails_with):
    message = fails_with(checks.check_gradients, gradients_times(-1), match="disagrees")
    assert "p - y, not y - p" in message


def test_transposed_weight_gradient_says_so(fails_with):
    def gradients(W, b, x, y):
        dW, db = softmax_regression_gradients(W, b, x, y)
        return dW.T, db

    message = fails_with(checks.check_gradients, gradients, match="dW of the wrong shape")
    assert "transposed" in message


def test_forward_pass_with_a_transposed_weight_matrix_names_the_shapes(fails_with):
    def gradients(W, b, x, y):
        p = softmax(x @ W.T + b)
        return x.T @ (p - y) / len(x), (p - y).mean(axis=0)

    message = fails_with(checks.check_gradients, gradients, match="raised ValueError")
    assert "multiply x @ W (not W @ x, not x @ W.T)" in message


@pytest.mark.parametrize("bias", [None, "zeros"])
def test_gradients_that_forget_the_bias_say_so(bias, fails_with):
    def gradients(W, b, x, y):
        dW, db = softmax_regression_gradients(W, b, x, y)
        return dW, None if bias is None else np.zeros_like(db)

    message = fails_with(checks.check_gradients, gradients, match="bias")
    assert "the bias" in message


def test_training_loop_accepts_the_course_loop_and_one_without_a_last_partial_batch_fails(
    fails_with,
):
    checks.check_training_loop(softmax_regression)
    checks.check_training_loop(softmax_regression, seed=3)

    def drops_last_batch(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0):
        n = len(x) // batch_size * batch_size
        return softmax_regression(
            x[:n],
            y[:n],
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
        )

    message = fails_with(checks.check_training_loop, drops_last_batch, match="losses")
    assert "the last, smaller batch of each epoch is missing" in message


def test_training_loop_that_ignores_the_learning_rate_fails(fails_with):
    def fixed_rate(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0):
        return softmax_regression(
            x, y, epochs=epochs, batch_size=batch_size, learning_rate=0.5, seed=seed
        )

    fails_with(checks.check_training_loop, fixed_rate, match="learning_rate=0.0, .* changed W")


def test_training_loop_that_never_shuffles_fails_on_the_seed(fails_with):
    def in_order(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0):
        return softmax_regression(
            x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=0
        )

    fails_with(checks.check_training_loop, in_order, match="same weights for seed=1")


def test_training_loop_that_climbs_the_gradient_says_step_against_it(fails_with):
    def uphill(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0):
        return softmax_regression(
            x, y, epochs=epochs, batch_size=batch_size, learning_rate=-learning_rate, seed=seed
        )

    message = fails_with(checks.check_training_loop, uphill, match="did not lower the loss")
    assert "W -= learning_rate * dW" in message


def loop(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0, after=False, reseed=False):
    """Part D's loop, with the loss recorded after the step or a generator made each epoch."""
    rng = np.random.default_rng(seed)
    W, b = np.zeros((x.shape[1], y.shape[1])), np.zeros(y.shape[1])
    losses = []
    for _ in range(epochs):
        rng = np.random.default_rng(seed) if reseed else rng
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            if not after:
                losses.append(
                    float(-np.mean(np.log(np.sum(softmax(x[batch] @ W + b) * y[batch], 1))))
                )
            dW, db = softmax_regression_gradients(W, b, x[batch], y[batch])
            W -= learning_rate * dW
            b -= learning_rate * db
            if after:
                losses.append(
                    float(-np.mean(np.log(np.sum(softmax(x[batch] @ W + b) * y[batch], 1))))
                )
    return W, b, losses


def test_training_loop_written_otherwise_passes():
    checks.check_training_loop(loop)
    checks.check_training_loop(loop, seed=3)


@pytest.mark.parametrize(
    ("option", "where", "named", "fix"),
    [
        (
            "after",
            "loss 1 (epoch 1, batch 1)",
            "each loss recorded after its step",
            "before its step",
        ),
        (
            "reseed",
            "loss 11 (epoch 2, batch 1)",
            "the same order of the examples in every epoch",
            "once, before the epochs",
        ),
    ],
)
def test_training_loop_whose_losses_differ_from_the_course_s_says_where_and_why(
    option, where, named, fix, fails_with
):
    def student(x, y, **options):
        return loop(x, y, **options, **{option: True})

    message = fails_with(checks.check_training_loop, student, match="other losses than")
    assert f"first at {where}: your losses are those of {named}" in message
    assert fix in message


@pytest.mark.full_data
def test_accuracy_of_the_course_loop_meets_the_threshold():
    checks.check_test_accuracy(softmax_regression)
    checks.check_test_accuracy(softmax_regression, seed=1)


@pytest.mark.full_data
def test_accuracy_with_a_gradient_summed_over_the_batch_fails(fails_with):
    def summed(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0):
        return softmax_regression(
            x, y, epochs=epochs, batch_size=batch_size, learning_rate=100 * learning_rate, seed=seed
        )

    fails_with(checks.check_test_accuracy, summed, match="reached test accuracy")


def test_the_threshold_sits_below_the_worst_measured_seed():
    assert checks.MIN_TEST_ACCURACY < 0.9103
    assert checks.MIN_TEST_ACCURACY >= 0.9103 - 0.02
