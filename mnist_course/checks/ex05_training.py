"""Checks of exercise 5, compiling and training: compile_model, train (and the test accuracy
that the two reach together), the number of weight updates fit makes (derived), and two
predictions (the untrained network's loss, the accuracy after training on shuffled labels)."""

from __future__ import annotations

import numpy as np

from ..data import NUM_CLASSES, NUM_PIXELS
from ._inputs import train_subset
from ._messages import blame, check_recorded, describe, fail, keras_mistake, quiet
from ._reference import (
    deterministic,
    eager_loss,
    measure_test_accuracy,
    reference_model,
)
from ._state import CheckFailed

GRADING_SECONDS = 7  # alone, as graded: see mnist_course.checks.grading_seconds

MIN_TEST_ACCURACY = 0.84
"""Test accuracy that :func:`check_test_accuracy` asks for: the reference's worst of 10 seeds
minus a margin of about 0.02 (1.6 standard deviations of the seed-to-seed spread).

Measured with exercise 5's solution (``model.compile("adam", "categorical_crossentropy",
["accuracy"])``; ``keras.utils.set_random_seed(seed)`` then ``model.fit(..., batch_size=32)``),
trained as the check trains (first 10,000 training images, 1 epoch) and tested on the 10,000
test images; ``benchmarks/bench_accuracy_threshold.py`` repeats it::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.8700 0.8845 0.8882 0.8806 0.8717 0.8724 0.8902 0.8945 0.8676 0.8588

    mean 0.8779, standard deviation 0.0115, worst 0.8588 (seed 9), margin 0.0188 -> 0.84

The same seed gives the same accuracy in a new process (seeds 0 and 3 rechecked).
"""


REFERENCE_ACCURACY_RANGE = (0.8588, 0.8945)
"""The lowest and highest test accuracy of the reference over the 10 seeds above."""

UNTRAINED_LOSS = (2.2, 2.6)
"""The predictions of the untrained network's test loss that pass: ln 10 = 2.303, the loss of
an answer that gives every digit 1/10, and every loss the course's untrained networks have,
with a margin of about 0.1 (two standard deviations).

``mnist_course.build_mlp(seed=seed)``, compiled, not trained, on the 10,000 test images::

    seed  0      1      2      3      4      5      6      7      8      9
    loss  2.4748 2.4497 2.3697 2.4149 2.3810 2.4115 2.4061 2.3975 2.3726 2.4197
    seed  10     11     12     13     14     15     16     17     18     19
    loss  2.4495 2.3367 2.3329 2.3140 2.3154 2.3850 2.3270 2.3898 2.4529 2.2950
    seed  20     21     22     23     24     25     26     27     28     29
    loss  2.3861 2.3713 2.3807 2.4538 2.3801 2.3564 2.3599 2.3619 2.3970 2.4505

    mean 2.3865, standard deviation 0.0465, lowest 2.2950 (seed 19), highest 2.4748 (seed 0)
"""

SHUFFLED_ACCURACY = (0.02, 0.2)
"""The predictions of the test accuracy after training on shuffled labels that pass: chance,
1 in 10, and every accuracy the course's runs reach, with a margin of about two standard
deviations.

The course's network (``build_mlp(seed=seed)``, ``compile_model``, ``train(..., epochs=1,
seed=seed)``) trained on the first 10,000 training images with their labels in the order of
``numpy.random.default_rng(seed + 200).permutation(10000)``, tested on the 10,000 test images
with their true labels::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.0649 0.1135 0.1208 0.1025 0.1323 0.1364 0.1138 0.0563 0.0723 0.0689

    mean 0.0982, standard deviation 0.0299, lowest 0.0563 (seed 7), highest 0.1364 (seed 5)
"""


