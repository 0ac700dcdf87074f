"""Exercise 6's checks (testing the model): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import re

import numpy as np

import mnist_course
from mnist_course.checks import ex06_testing as checks


def test_evaluate_accepts_the_course_function_and_numpy_numbers():
    checks.check_evaluate(mnist_course.evaluate)

    def evaluate(model, x_test, y_test):
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        return {"loss": np.float32(loss), "accuracy": np.float64(accuracy)}

    checks.check_evaluate(evaluate)


def test_evaluate_returning_keras_list_says_return_a_dict(fails_with):
    fails_with(
        checks.check_evaluate,
        lambda model, x, y: model.evaluate(x, y, verbose=0),
        match="dict with 'loss' and 'accuracy'",
    )


def test_evaluate_in_percent_says_return_a_fraction(fails_with):
    def evaluate(model, x_test, y_test):
        scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
        return {"loss": scores["loss"], "accuracy": 100 * scores["accuracy"]}

    fails_with(checks.check_evaluate, evaluate, match="percentage")


def test_predict_labels_accepts_argmax_as_list_or_array():
    checks.check_predict_labels(mnist_course.predict_labels)
    checks.check_predict_labels(
        lambda model, x: [int(i) for i in np.argmax(model.predict(x, verbose=0), axis=1)]
    )


def test_predict_labels_returning_probabilities_says_take_argmax(fails_with):
    message = fails_with(
        checks.check_predict_labels,
        lambda model, x: model.predict(x, verbose=0),
        match="wrong shape",
    )
    assert "argmax(axis=1)" in message


def test_misclassified_accepts_indices_as_list_or_array():
    checks.check_misclassified(lambda t, p: np.flatnonzero(t != p))
    checks.check_misclassified(lambda t, p: [i for i in range(len(t)) if t[i] != p[i]])
    checks.check_misclassified(lambda t, p: np.flatnonzero(t != p), y_true=[1], y_pred=[1])


def test_misclassified_returning_a_mask_says_turn_it_into_indices(fails_with):
    fails_with(checks.check_misclassified, lambda t, p: t != p, match="mask, not indices")


def test_evaluate_that_returns_the_numbers_its_failure_printed_fails_on_other_inputs(fails_with):
    """The hidden test's other model and images make copied numbers worthless."""
    message = fails_with(checks.check_evaluate, lambda model, x, y: {}, match="dict")
    loss, accuracy = (float(v) for v in re.findall(r"'(?:loss|accuracy)': ([\d.]+)", message)[:2])

    def copied(model, x_test, y_test):
        return {"loss": loss, "accuracy": accuracy}

    fails_with(checks.check_evaluate, copied, seed=1, match="other numbers than model.evaluate")


def test_predict_labels_is_checked_on_another_model_with_another_seed():
    checks.check_predict_labels(mnist_course.predict_labels, seed=1)
