"""What the checks call students' functions with: MNIST images, labels, CSV rows, prepared data."""

from __future__ import annotations

import numpy as np

from .. import preprocessing
from ._state import mnist


def mnist_images(n, *, split="test"):
    """Return the first ``n`` MNIST images of a split, uint8 of shape (n, 28, 28).

    Examples
    --------
    >>> mnist_images(3).shape
    (3, 28, 28)
    """
    (x_train, _), (x_test, _) = mnist()
    return (x_train if split == "train" else x_test)[:n].copy()


def mnist_labels(n, *, split="test"):
    """Return the first ``n`` MNIST labels of a split, uint8 of shape (n,).

    Examples
    --------
    >>> mnist_labels(5)
    array([7, 2, 1, 0, 4], dtype=uint8)
    """
    (_, y_train), (_, y_test) = mnist()
    return (y_train if split == "train" else y_test)[:n].copy()


def mnist_rows(n, *, split="test"):
    """Return the first ``n`` lines of ``mnist_<split>.csv`` as integers of shape (n, 785).

    Examples
    --------
    >>> mnist_rows(2).shape
    (2, 785)
    """
    x, y = mnist_images(n, split=split), mnist_labels(n, split=split)
    return np.column_stack([y, x.reshape(n, -1)]).astype(np.int64)


def prepared(n, *, split):
    return preprocessing.preprocess(mnist_images(n, split=split), mnist_labels(n, split=split))


def train_subset(n):
    x, y = prepared(n, split="train")
    return x, y


def toy_task(seed=0, n=300, features=4, classes=3):
    """Points around three centres, one-hot labelled: a small problem that softmax regression
    and a small network both separate well (the training loops' checks use it)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=n)
    centres = rng.normal(0, 1, size=(classes, features))
    x = centres[labels] + rng.normal(0, 0.3, size=(n, features))
    return x, np.eye(classes)[labels]