@quiet
def check_compile_model(compile_model):
    """Check that ``compile_model(model)`` compiles with Adam (0.001), cross-entropy, accuracy.

    The loss and metric are checked by what they compute, so ``"categorical_crossentropy"``,
    ``keras.losses.CategoricalCrossentropy()`` and the function all pass. It must compile and
    return the model it is given, the course's and then one with another hidden layer and
    other weights, not a model of its own.

    Examples
    --------
    >>> from mnist_course.training import compile_model
    >>> check_compile_model(compile_model)
    """
    import keras

    model = reference_model()
    call = "compile_model(model)"
    given = model.get_weights()
    result = compile_model(model)
    _check_compiled(result, given, call)
    optimizer = result.optimizer
    if not isinstance(optimizer, keras.optimizers.Adam):
        fail(
            f"{call} compiled with the wrong optimizer.",
            expected="Adam",
            returned=type(optimizer).__name__,
            hint="optimizer='adam' or keras.optimizers.Adam(learning_rate=0.001)",
        )
    learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not np.isclose(learning_rate, 0.001, rtol=1e-6):
        fail(
            f"{call} compiled Adam with learning rate {learning_rate:g}.",
            expected="learning_rate=0.001 (Adam's default)",
            returned=f"learning_rate={learning_rate:g}",
            hint="keep Adam's default: optimizer='adam'",
        )
    _check_loss_and_metric(result, call)
    # Another model than the course's, with other weights: compile_model compiles the one it
    # is given, whatever it is
    from ..models import build_mlp

    other = build_mlp(hidden_units=(32,), seed=1)
    call = "compile_model(model) for a model with one hidden layer of 32 units"
    _check_compiled(compile_model(other), other.get_weights(), call)


def _check_compiled(result, given, call):
    """Fail unless ``result`` is the model given (its weights ``given``), compiled."""
    import keras

    if result is None:
        fail(
            f"{call} returned None.",
            expected="the compiled model",
            returned="None",
            hint="end with `return model` (model.compile(...) itself returns None)",
        )
    if not isinstance(result, keras.Model) or not getattr(result, "compiled", False):
        fail(
            f"{call} did not return a compiled model.",
            expected="the model, compiled",
            returned=describe(result),
            hint="call model.compile(optimizer=..., loss=..., metrics=[...]), then return model",
        )
    weights = result.get_weights()
    if len(weights) != len(given) or not all(
        w.shape == g.shape and np.array_equal(w, g) for w, g in zip(weights, given, strict=False)
    ):
        shapes = [tuple(w.shape) for w in weights[::2]]
        fail(
            f"{call} returned another model than the one it was given.",
            expected=f"the model given, compiled: kernels of shapes "
            f"{[tuple(g.shape) for g in given[::2]]}, its weights unchanged",
            returned=f"a model with kernels of shapes {shapes}"
            + (", other weights" if shapes == [tuple(g.shape) for g in given[::2]] else ""),
            hint="compile the model you are given, model.compile(...), and return it; do not "
            "build a new one",
        )


def _check_loss_and_metric(model, call):
    loss = model.loss
    if getattr(loss, "from_logits", False) or getattr(loss, "keywords", {}).get("from_logits"):
        fail(
            f"{call} compiled a loss with from_logits=True.",
            expected="from_logits=False (the default): the model's last layer applies softmax, "
            "so it outputs probabilities",
            returned=f"{type(loss).__name__}(from_logits=True)",
            hint="from_logits=True makes the loss apply softmax a second time, to "
            "probabilities: use loss='categorical_crossentropy', or "
            "keras.losses.CategoricalCrossentropy() without from_logits",
        )
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, size=(64, NUM_PIXELS)).astype(np.float32)
    y = np.eye(NUM_CLASSES, dtype=np.float32)[rng.integers(0, NUM_CLASSES, size=64)]
    probabilities = model.predict(x, verbose=0).astype(np.float64)
    expected_loss = float(np.mean(-np.log(np.clip(np.sum(y * probabilities, 1), 1e-7, 1))))
    expected_accuracy = float(np.mean(np.argmax(probabilities, 1) == np.argmax(y, 1)))
    scores = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    if not np.isclose(scores["loss"], expected_loss, rtol=1e-3, atol=1e-4):
        fail(
            f"{call} compiled the wrong loss.",
            expected=f"categorical cross-entropy: {expected_loss:.4f} on a test batch",
            returned=f"a loss of {scores['loss']:.4f} on that batch (loss={model.loss!r})",
            hint="loss='categorical_crossentropy' (the labels are one-hot)",
        )
    accuracies = {
        name: value
        for name, value in scores.items()
        if name in ("accuracy", "acc", "categorical_accuracy", "compile_metrics")
        and np.isclose(value, expected_accuracy, atol=1e-6)
    }
    if not accuracies:
        fail(
            f"{call} compiled without the accuracy metric.",
            expected="metrics=['accuracy'], reported as 'accuracy'",
            returned=f"metrics {sorted(name for name in scores if name != 'loss')}",
            hint="metrics=['accuracy']",
        )


