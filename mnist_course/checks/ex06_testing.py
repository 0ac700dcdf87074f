"""Checks of exercise 6, testing the model: evaluate, predict_labels, misclassified, and a
test pipeline with five planted bugs (report), each graded on its own."""

from __future__ import annotations

import functools

import numpy as np

from ..data import NUM_CLASSES
from ._inputs import mnist_images, mnist_labels, prepared
from ._messages import as_array, describe, fail, keras_mistake, quiet, raised_in
from ._reference import reference_model
from ._state import CheckFailed, kept

GRADING_SECONDS = 6  # alone, as graded: see mnist_course.checks.grading_seconds

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
        hint = "model.evaluate(x_test, y_test, return_dict=True) gives that dict"
        if isinstance(result, dict) and "compile_metrics" in result:
            hint = (
                "Keras 3's model.metrics_names is ['loss', 'compile_metrics'], not the "
                "metrics' own names: " + hint
            )
        fail(
            f"{call} did not return a dict with 'loss' and 'accuracy'.",
            expected=wanted,
            returned=describe(result),
            hint=hint,
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
        elif result.shape == () and result.dtype.kind in "iu" and result >= NUM_CLASSES:
            hint = (
                f"{int(result)} is a position in the probabilities flattened into one row: "
                "argmax without an axis looks at the whole array; give it the axis of the "
                "10 digits"
            )
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
    result = misclassified(y_true.copy(), y_pred.copy())
    if isinstance(result, tuple) and len(result) == 1:
        fail(
            f"{call} returned a tuple of one array, as np.where and np.nonzero give.",
            expected=f"the indices {expected.tolist()}, one array",
            returned=f"tuple {tuple(np.asarray(part).tolist() for part in result)}",
            hint="np.where(condition) and np.nonzero(condition) return one array of indices "
            "per dimension, in a tuple; for labels of one dimension, return its only array",
        )
    result = as_array(result, call, "the indices")
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


# ---------------------------------------------------------------------------------------------
# Part D: a test pipeline with five planted bugs, each graded on its own

BUGS = {
    "training set": (
        "measured the training images, not the test images",
        "a model is judged on images it never trained on: prepare and score test_images and "
        "test_labels; train_images and train_labels only show how far apart the two are",
    ),
    "normalisation": (
        "scaled the test images otherwise than the training images",
        "the model was trained on mnist_course.preprocess's images, scaled to [-0.5, 0.5] "
        "(x / 255 - 0.5); scale the test images exactly so, with mnist_course.normalize",
    ),
    "shuffle": (
        "shuffled the images apart from their labels",
        "the images were put in a new order and their labels were not, so most labels belong "
        "to another image: shuffle both with the same order (x[order], y[order]), or not at all",
    ),
    "softmax": (
        "applied softmax to probabilities (softmax twice, or from_logits=True)",
        "the model's last layer is a softmax already: model.predict gives probabilities; take "
        "the loss of those (categorical_crossentropy with from_logits=False, the default)",
    ),
    "sparse loss": (
        "gave a sparse loss one-hot labels",
        "sparse_categorical_crossentropy takes labels 0..9; with one-hot labels use "
        "categorical_crossentropy (or give the sparse loss the integer labels)",
    ),
}
"""The bugs planted in exercise 6's ``report_as_given``: name -> (what it did, the fix)."""

PIPELINE_SIZE = 500
"""Test (and training) images each call of the pipeline check uses."""


@functools.cache
def _centroid_model(seed=0):
    """A softmax model that needs no training: each digit's score is how close an image is to
    that digit's mean training image (a nearest-mean classifier, about 80% right), so every
    machine gives the same predictions. ``seed`` picks which training images make the means.
    Built in each test cell from weights worked out once per process (:func:`_state.kept`)."""
    import keras

    from .. import training

    weights, images, labels = kept((__name__, "centroid", seed), lambda: _centroid(seed))
    model = keras.Sequential(
        [keras.Input(shape=(weights[0].shape[0],)), keras.layers.Dense(NUM_CLASSES, "softmax")]
    )
    model.layers[0].set_weights(weights)
    # compiled as the course's model is (the notebook's report is given a compiled model): a
    # report that ends with Part A's evaluate, or model.evaluate, is right
    training.compile_model(model)
    return model, images, labels


def _centroid(seed):
    """The centroid model's weights, and the training images and labels given with it."""
    from .. import preprocessing

    start = seed * 5000
    images, labels = (
        mnist_images(start + 5000, split="train"),
        mnist_labels(start + 5000, split="train"),
    )
    x, y = preprocessing.normalize(images[start:].reshape(5000, -1)), labels[start:]
    means = np.stack([x[y == digit].mean(axis=0) for digit in range(NUM_CLASSES)])
    scale = 0.12  # soft enough that no probability falls below Keras's clip, 1e-7
    weights = [scale * means.T, -scale * 0.5 * np.sum(means**2, axis=1)]
    return weights, images[start : start + PIPELINE_SIZE], labels[start : start + PIPELINE_SIZE]


def _pipeline_data(seed):
    """The model, the training images and labels it was made from, and test images and labels
    (``seed`` picks another stretch of each)."""
    model, train_images, train_labels = _centroid_model(seed)
    end = PIPELINE_SIZE * (seed + 1)
    test_images, test_labels = mnist_images(end), mnist_labels(end)
    return (
        model,
        train_images,
        train_labels,
        test_images[-PIPELINE_SIZE:],
        test_labels[-PIPELINE_SIZE:],
    )


def _softmax(values):
    values = values - values.max(axis=1, keepdims=True)
    e = np.exp(values)
    return e / e.sum(axis=1, keepdims=True)


def pipeline_scores(model, train_images, train_labels, test_images, test_labels, *, bugs=()):
    """The loss and accuracy that ``report_as_given`` returns with only ``bugs`` left in it
    (any of :data:`BUGS` but "sparse loss", which raises); no bugs gives the right numbers.

    Examples
    --------
    >>> data = _pipeline_data(0)
    >>> right = pipeline_scores(*data)
    >>> 0.7 < right["accuracy"] < 0.9, pipeline_scores(*data, bugs=["shuffle"])["accuracy"] < 0.2
    (True, True)
    """
    probabilities = _probabilities(model, train_images, test_images, bugs)
    return _scores(probabilities, train_labels, test_labels, bugs)


_PREPARING = ("training set", "normalisation")
"""The bugs that change which images the model is given, and how they are scaled."""


def _probabilities(model, train_images, test_images, bugs):
    """The model's probabilities for the images the pipeline prepares, in their first order."""
    images = train_images if "training set" in bugs else test_images
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    if "normalisation" not in bugs:
        x = x - np.float32(0.5)
    return np.asarray(model.predict(x, batch_size=1000, verbose=0), dtype=np.float64)


def _scores(probabilities, train_labels, test_labels, bugs):
    """The pipeline's numbers from the model's probabilities for the images it prepared."""
    labels = np.asarray(train_labels if "training set" in bugs else test_labels, dtype=np.int64)
    if "shuffle" in bugs:  # the images in a new order, the labels not
        probabilities = probabilities[np.random.default_rng(0).permutation(len(labels))]
    if "softmax" in bugs:
        probabilities = _softmax(probabilities)
    chosen = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1)
    return {
        "loss": float(np.mean(-np.log(chosen))),
        "accuracy": float(np.mean(np.argmax(probabilities, axis=1) == labels)),
    }


