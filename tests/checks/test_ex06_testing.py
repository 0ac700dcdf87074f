"""Exercise 6's checks (testing the model): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import re
from pathlib import Path

import numpy as np
import pytest

import mnist_course
from mnist_course.checks import ex06_testing as checks


@pytest.mark.full_data
def test_evaluate_accepts_the_course_function_and_numpy_numbers():
    checks.check_evaluate(mnist_course.evaluate)

    def evaluate(model, x_test, y_test):
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        return {"loss": np.float32(loss), "accuracy": np.float64(accuracy)}

    checks.check_evaluate(evaluate)


@pytest.mark.full_data
def test_evaluate_returning_keras_list_says_return_a_dict(fails_with):
    fails_with(
        checks.check_evaluate,
        lambda model, x, y: model.evaluate(x, y, verbose=0),
        match="dict with 'loss' and 'accuracy'",
    )


@pytest.mark.full_data
def test_evaluate_in_percent_says_return_a_fraction(fails_with):
    def evaluate(model, x_test, y_test):
        scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
        return {"loss": scores["loss"], "accuracy": 100 * scores["accuracy"]}

    fails_with(checks.check_evaluate, evaluate, match="percentage")


@pytest.mark.full_data
def test_predict_labels_accepts_argmax_as_list_or_array():
    checks.check_predict_labels(mnist_course.predict_labels)
    checks.check_predict_labels(
        lambda model, x: [int(i) for i in np.argmax(model.predict(x, verbose=0), axis=1)]
    )


@pytest.mark.full_data
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


@pytest.mark.full_data
def test_evaluate_that_returns_the_numbers_its_failure_printed_fails_on_other_inputs(fails_with):
    """The hidden test's other model and images make copied numbers worthless."""
    message = fails_with(checks.check_evaluate, lambda model, x, y: {}, match="dict")
    loss, accuracy = (float(v) for v in re.findall(r"'(?:loss|accuracy)': ([\d.]+)", message)[:2])

    def copied(model, x_test, y_test):
        return {"loss": loss, "accuracy": accuracy}

    fails_with(checks.check_evaluate, copied, seed=1, match="other numbers than model.evaluate")


@pytest.mark.full_data
def test_predict_labels_is_checked_on_another_model_with_another_seed():
    checks.check_predict_labels(mnist_course.predict_labels, seed=1)


# Part D: the test pipeline with five planted bugs

GIVEN = """
def report(model, train_images, train_labels, test_images, test_labels):
    images, labels = {images}
    x = images.reshape(len(images), -1).astype(np.float32) / 255{centre}
    y = mnist_course.one_hot(labels)
    order = np.random.default_rng(0).permutation(len(x))
    {shuffle}
    probabilities = {probabilities}
    loss = keras.losses.{loss}
    accuracy = np.mean(np.argmax(probabilities, axis=1) == np.argmax(y, axis=1))
    return {{"loss": float(np.mean(loss)), "accuracy": float(accuracy)}}
"""

FIXED = {
    "images": "test_images, test_labels",
    "centre": " - 0.5",
    "shuffle": "x, y = x[order], y[order]",
    "probabilities": "model.predict(x, verbose=0)",
    "loss": "categorical_crossentropy(y, probabilities)",
}

PLANTED = {
    "training set": {"images": "train_images, train_labels"},
    "normalisation": {"centre": ""},
    "shuffle": {"shuffle": "x = x[order]"},
    "softmax": {"probabilities": "keras.activations.softmax(model.predict(x, verbose=0))"},
    "sparse loss": {"loss": "sparse_categorical_crossentropy(y, probabilities)"},
}


def pipeline(*bugs, **changes):
    """The pipeline with ``bugs`` (names of checks.BUGS) left in it and the rest fixed."""
    import keras

    parts = dict(FIXED)
    for bug in bugs:
        parts.update(PLANTED[bug])
    parts.update(changes)
    namespace = {"np": np, "keras": keras, "mnist_course": mnist_course}
    exec(GIVEN.format(**parts), namespace)
    return namespace["report"]