@quiet
def check_train(train, *, epochs=2, seed=0, compare_seed=None, repeat=True):
    """Check ``train(model, x_train, y_train, epochs=..., seed=...)``: a History, lower loss,
    and the same numbers again for the same seed.

    With ``compare_seed``, also check that another seed gives other numbers (the seed is used).
    With ``repeat=False``, train once: the History and the lower loss only (a hidden test
    that only varies ``epochs`` and ``seed`` after a visible one checked the seeding).

    Examples
    --------
    >>> from mnist_course.training import train
    >>> check_train(lambda model, x, y, epochs, seed: train(model, x, y, epochs=epochs,
    ...     seed=seed, verbose=0))
    """
    from .. import training

    x_train, y_train = train_subset(2000)
    call = f"train(model, x_train, y_train, epochs={epochs}, seed={seed})"

    def run(run_seed, attempt):
        model = training.compile_model(reference_model(0), steps_per_execution=1)
        before = eager_loss(model, x_train, y_train)
        # Leave the random generators in another state on each attempt: only a train that
        # seeds them itself repeats its numbers
        deterministic(1000 + attempt)
        history = train(model, x_train, y_train, epochs=epochs, seed=run_seed)
        after = eager_loss(model, x_train, y_train)
        return history, before, after

    history, before, after = run(seed, 0)
    losses = _losses(history, call)
    if len(losses) != epochs:
        fail(
            f"{call} trained for {len(losses)} epochs.",
            expected=f"{epochs} epochs: {epochs} values in history.history['loss']",
            returned=f"{len(losses)} values",
            hint="pass epochs=epochs to model.fit"
            + (
                ": model.fit(x, y, a, b) takes a as batch_size and b as epochs, so a batch "
                "size of 32 given second became 32 epochs; name them, batch_size=32, "
                "epochs=epochs"
                if len(losses) == 32 != epochs
                else ""
            ),
        )
    if not after < before:
        fail(
            f"{call} did not lower the model's loss.",
            expected=f"the loss on x_train below its {before:.3f} before training",
            returned=f"a loss of {after:.3f} after training",
            hint="train the model you were given: model.fit(x_train, y_train, ...)",
        )
    if not repeat:
        return
    again, _, _ = run(seed, 1)
    if not np.allclose(again.history["loss"], losses, rtol=1e-6, atol=0):
        fail(
            f"{call} gave other losses when run again with the same seed.",
            expected=f"the same losses {np.round(losses, 5).tolist()}",
            returned=f"losses {np.round(again.history['loss'], 5).tolist()}",
            hint="call keras.utils.set_random_seed(seed) before model.fit",
        )
    if compare_seed is not None:
        other, _, _ = run(compare_seed, 2)
        if np.allclose(other.history["loss"], losses, rtol=1e-6, atol=0):
            fail(
                f"{call} gave the same losses for seed={compare_seed}.",
                expected="other losses for another seed (the batches are shuffled differently)",
                returned=f"the same losses {np.round(losses, 5).tolist()}",
                hint="seed with the argument: keras.utils.set_random_seed(seed)",
            )


def _losses(history, call):
    """The per-epoch losses of the History that train returned, or fail saying what came back."""
    import keras

    if isinstance(history, keras.callbacks.History) and "loss" in history.history:
        return history.history["loss"]
    hint = "return model.fit(...): fit returns the History"
    if isinstance(history, keras.Model):
        hint = "that is the model; return what model.fit(...) returns, the History"
    elif isinstance(history, dict) and "loss" in history:
        hint = "that is history.history; return the History itself: return model.fit(...)"
    fail(
        f"{call} did not return the History.",
        expected="the History that model.fit returns (history.history['loss'], ...)",
        returned=describe(history),
        hint=hint,
    )


