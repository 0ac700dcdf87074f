"""Checks of exercise 7, when a network memorises: a validation split, the best epoch of a
history, and a number of epochs chosen on validation data, never on the test set.

The choice check seals the test set while the student's function runs: the notebook's
``x_test`` and ``y_test`` (the function's globals) and every way to load MNIST again raise
:class:`CheckFailed`, with a message that says why the test set is off limits. So it can tell
a choice made on validation data from one made on the test set, whatever the results.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..sandbox.watch import watch
from ._messages import as_array, describe, fail, quiet
from ._reference import epochs_run, fingerprint, overfitting_data, stored
from ._state import CheckFailed

GRADING_SECONDS = 19  # alone, as graded: see mnist_course.checks.grading_seconds

TEST_SET_NAMES = ("x_test", "y_test")
"""The notebook's names of the test set, sealed while a choice is made."""


# ---------------------------------------------------------------------------------------------
# Part A: a validation split


def _sorted_data(n=60, features=3, classes=3):
    """Rows whose first column is their index, labels sorted by class (as files often are)."""
    x = np.column_stack([np.arange(n), np.random.default_rng(0).normal(size=(n, features - 1))])
    y = np.eye(classes)[np.arange(n) * classes // n]
    return x, y


@quiet
def check_split_validation(split_validation, *, n=60, validation_size=15, seed=0):
    """Check ``split_validation(x, y, validation_size=..., seed=...)``: a shuffled hold-out.

    It must return ``(x_train, y_train), (x_val, y_val)``: ``validation_size`` rows held
    out, the rest for training, no row in both, each label still with its image, the rows
    drawn at random (the input is sorted by label, as files often are), the same split for
    the same seed and another one for another seed.

    Examples
    --------
    >>> def split(x, y, *, validation_size=10000, seed=0):
    ...     order = np.random.default_rng(seed).permutation(len(x))
    ...     val, train = order[:validation_size], order[validation_size:]
    ...     return (x[train], y[train]), (x[val], y[val])
    >>> check_split_validation(split)
    """
    x, y = _sorted_data(n)
    call = f"split_validation(x, y, validation_size={validation_size}, seed={seed})"
    (x_train, y_train), (x_val, y_val) = _split(split_validation, call, x, y, validation_size, seed)
    lengths = [len(a) for a in (x_train, y_train, x_val, y_val)]
    if lengths[0] != lengths[1] or lengths[2] != lengths[3]:
        fail(
            f"{call} returned pairs whose images and labels differ in number.",
            expected=f"(x_train, y_train) of {n - validation_size} rows each, "
            f"(x_val, y_val) of {validation_size} rows each",
            returned="({}, {}), ({}, {}) rows".format(*lengths),
            hint="each pair holds images and their labels: "
            "return (x_train, y_train), (x_val, y_val), not (x_train, x_val), (y_train, y_val)",
        )
    if len(x_val) != validation_size:
        hint = "hold out exactly validation_size rows for validation"
        if len(x_val) == n - validation_size and len(x_train) == validation_size:
            hint = (
                "training and validation are swapped: the first pair is for training, the "
                "second, of validation_size rows, for validation"
            )
        fail(
            f"{call} held out {len(x_val)} rows of {n}.",
            expected=f"{validation_size} validation rows and {n - validation_size} training rows",
            returned=f"{len(x_val)} validation rows and {len(x_train)} training rows",
            hint=hint,
        )
    train_ids, val_ids = x_train[:, 0].astype(int), x_val[:, 0].astype(int)
    for ids, name in ((val_ids, "validation"), (train_ids, "training")):
        repeated = len(ids) - len(np.unique(ids))
        if repeated:
            fail(
                f"{call} put some rows twice in the {name} set.",
                expected=f"{len(ids)} different rows in the {name} set",
                returned=f"{len(np.unique(ids))} different rows, {repeated} of them repeated",
                hint="draw the rows without replacement: a permutation of the rows holds "
                "each once (rng.choice draws with replacement unless told replace=False)",
            )
    both = np.intersect1d(train_ids, val_ids)
    if both.size or len(x_train) != n - validation_size:
        fail(
            f"{call} put {both.size} rows in both sets.",
            expected="every row in exactly one of the two sets",
            returned=f"{len(x_train)} training rows, {both.size} of them also in validation",
            hint="validation data must be data the model never trains on: split one order "
            "into order[:validation_size] and order[validation_size:]",
        )
    for ids, labels, name in ((train_ids, y_train, "y_train"), (val_ids, y_val, "y_val")):
        if not np.array_equal(labels, y[ids]):
            fail(
                f"{call} separated images from their labels.",
                expected=f"{name}[i] the label of row i of its images",
                returned="labels in another order than their images",
                hint="index x and y with the same order: x[order], y[order]",
            )
    classes = np.unique(np.argmax(y_val, axis=1))
    if len(classes) < y.shape[1]:
        fail(
            f"{call} held out rows of {len(classes)} class(es) only, for labels sorted by class.",
            expected="validation rows drawn at random from every class",
            returned=f"validation labels {classes.tolist()} only",
            hint="shuffle before splitting: "
            "order = np.random.default_rng(seed).permutation(len(x))",
        )
    (_, _), (again, _) = _split(split_validation, call, x, y, validation_size, seed)
    if not np.array_equal(again[:, 0], x_val[:, 0]):
        fail(
            f"{call} held out other rows when run again.",
            expected="the same split for the same seed",
            returned="another split",
            hint="draw the order with np.random.default_rng(seed)",
        )
    other_call = call.replace(f"seed={seed}", f"seed={seed + 1}")
    (_, _), (other, _) = _split(split_validation, other_call, x, y, validation_size, seed + 1)
    if np.array_equal(other[:, 0], x_val[:, 0]):
        fail(
            f"{other_call} held out the same rows as seed={seed}.",
            expected="another split for another seed",
            returned="the same split",
            hint="use the seed argument: np.random.default_rng(seed)",
        )


def _split(split_validation, call, x, y, validation_size, seed):
    x_copy, y_copy = x.copy(), y.copy()
    result = split_validation(x_copy, y_copy, validation_size=validation_size, seed=seed)
    if not np.array_equal(x_copy, x) or not np.array_equal(y_copy, y):
        fail(
            f"{call} changed its input.",
            expected="x and y left as they were",
            returned="x or y shuffled in place",
            hint="index into new arrays (x[order]) instead of np.random.shuffle(x)",
        )
    try:
        (x_train, y_train), (x_val, y_val) = result
    except (TypeError, ValueError):
        fail(
            f"{call} did not return two pairs.",
            expected="(x_train, y_train), (x_val, y_val)",
            returned=describe(result),
            hint="end with `return (x_train, y_train), (x_val, y_val)`",
        )
    arrays = [
        as_array(a, call, name)
        for a, name in zip(
            (x_train, y_train, x_val, y_val), ("x_train", "y_train", "x_val", "y_val"), strict=True
        )
    ]
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


# ---------------------------------------------------------------------------------------------
# Part B: the best epoch of a history

# Training keeps improving while validation turns: the best epochs differ by criterion
_HISTORY = {
    "loss": [1.2, 0.6, 0.35, 0.2, 0.1, 0.05],
    "accuracy": [0.62, 0.80, 0.89, 0.94, 0.98, 0.995],
    "val_loss": [1.1, 0.62, 0.51, 0.55, 0.63, 0.72],
    "val_accuracy": [0.64, 0.79, 0.83, 0.845, 0.843, 0.839],
}


@quiet
def check_best_epoch(best_epoch, *, history=None):
    """Check ``best_epoch(history, monitor)`` for ``val_loss`` (lowest) and ``val_accuracy``
    (highest): the epoch counted from 1, and the value there.

    Examples
    --------
    >>> def best(history, monitor="val_loss"):
    ...     values = history[monitor]
    ...     pick = min if monitor.endswith("loss") else max
    ...     value = pick(values)
    ...     return values.index(value) + 1, value
    >>> check_best_epoch(best)
    """
    history = _HISTORY if history is None else history
    for monitor in ("val_loss", "val_accuracy"):
        values = list(history[monitor])
        index = int(np.argmin(values) if monitor.endswith("loss") else np.argmax(values))
        expected = (index + 1, values[index])
        call = f"best_epoch(history, monitor={monitor!r}) for history[{monitor!r}] = {values}"
        copy = {key: list(value) for key, value in history.items()}
        result = best_epoch(copy, monitor=monitor)
        if copy != {key: list(value) for key, value in history.items()}:
            fail(
                f"{call} changed the history.",
                expected="history left as it was",
                returned="a changed history",
                hint="find the best value without sorting or changing the lists",
            )
        epoch, value = _epoch_and_value(
            result, call, expected=f"a tuple {expected}", hint="end with `return epoch, value`"
        )
        if (epoch, value) == expected:
            continue
        if (value, epoch) == expected:
            fail(
                f"{call} returned {_shown(result)}.",
                expected=f"{expected}: the epoch first, then the value",
                returned=_shown(result),
                hint="the order is (epoch, value): `return epoch, value`",
            )
        hint = "the best validation loss is the lowest; the best accuracy the highest"
        training = monitor.removeprefix("val_")
        train_values = list(history[training])
        if epoch == index:
            hint = "epochs count from 1: the first epoch is history index 0, so add 1"
        elif value in train_values and value not in values:
            hint = f"that is the training {training}; choose on the validation one, {monitor}"
        elif value == (max(values) if monitor.endswith("loss") else min(values)):
            hint = (
                "that is the worst epoch: the lowest loss is best"
                if monitor.endswith("loss")
                else "that is the worst epoch: the highest accuracy is best"
            )
        fail(
            f"{call} returned {_shown(result)}.",
            expected=f"{expected}: epoch {expected[0]} has the best {monitor}",
            returned=_shown(result),
            hint=hint,
        )


def _shown(result):
    """A returned pair as it was returned: ``(0.51, 3)``, numpy scalars as plain numbers."""
    try:
        first, second = (item.item() if isinstance(item, np.generic) else item for item in result)
        return f"({first!r}, {second!r})"
    except (TypeError, ValueError, IndexError):
        return describe(result)


def _epoch_and_value(result, call, *, expected, hint):
    """Read ``(epoch, value)`` from a returned value, or fail saying what was expected.

    An epoch that is not a whole number is taken as the other value first (it is kept, never
    rounded), so that a pair in the wrong order is shown and judged as it was returned.
    """
    try:
        epoch, value = result
        epoch, value = float(epoch), float(value)
    except (TypeError, ValueError):
        fail(
            f"{call} did not return an epoch and a value.",
            expected=expected,
            returned=describe(result),
            hint=hint,
        )
    return int(epoch) if epoch.is_integer() else epoch, value


# ---------------------------------------------------------------------------------------------
# Part C: a number of epochs chosen on validation data


class SealedTestSet:
    """Stands in for the test set while a choice is made: any use of it fails the check."""

    def __init__(self, name, call):
        object.__setattr__(self, "_message", _sealed_message(name, call))

    def _refuse(self, *args, **kwargs):
        raise CheckFailed(object.__getattribute__(self, "_message"))

    __array__ = __len__ = __iter__ = __getitem__ = __float__ = __bool__ = _refuse

    def __getattr__(self, name):
        self._refuse()

    def __repr__(self):
        return "<the test set, sealed while the setting is chosen>"


def _sealed_message(what, call):
    return "\n".join(
        [
            f"{call} used {what} while choosing.",
            "  expected: a choice made on x_val and y_val only",
            f"  returned: a function that reads {what}",
            "  hint: the test set measures the chosen setting once, after the choice; a choice "
            "made on it makes its accuracy an optimistic guess. Compare the settings on "
            "x_val, y_val",
        ]
    )


@watch
@contextlib.contextmanager
def sealed_test_set(function, call):
    """While the block runs, the test set is out of ``function``'s reach.

    The function's globals ``x_test`` and ``y_test`` become :class:`SealedTestSet`, and
    ``mnist_course.load_mnist``, ``mnist_course.load_course_data`` and Keras's
    ``mnist.load_data`` fail; everything is put back afterwards. A function of the student's
    that runs in another process (``mnist_course.sandbox``) is sealed there, call by call.
    """
    if hasattr(function, "watching"):
        with function.watching(sealed_test_set, call):
            yield
        return
    import keras

    from .. import data, training

    namespace = getattr(function, "__globals__", {})
    saved = {name: namespace[name] for name in TEST_SET_NAMES if name in namespace}
    loaders = [
        (module, name)
        for module, name in (
            (data, "load_mnist"),
            (training, "load_course_data"),
            (keras.datasets.mnist, "load_data"),
        )
    ]
    import mnist_course

    loaders += [(mnist_course, name) for name in ("load_mnist", "load_course_data")]
    kept = [(module, name, module.__dict__.get(name)) for module, name in loaders]

    def refuse(*args, **kwargs):
        raise CheckFailed(_sealed_message("MNIST loaded again (its test set)", call))

    try:
        namespace.update({name: SealedTestSet(name, call) for name in saved})
        for module, name, _ in kept:
            setattr(module, name, refuse)
        yield
    finally:
        namespace.update(saved)
        for module, name, value in kept:
            if value is None:
                module.__dict__.pop(name, None)
            else:
                setattr(module, name, value)


MIN_GAIN = 0.02
"""How much validation accuracy the epoch chosen on validation data must win over training all
``max_epochs`` (the unregularised run) in the course's run at the checks' seeds.

Measured with ``benchmarks/bench_overfitting_margin.py`` (exercise 7's data, 30% of its
1,000 training labels wrong, the (128, 128) network; validation accuracy at the best epoch
minus at the last, and the same two epochs scored on 3,000 other training images that
neither training nor the choice saw)::

    seed   15 epochs: best  gain     unseen   20 epochs: best  gain     unseen
    0                 12    +0.0345  +0.0153             12    +0.0880  +0.0877
    1                 13    +0.0230  +0.0217             13    +0.0420  +0.0360
    2                  4    +0.0825  +0.0600              4    +0.1060  +0.0917
    3                  5    +0.0435  +0.0640              5    +0.0820  +0.0850
    4                  6    +0.0595  +0.0587              6    +0.1575  +0.1557
    5                 10    +0.0335  +0.0323             10    +0.1100  +0.1077
    6                  6    +0.0705  +0.0643              6    +0.0870  +0.0863
    7                  7    +0.1110  +0.1070              7    +0.1055  +0.1043
    8                  5    +0.0275  +0.0117              5    +0.0770  +0.0573
    9                  9    +0.0540  +0.0463              9    +0.0500  +0.0583
    mean                    +0.0539  +0.0481                    +0.0905  +0.0870
    lowest                  +0.0230  +0.0117                    +0.0420  +0.0360

Early stopping wins at every seed, also on the unseen images, so the gain is not an artefact
of choosing and scoring on the same validation set. The checks run 15 epochs with seeds 0
(visible) and 1 (hidden), whose gains are 0.0345 and 0.0230;
``tests/checks/test_ex07_overfitting.py`` holds them to ``MIN_GAIN``.
"""


@quiet
def check_choose_epochs(choose_epochs, *, max_epochs=15, seed=0):
    """Check ``choose_epochs(x_train, y_train, x_val, y_val, max_epochs=..., seed=...)``.

    It must train exercise 7's network once with validation data, never touch the test set,
    and return the epoch with the highest validation accuracy and that accuracy, as the
    course's own run with the same seed does. That epoch must beat training all
    ``max_epochs`` on validation by at least :data:`MIN_GAIN`: the training labels include
    wrong ones, and a network that trains on past the best epoch memorises them.

    Examples
    --------
    >>> from mnist_course.checks._reference import epochs_run
    >>> def choose(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0):
    ...     accuracy = epochs_run(x_train, y_train, x_val, y_val, max_epochs=max_epochs,
    ...         seed=seed)["val_accuracy"]
    ...     return int(np.argmax(accuracy)) + 1, max(accuracy)
    >>> check_choose_epochs(choose)  # doctest: +SKIP
    """
    (x_train, y_train), (x_val, y_val) = overfitting_data(seed)
    options = {"max_epochs": max_epochs, "seed": seed}
    shown = ", ".join(f"{key}={value}" for key, value in options.items())
    call = f"choose_epochs(x_train, y_train, x_val, y_val, {shown})"
    with sealed_test_set(choose_epochs, call):
        result = choose_epochs(
            x_train.copy(), y_train.copy(), x_val.copy(), y_val.copy(), **options
        )
    history = stored(
        "epochs_run",
        {
            "max_epochs": max_epochs,
            "seed": seed,
            "data": fingerprint(x_train, y_train, x_val, y_val),
        },
        lambda: {
            name: [float(value) for value in values]
            for name, values in epochs_run(
                x_train, y_train, x_val, y_val, max_epochs=max_epochs, seed=seed
            ).items()
        },
    )
    accuracies = history["val_accuracy"]
    best = int(np.argmax(accuracies))
    expected = (best + 1, accuracies[best])
    epoch, accuracy = _epoch_and_value(
        result,
        call,
        expected=f"a tuple like ({expected[0]}, {expected[1]:.4f})",
        hint="return best_epoch(history.history, monitor='val_accuracy')",
    )
    gain = expected[1] - accuracies[-1]
    if epoch == expected[0] and abs(accuracy - expected[1]) <= 1e-4:
        return
    hint = (
        "train mnist_course.build_mlp(hidden_units=(128, 128), seed=seed) once for max_epochs "
        "epochs with validation_data=(x_val, y_val), then pick by history['val_accuracy']"
    )
    at_epoch = float(epoch).is_integer() and 1 <= epoch <= len(accuracies)
    if float(epoch).is_integer() and epoch > max_epochs:
        hint = (
            f"epoch {epoch} is past max_epochs={max_epochs}: train for the max_epochs you are "
            "given (epochs=max_epochs), not a number of epochs of your own"
        )
    elif at_epoch and abs(accuracy - history["accuracy"][epoch - 1]) <= 1e-6:
        hint = "that is a training accuracy; choose on history['val_accuracy']"
    elif epoch == best and abs(accuracy - expected[1]) <= 1e-4:
        hint = "epochs count from 1: add 1 to the history's index" + BEST_EPOCH_FIRST
    elif epoch == max_epochs and abs(accuracy - accuracies[-1]) <= 1e-4:
        hint = (
            f"that is the last epoch, which is training all max_epochs: stopping at epoch "
            f"{expected[0]} scores {gain:.4f} higher on validation, because after it the "
            "network memorises the wrong labels. Return the epoch with the highest "
            "history['val_accuracy'] (best_epoch with monitor='val_accuracy')"
        )
    elif not float(epoch).is_integer() and float(accuracy).is_integer():
        hint = "the order is (epoch, accuracy): the epoch first" + BEST_EPOCH_FIRST
    elif at_epoch and abs(accuracy - accuracies[epoch - 1]) <= 1e-4:
        lowest = epoch == int(np.argmin(accuracies)) + 1
        hint = (
            f"that is epoch {epoch} of the right run, but not its best: "
            + ("the lowest validation accuracy; " if lowest else "")
            + "the best epoch has the highest history['val_accuracy'] (best_epoch with "
            "monitor='val_accuracy')" + BEST_EPOCH_FIRST
        )
    elif (
        at_epoch
        and "val_loss" in history
        and np.isclose(accuracy, history["val_loss"][epoch - 1], rtol=1e-3, atol=1e-5)
    ):
        hint = (
            f"{accuracy!r} is the validation loss of epoch {epoch}, not its accuracy: "
            "best_epoch's monitor is 'val_loss' unless you say otherwise; choose (and "
            "return) by the validation accuracy, monitor='val_accuracy'"
        )
    elif not _on_grid(accuracy, len(x_val)):
        hint = (
            f"{accuracy!r} is not a fraction of the {len(x_val)} validation images (k / "
            f"{len(x_val)}): it was measured on other data. Validate on the x_val, y_val you "
            "were given: validation_data=(x_val, y_val)"
        )
    elif not at_epoch or abs(accuracy - accuracies[epoch - 1]) > 1e-4:
        hint = (
            f"the course's run with this seed had validation accuracy "
            f"{accuracies[epoch - 1] if at_epoch else float('nan'):.4f} at epoch {epoch}, "
            f"and {expected[1]:.4f} at its best, epoch {expected[0]}: train the course's network "
            "(build_mlp(hidden_units=(128, 128), seed=seed), compile_model, train with "
            "seed=seed) once for max_epochs epochs with validation_data=(x_val, y_val)"
        )
        split = [
            f for f in (0.1, 0.2, 0.25, 0.3, 0.5) if _on_grid(accuracy, round(len(x_train) * f))
        ]
        if split:
            held = " or ".join(f"{round(len(x_train) * f)} (validation_split={f})" for f in split)
            hint += (
                f"; {accuracy!r} is also a fraction of {held} images held out of x_train: "
                "if you used validation_split, validate on x_val, y_val instead"
            )
    shown = _shown(result)
    fail(
        f"{call} returned {shown}.",
        expected=f"({expected[0]}, {expected[1]:.4f}): the epoch with the highest validation "
        "accuracy in the course's run with this seed",
        returned=shown,
        hint=hint,
    )


BEST_EPOCH_FIRST = (
    "; if choose_epochs picks with your best_epoch, its own check, test_best_epoch, says "
    "what to fix there first"
)
"""Said where choose_epochs returned what a mistaken best_epoch gives on the right run."""


def _on_grid(accuracy, count):
    """Whether an accuracy is k / count for a whole k (up to float32's rounding)."""
    return abs(accuracy * count - round(accuracy * count)) < 1e-3


# ---------------------------------------------------------------------------------------------
# Part D: a dropout rate chosen on validation data, graded by the course's sweep

DROPOUT_EPOCHS = 20
"""How long exercise 7's wide network trains for each dropout rate."""

DROPOUT_SWEEP = {
    # seed: {rate: (validation accuracy, validation loss) after DROPOUT_EPOCHS epochs}
    0: {0.0: (0.6735, 1.0017), 0.2: (0.8130, 0.8322), 0.4: (0.8325, 0.8549), 0.6: (0.7895, 1.2745)},
    1: {0.0: (0.7195, 0.9261), 0.2: (0.8110, 0.7613), 0.4: (0.8245, 0.8527), 0.6: (0.6550, 1.4839)},
    2: {0.0: (0.6745, 1.0393), 0.2: (0.7530, 0.8592), 0.4: (0.7930, 0.9065), 0.6: (0.7475, 1.4734)},
    3: {0.0: (0.7200, 0.9176), 0.2: (0.8005, 0.8021), 0.4: (0.8265, 0.8822), 0.6: (0.6995, 1.5141)},
    4: {0.0: (0.6490, 1.0814), 0.2: (0.7525, 0.9153), 0.4: (0.8135, 0.9165), 0.6: (0.7115, 1.3236)},
    5: {0.0: (0.7255, 0.9063), 0.2: (0.7700, 0.8345), 0.4: (0.8385, 0.8748), 0.6: (0.6900, 1.4575)},
    6: {0.0: (0.6855, 1.0025), 0.2: (0.7835, 0.8126), 0.4: (0.8070, 0.9208), 0.6: (0.7450, 1.4022)},
    7: {0.0: (0.7070, 0.9229), 0.2: (0.8100, 0.7875), 0.4: (0.8210, 0.9197), 0.6: (0.7290, 1.3665)},
    8: {0.0: (0.7350, 0.8524), 0.2: (0.8175, 0.7580), 0.4: (0.8145, 0.8663), 0.6: (0.7300, 1.4387)},
    9: {0.0: (0.7475, 0.8473), 0.2: (0.7740, 0.8449), 0.4: (0.7995, 0.9514), 0.6: (0.6150, 1.5500)},
}
"""The course's sweep of the dropout rate: exercise 7's data at each seed
(:func:`~mnist_course.checks._reference.overfitting_data`: 1,000 training images, 30% of
their labels wrong, 2,000 validation images), the wide network (128, 128) with each dropout
rate, built and trained with that seed for :data:`DROPOUT_EPOCHS` epochs with validation
data. ``tests/checks/test_ex07_overfitting.py`` reruns seed 0 (marked ``training``) and
holds it to this table (or, for the rates where another machine's floating point gives other
numbers, to that machine's, ``SEED_0_ON_ZEN_4`` there), and to its best rate by each
measure.

Mean over the ten seeds, validation accuracy for rates 0.0, 0.2, 0.4, 0.6: 0.704, 0.788,
0.817, 0.711; training accuracy: 0.801, 0.666, 0.579, 0.380. No dropout has the highest
training accuracy at every seed (it memorises the wrong labels) and a lower validation
accuracy than 0.2 and 0.4 at every seed; 0.6 underfits in 20 epochs. 0.4 has the highest
validation accuracy at nine seeds, 0.2 at one (seed 8), and 0.2 the lowest validation loss
at all ten.
"""


def accepted_rates(rates):
    """The rates of ``rates`` that were the best of them at one seed or more of
    :data:`DROPOUT_SWEEP`, by the validation accuracy (highest) or the validation loss
    (lowest) after the last epoch: both are fair ways to compare.

    Examples
    --------
    >>> accepted_rates((0.0, 0.2, 0.4, 0.6))
    [0.2, 0.4]
    """
    accepted = set()
    for scores in DROPOUT_SWEEP.values():
        accepted.add(max(rates, key=lambda rate: scores[rate][0]))
        accepted.add(min(rates, key=lambda rate: scores[rate][1]))
    return sorted(accepted)


@quiet
def check_choose_dropout(choose_dropout, *, rates=(0.0, 0.2, 0.4, 0.6), seed=0):
    """Check ``choose_dropout(x_train, y_train, x_val, y_val, rates=..., seed=...)``.

    It must return one of ``rates``, chosen without reading the test set, that the course's
    sweep (:data:`DROPOUT_SWEEP`: every rate trained at ten seeds) found the best of
    ``rates`` at one seed or more (:func:`accepted_rates`). How the student compares the rates
    is theirs; a rate that was never the best, such as no dropout (what training accuracy
    picks), fails.

    Examples
    --------
    >>> check_choose_dropout(lambda x, y, xv, yv, *, rates, seed: 0.4)
    """
    (x_train, y_train), (x_val, y_val) = overfitting_data(seed)
    rates = tuple(float(rate) for rate in rates)
    call = f"choose_dropout(x_train, y_train, x_val, y_val, rates={rates}, seed={seed})"
    with sealed_test_set(choose_dropout, call):
        result = choose_dropout(
            x_train.copy(), y_train.copy(), x_val.copy(), y_val.copy(), rates=rates, seed=seed
        )
    accepted = accepted_rates(rates)
    # the message never says which rates are accepted: choosing is the exercise
    wanted = "a rate of `rates` that the course's sweep found best at some seed"
    try:
        chosen = float(result)
    except (TypeError, ValueError):
        fail(
            f"{call} did not return a rate.",
            expected=wanted,
            returned=describe(result),
            hint="return the chosen rate itself, a number from rates, for example 0.2",
        )
    matches = [rate for rate in rates if abs(rate - chosen) <= 1e-9]
    if not matches:
        hint = f"return one of the rates you were given, {list(rates)}"
        whole = float(chosen).is_integer() and 0 <= chosen < len(rates)
        if whole:
            hint = (
                f"{int(chosen)} is a position in rates; return the rate itself, "
                f"rates[{int(chosen)}] = {rates[int(chosen)]}"
            )
        elif chosen in (0.0, 0.2, 0.4, 0.6):
            hint += ": compare the rates passed as `rates`, not a list of your own"
        fail(
            f"{call} returned {describe(result)}, which is not one of the rates.",
            expected=wanted,
            returned=describe(result),
            hint=hint,
        )
    if matches[0] in accepted:
        return
    hint = (
        f"{matches[0]} was never the best at any of the sweep's ten seeds. Train the network "
        "once per rate, score each on x_val, y_val, and keep the rate with the highest "
        "validation accuracy"
    )
    if matches[0] == min(rates):
        hint = (
            f"{matches[0]} is the least dropout: it leaves the network free to memorise the "
            "wrong labels, so it has the highest training accuracy and a low validation "
            "accuracy. Did you compare training accuracies, or keep the lowest validation "
            "accuracy? Keep the rate with the highest accuracy on x_val, y_val"
        )
    fail(
        f"{call} returned {matches[0]}.",
        expected=wanted,
        returned=f"{matches[0]}, never the best of {list(rates)} at any seed of the sweep",
        hint=hint,
    )