@pytest.mark.full_data
def test_the_pipeline_the_notebook_gives_has_the_five_bugs_the_checks_name(fails_with):
    import keras
    import nbformat

    path = Path(__file__).parents[2] / "solutions/ex06_testing/ex06_testing.ipynb"
    [source] = [c.source for c in nbformat.read(path, 4).cells if c.get("id") == "report_as_given"]
    namespace = {"np": np, "keras": keras, "mnist_course": mnist_course}
    exec(source, namespace)
    given = namespace["report_as_given"]
    for bug in checks.BUGS:
        fails_with(checks.check_report, given, bug=bug, match="sparse loss one-hot labels")
    exec(source.replace("sparse_categorical_crossentropy", "categorical_crossentropy"), namespace)
    message = fails_with(checks.check_report, namespace["report_as_given"], bug=1, match="still")
    assert "also still there: normalisation, shuffle, softmax" in message
    checks.check_report(namespace["report_as_given"], bug=5)


@pytest.mark.full_data
def test_report_fixed_in_several_ways_passes_every_bug_check():
    import keras

    def with_evaluate(model, train_images, train_labels, test_images, test_labels):
        x, y = mnist_course.preprocess(test_images, test_labels)
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
        return model.evaluate(x, y, verbose=0, return_dict=True)

    def by_hand(model, train_images, train_labels, test_images, test_labels):
        x = test_images.reshape(len(test_images), -1) / 255 - 0.5
        p = model.predict(x, verbose=0)
        return {
            "loss": -np.mean(np.log(p[np.arange(len(p)), test_labels])),
            "accuracy": np.mean(p.argmax(axis=1) == test_labels),
        }

    def sparse(model, train_images, train_labels, test_images, test_labels):
        p = model.predict(mnist_course.normalize(test_images.reshape(-1, 784)), verbose=0)
        loss = keras.losses.sparse_categorical_crossentropy(test_labels, p)
        return {
            "loss": float(np.mean(loss)),
            "accuracy": float(np.mean(p.argmax(1) == test_labels)),
        }

    for report in (pipeline(), pipeline(shuffle=""), with_evaluate, by_hand, sparse):
        for bug in range(1, 6):
            checks.check_report(report, bug=bug)
    checks.check_report(pipeline(), bug=3, seed=1)


@pytest.mark.parametrize("bug", [b for b in checks.BUGS if b != "sparse loss"])
@pytest.mark.full_data
def test_each_silent_bug_left_alone_fails_its_check_only_and_is_named(bug, fails_with):
    report = pipeline(bug)
    what = checks.BUGS[bug][0]
    message = fails_with(checks.check_report, report, bug=bug, match="still")
    assert what in message and checks.BUGS[bug][1] in message
    for other in set(checks.BUGS) - {bug}:
        checks.check_report(report, bug=other)


@pytest.mark.full_data
def test_the_sparse_loss_stops_every_check_and_names_itself(fails_with):
    report = pipeline("sparse loss")
    for bug in checks.BUGS:
        message = fails_with(checks.check_report, report, bug=bug, match="raised ValueError")
        assert "sparse loss one-hot labels" in message


@pytest.mark.full_data
def test_bugs_left_together_are_each_named_and_the_fixed_ones_pass(fails_with):
    report = pipeline("training set", "shuffle", "softmax")
    message = fails_with(checks.check_report, report, bug="shuffle", match="still shuffled")
    assert "also still there: training set, softmax" in message
    checks.check_report(report, bug="normalisation", seed=1)
    checks.check_report(report, bug="sparse loss")


@pytest.mark.full_data
def test_a_pipeline_changed_in_another_way_fails_and_says_so(fails_with):
    report = pipeline(centre=" - 0.25")
    fails_with(checks.check_report, report, bug=2, match="no version of the pipeline gives")


@pytest.mark.full_data
def test_every_combination_of_bugs_gives_other_numbers_at_the_checks_seeds():
    for seed in (0, 1):
        scores = {
            (round(s["loss"], 4), s["accuracy"]) for s in checks._every_version(seed).values()
        }
        assert len(scores) == 2 ** (len(checks.BUGS) - 1)