def _every_version(seed):
    """``{bugs left: scores}`` for every combination of the silent bugs (the model predicts
    each of the four preparations of the images once), worked out once per process."""
    return kept((__name__, "versions", seed), lambda: _versions(seed))


def _versions(seed):
    model, train_images, train_labels, test_images, test_labels = _pipeline_data(seed)
    predicted = {}
    versions = {}
    for bugs in _combinations():
        preparing = tuple(bug for bug in bugs if bug in _PREPARING)
        if preparing not in predicted:
            predicted[preparing] = _probabilities(model, train_images, test_images, preparing)
        versions[bugs] = _scores(predicted[preparing], train_labels, test_labels, bugs)
    return versions


def _combinations():
    silent = [bug for bug in BUGS if bug != "sparse loss"]
    return [
        tuple(bug for i, bug in enumerate(silent) if mask >> i & 1)
        for mask in range(2 ** len(silent))
    ]


@quiet
def check_report(report, *, bug, seed=0):
    """Check that ``report(model, train_images, train_labels, test_images, test_labels)`` no
    longer has the planted bug ``bug`` (one of :data:`BUGS`, or its number in their order, so
    that the released test cells do not list them).

    The check computes what the pipeline returns with every combination of the silent bugs
    left in it, finds the one the student's numbers match, and names the bugs still there;
    the one for ``bug`` fails. Numbers that match no combination fail every bug's check: the
    pipeline was changed in another way. ``seed`` picks another model and other images.

    Examples
    --------
    >>> def report(model, train_images, train_labels, test_images, test_labels):
    ...     return pipeline_scores(model, train_images, train_labels, test_images, test_labels)
    >>> for bug in BUGS:
    ...     check_report(report, bug=bug)
    """
    if bug in range(1, len(BUGS) + 1):
        bug = list(BUGS)[bug - 1]  # the test cells count the bugs, in the pipeline's order
    if bug not in BUGS:
        raise ValueError(f"bug must be 1..{len(BUGS)} or one of {list(BUGS)}, not {bug!r}")
    data = _pipeline_data(seed)
    call = "report(model, train_images, train_labels, test_images, test_labels)"
    versions = _every_version(seed)
    right = versions[()]
    wanted = f"{{'loss': {right['loss']:.4f}, 'accuracy': {right['accuracy']:.4f}}}"
    try:
        result = report(*(a.copy() if isinstance(a, np.ndarray) else a for a in data))
    except (CheckFailed, NotImplementedError):  # a stub fails as every other check's does
        raise
    except Exception as error:  # the student's error, as data: named, never a traceback
        message = str(error).splitlines()[0][:200] if str(error) else ""
        if isinstance(error, ValueError) and "target.ndim - 1" in str(error):
            what, fix = BUGS["sparse loss"]
            still = "this bug" if bug == "sparse loss" else "the sparse loss bug, which stops it"
            fail(
                f"{call} raised ValueError: {message}",
                expected=wanted,
                returned=f"an error: the pipeline still {what} ({still})",
                hint=fix,
            )
        mistake = keras_mistake(error)
        if mistake is not None:
            function, code = raised_in(error)
            where = f" in {function}() at `{code.strip()}`" if function else ""
            fail(
                f"{call} raised {type(error).__name__}{where}: {mistake[0]}.",
                expected=wanted,
                returned="an error",
                hint=mistake[1],
            )
        fail(
            f"{call} raised {type(error).__name__}: {message}",
            expected=wanted,
            returned="an error",
            hint="run report in the notebook on the test set to see which line fails",
        )
    if not isinstance(result, dict) or not {"loss", "accuracy"} <= set(result):
        fail(
            f"{call} did not return a dict with 'loss' and 'accuracy'.",
            expected=wanted,
            returned=describe(result),
            hint="keep the pipeline's last line: return {'loss': ..., 'accuracy': ...}",
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
    returned = f"{{'loss': {loss:.4f}, 'accuracy': {accuracy:.4f}}}"
    matched = [bugs for bugs in _combinations() if _close(versions[bugs], loss, accuracy)]
    if not matched and accuracy < _chance_level(data) + 0.05 < right["accuracy"]:
        if bug != "shuffle":  # said once, by the check of the bug it is a form of
            number = list(BUGS).index("shuffle") + 1
            fail(
                f"{call} cannot be checked for this bug while its labels no longer belong to "
                f"their images (an accuracy of {accuracy:.4f}, what guessing gives).",
                expected=wanted,
                returned=returned,
                hint=f"fix that first: the check of the bug it comes from, test_report_{number}, "
                "says how; this check then runs again and can tell whether its bug is there",
            )
        fail(
            f"{call} returned an accuracy of {accuracy:.4f}, about what guessing gives: "
            "the labels no longer belong to their images.",
            expected=wanted,
            returned=f"{returned}; no version of the pipeline, fixed or not, gives it",
            hint="an image and its label must stay together: shuffle both with the same "
            "order (one permutation, used for x and for y), or do not shuffle at all; then "
            "this check can tell which bugs are still there",
        )
    if not matched:
        fail(
            f"{call} returned numbers that no version of the pipeline gives, fixed or not.",
            expected=wanted,
            returned=returned,
            hint="fix the five bugs of report_as_given and change nothing else: the same "
            "model, the test images prepared as in training, the mean cross-entropy and the "
            "share of images whose most likely digit is their label",
        )
    left = matched[0]
    if bug in left:
        what, fix = BUGS[bug]
        others = [other for other in left if other != bug]
        also = f"; also still there: {', '.join(others)}" if others else ""
        fail(
            f"{call} still {what}.",
            expected=wanted,
            returned=f"{returned}, what the pipeline gives with this bug{also}",
            hint=fix,
        )


def _chance_level(data):
    """The accuracy of the model's predictions against labels paired with other images at
    random: the chance that a prediction and an unrelated label agree."""
    model, _, _, test_images, test_labels = data
    predicted = np.argmax(_probabilities(model, None, test_images, ()), axis=1)
    shares = np.bincount(predicted, minlength=NUM_CLASSES) / len(predicted)
    return float(shares @ (np.bincount(test_labels, minlength=NUM_CLASSES) / len(test_labels)))


def _close(scores, loss, accuracy):
    return abs(scores["accuracy"] - accuracy) <= 1e-6 and np.isclose(
        scores["loss"], loss, rtol=2e-3, atol=1e-4
    )