@quiet
def check_test_accuracy(compile_model, train, *, seed=0):
    """Check that the course's model, compiled and trained by these functions, learns.

    It builds the course's model, compiles it with ``compile_model``, trains it with
    ``train`` on the first ``ACCURACY_TRAIN_SIZE`` training images for ``ACCURACY_EPOCHS``
    epoch(s) at batch size 32 and asks for ``MIN_TEST_ACCURACY`` on the 10,000 test images.

    Examples
    --------
    >>> from mnist_course import training
    >>> check_test_accuracy(training.compile_model, lambda model, x, y, epochs, seed:
    ...     training.train(model, x, y, epochs=epochs, seed=seed, verbose=0))  # doctest: +SKIP
    """
    compiled = _compiled_by(compile_model)
    try:
        accuracy = measure_test_accuracy(compiled, train, seed=seed)
    except (ValueError, TypeError) as error:
        _blame_compile_arguments(error, compiled.models)
        raise
    if accuracy < MIN_TEST_ACCURACY:
        fail(
            f"the model trained by your compile_model and train reached test accuracy "
            f"{accuracy:.4f}.",
            expected=f"at least {MIN_TEST_ACCURACY} (the course's reference reaches "
            f"{REFERENCE_ACCURACY_RANGE[0]:.4f} to {REFERENCE_ACCURACY_RANGE[1]:.4f})",
            returned=f"{accuracy:.4f}",
            hint="compile with Adam, categorical cross-entropy and accuracy; in train, "
            "model.fit(x_train, y_train, epochs=epochs, batch_size=32)",
        )


def _compiled_by(compile_model):
    """``compile_model``, whose failures are blamed on it: a later check that trains the model
    it returns says in one line that compile_model is at fault, not train."""
    import keras

    def compiled(model):
        try:
            result = compile_model(model)
        except (NotImplementedError, CheckFailed):
            raise
        except Exception as error:
            blame("compile_model", "test_compile_model", f"raised {type(error).__name__}")
        if not isinstance(result, keras.Model) or not getattr(result, "compiled", False):
            what = "returned None" if result is None else f"returned {describe(result)}"
            if isinstance(result, keras.Model):
                what = "returned a model that is not compiled"
            blame("compile_model", "test_compile_model", f"{what}, not the compiled model")
        compiled.models.append(result)
        return result

    compiled.models = []
    return compiled


def _updates(n, batch_size, epochs, validation_split, *, rounding=np.ceil, validation=False):
    """The weight updates of ``fit``: ``epochs`` times the batches of the images it trains on
    (Keras keeps the last ``validation_split`` of them apart, ``floor(n * (1 - split))`` first)."""
    trained = int(np.floor(n * (1 - validation_split)))
    batches = int(rounding(trained / batch_size))
    if validation:
        batches += int(np.ceil((n - trained) / batch_size))
    return epochs * batches


def _trained_sizes(n, validation_split):
    """The sizes of the training part a correct answer may compute (they differ, if at all,
    by one image through floating-point rounding)."""
    return {
        int(np.floor(n * (1 - validation_split))),
        round(n * (1 - validation_split)),
        n - int(np.ceil(n * validation_split)),
        n - round(n * validation_split),
    }


@quiet
def check_weight_updates(weight_updates, *, n=60000, batch_size=32, epochs=1, validation_split=0.0):
    """Check ``weight_updates(n, batch_size=..., epochs=..., validation_split=...)``: how many
    times ``model.fit`` updates the weights.

    Examples
    --------
    >>> import math
    >>> check_weight_updates(lambda n, batch_size=32, epochs=1, validation_split=0.0:
    ...     epochs * math.ceil(math.floor(n * (1 - validation_split)) / batch_size))
    """
    call = (
        f"weight_updates({n}, batch_size={batch_size}, epochs={epochs}, "
        f"validation_split={validation_split})"
    )
    result = weight_updates(
        n, batch_size=batch_size, epochs=epochs, validation_split=validation_split
    )
    if isinstance(result, bool) or not isinstance(result, int | float | np.integer | np.floating):
        fail(
            f"{call} did not return a number.",
            expected="an int: how many times fit updates the weights",
            returned=describe(result),
            hint="return one whole number",
        )
    expected = _updates(n, batch_size, epochs, validation_split)
    accepted = {
        epochs * int(np.ceil(trained / batch_size))
        for trained in _trained_sizes(n, validation_split)
    }
    if result in accepted:
        if validation_split == 0 and n % batch_size == 0:
            # a call that shows more: a last, smaller batch, a validation split, two epochs
            check_weight_updates(
                weight_updates,
                n=9990,
                batch_size=batch_size,
                epochs=epochs + 1,
                validation_split=0.2,
            )
        return
    trained = int(np.floor(n * (1 - validation_split)))
    hint = (
        "fit takes one step per batch of the images it trains on, in every epoch: "
        "count the batches of one epoch, then the epochs"
    )
    mistakes = [
        (
            _updates(n, batch_size, epochs, validation_split, rounding=np.floor),
            f"{trained} images make {trained / batch_size:g} batches of {batch_size}: the last, "
            "smaller batch is a step too (round up)",
        ),
        (
            _updates(n, batch_size, epochs, 0.0),
            f"validation_split={validation_split} keeps the last part of the images apart: fit "
            "never trains on them",
        ),
        (
            _updates(n, batch_size, epochs, validation_split, validation=True),
            "the validation images are only evaluated after each epoch: they take no steps",
        ),
        (
            _updates(n, batch_size, 1, validation_split),
            f"that is one epoch: fit goes through the images epochs={epochs} times",
        ),
        (epochs * trained, "one step per batch of batch_size images, not one per image"),
        (
            epochs * trained / batch_size,
            "a number of batches is whole: the last, smaller batch is a step too (round up)",
        ),
    ]
    for value, why in mistakes:
        if value != expected and np.isclose(result, value, rtol=0, atol=1e-6):
            hint = why
            break
    fail(
        f"{call} returned {result:g}.",
        expected=f"the number of weight updates fit makes: one per batch, in each of the "
        f"{epochs} epoch(s)",
        returned=f"{result:g}",
        hint=hint,
    )


