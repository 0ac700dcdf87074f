"""Measure the margin behind exercise 7's ``MIN_GAIN``: what stopping early wins.

Exercise 7 trains its wide network on 1,000 training images, 30% of them with a wrong label,
and chooses the number of epochs by validation accuracy. For each seed this trains the
course's run (:func:`~mnist_course.checks._reference.epochs_run` on
:func:`~mnist_course.checks._reference.overfitting_data`, as the check does) once for the
longest budget and reads the shorter budgets off the same history (Adam has no schedule, so
the first 15 epochs of a 20-epoch run are the 15-epoch run). It prints, per budget, the best
epoch, the validation accuracy it gains over the last epoch (the unregularised run), and the
same two epochs scored on 3,000 other training images that neither training nor the choice
saw, so that a gain made by choosing and scoring on one set would show. The table beside
``MIN_GAIN`` in ``mnist_course/checks/ex07_overfitting.py`` was made with it.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_overfitting_margin.py                  # seeds 0..9
    .venv/bin/python benchmarks/bench_overfitting_margin.py --seeds 20 --budgets 10 15 20
"""

from __future__ import annotations

import argparse
import statistics
import time

import mnist_course  # noqa: F401 (first: it keeps TensorFlow quiet)
from mnist_course.checks import ex07_overfitting
from mnist_course.checks._inputs import prepared
from mnist_course.checks._reference import (
    TRAIN_POOL,
    WRONG_LABEL_FRACTION,
    epochs_run,
    overfitting_data,
)

UNSEEN = slice(3000, 6000)
"""Positions in a seed's order of the pool that neither training nor validation uses."""


def one_seed(seed, max_epochs):
    """Return (validation accuracies, unseen accuracies), one per epoch, for one seed."""
    import keras
    import numpy as np

    x, y = prepared(TRAIN_POOL, split="train")
    unseen = np.random.default_rng(seed).permutation(TRAIN_POOL)[UNSEEN]
    (x_train, y_train), (x_val, y_val) = overfitting_data(seed)
    scores = []
    callback = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: scores.append(
            callback.model.evaluate(x[unseen], y[unseen], verbose=0)[1]
        )
    )
    history = epochs_run(
        x_train, y_train, x_val, y_val, max_epochs=max_epochs, seed=seed, callbacks=[callback]
    )
    return history["val_accuracy"], scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[15, 20], help="max_epochs")
    args = parser.parse_args(argv)
    print(
        f"{WRONG_LABEL_FRACTION:.0%} of the 1,000 training labels wrong; MIN_GAIN "
        f"{ex07_overfitting.MIN_GAIN}"
    )
    runs = {}
    for seed in range(args.seeds):
        start = time.perf_counter()
        runs[seed] = one_seed(seed, max(args.budgets))
        print(f"seed {seed}: trained in {time.perf_counter() - start:.1f} s", flush=True)
    for budget in args.budgets:
        print(f"\nmax_epochs {budget}\nseed  best  gain     unseen")
        gains, unseen_gains = [], []
        for seed, (validation, unseen) in runs.items():
            validation, unseen = validation[:budget], unseen[:budget]
            best = max(range(budget), key=validation.__getitem__)
            gains.append(validation[best] - validation[-1])
            unseen_gains.append(unseen[best] - unseen[-1])
            print(f"{seed:>4}  {best + 1:>4}  {gains[-1]:+.4f}  {unseen_gains[-1]:+.4f}")
        print(f"mean        {statistics.mean(gains):+.4f}  {statistics.mean(unseen_gains):+.4f}")
        print(f"lowest      {min(gains):+.4f}  {min(unseen_gains):+.4f}")
        margin = min(gains) - ex07_overfitting.MIN_GAIN
        print(f"margin of the lowest gain over MIN_GAIN: {margin:+.4f}")


if __name__ == "__main__":
    main()