@quiet
def check_untrained_loss(value):
    """Check the prediction ``PREDICTED_UNTRAINED_LOSS`` against :data:`UNTRAINED_LOSS`.

    Examples
    --------
    >>> check_untrained_loss(2.3)
    """
    check_recorded(
        value,
        name="PREDICTED_UNTRAINED_LOSS",
        question="the categorical cross-entropy of the compiled, untrained network on the "
        "test images",
        accepted=UNTRAINED_LOSS,
        mistakes=[
            (
                0.05,
                0.15,
                "that is about the probability an untrained network gives the true digit; the "
                "loss is minus the log of that probability",
            ),
            (
                0.9,
                1.1,
                "that is -log10(1/10): the cross-entropy uses the natural logarithm, ln",
            ),
            (
                0,
                UNTRAINED_LOSS[0],
                "that is a loss after training: before it, the network's probabilities know "
                "nothing about the image",
            ),
            (
                UNTRAINED_LOSS[1],
                np.inf,
                "too high: the untrained network spreads its probability over the 10 digits "
                "about evenly, so what does it give the true one?",
            ),
        ],
        hint="the loss is the mean of -ln(p), p the probability given to the true digit",
    )


@quiet
def check_shuffled_accuracy(value):
    """Check the prediction ``PREDICTED_SHUFFLED_ACCURACY`` against :data:`SHUFFLED_ACCURACY`.

    Examples
    --------
    >>> check_shuffled_accuracy(0.1)
    """
    check_recorded(
        value,
        name="PREDICTED_SHUFFLED_ACCURACY",
        question="the test accuracy of the network trained on labels shuffled apart from "
        "their images, a fraction between 0 and 1",
        accepted=SHUFFLED_ACCURACY,
        mistakes=[
            (1.5, 100, "write the accuracy as a fraction between 0 and 1, not a percentage"),
            (
                SHUFFLED_ACCURACY[1],
                1,
                "the shuffled labels no longer say which digit an image shows: what the network "
                "learns from them does not carry over to the test images",
            ),
        ],
        hint="how often is an answer that learned nothing about digits right, with 10 digits?",
    )


def _blame_compile_arguments(error, models):
    """Blame compile_model for a Keras error that train met because of what compile_model
    compiled (an unknown metric name, say): Keras compiles lazily, so such an error is raised
    at model.fit, in train. Only when the compiled model itself fails the same way."""
    if not models or keras_mistake(error) is None:
        return
    x = np.zeros((2, NUM_PIXELS), dtype=np.float32)
    y = np.eye(NUM_CLASSES, dtype=np.float32)[:2]
    try:
        models[-1].evaluate(x, y, verbose=0)
    except (ValueError, TypeError) as own:
        mistake = keras_mistake(own)
        if mistake is not None:
            blame(
                "compile_model",
                "test_compile_model",
                f"compiled a model that Keras cannot train ({mistake[0]})",
            )
