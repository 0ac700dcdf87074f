"""Prepare MNIST for a dense network: split, flatten, normalise, one-hot."""

from __future__ import annotations

import numpy as np

from .data import NUM_CLASSES, NUM_PIXELS


def split_labels(rows):
    """Split CSV rows (label, then 784 pixels) into pixels and labels.

    Parameters
    ----------
    rows : array-like of shape (N, 785)
        One image a row, the label first, as read from ``mnist_train.csv``.

    Returns
    -------
    x : numpy.ndarray of shape (N, 784)
        The pixel values.
    y : numpy.ndarray of shape (N,)
        The labels.

    Examples
    --------
    >>> x, y = split_labels(np.zeros((3, 785)))
    >>> x.shape, y.shape
    ((3, 784), (3,))
    """
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[1] != NUM_PIXELS + 1:
        raise ValueError(
            f"rows has shape {rows.shape}; expected (N, {NUM_PIXELS + 1}): "
            "one image a row, the label first, then its 784 pixel values."
        )
    return rows[:, 1:], rows[:, 0]


def flatten(x):
    """Reshape images of shape (N, 28, 28) to vectors of shape (N, 784).

    Parameters
    ----------
    x : array-like of shape (N, 28, 28) or (N, 784)
        The images.

    Returns
    -------
    numpy.ndarray of shape (N, 784)

    Examples
    --------
    >>> flatten(np.zeros((5, 28, 28))).shape
    (5, 784)
    """
    x = np.asarray(x)
    if x.ndim < 2 or int(np.prod(x.shape[1:])) != NUM_PIXELS:
        raise ValueError(
            f"x has shape {x.shape}; expected (N, 28, 28) or (N, 784): one 28x28 image per row."
        )
    return x.reshape(len(x), NUM_PIXELS)


def normalize(x):
    """Scale grey levels 0..255 to float32 in [-0.5, 0.5]: ``x / 255 - 0.5``.

    Centring the inputs on zero keeps the first layer's activations small and balanced,
    which helps gradient descent.

    Parameters
    ----------
    x : array-like of integers 0..255
        Pixel values, any shape.

    Returns
    -------
    numpy.ndarray of float32, same shape, values in [-0.5, 0.5]

    Examples
    --------
    >>> normalize(np.array([0, 255]))
    array([-0.5,  0.5], dtype=float32)
    """
    x = np.asarray(x)
    if x.size and x.dtype.kind == "f" and x.min() >= -0.5 and x.max() <= 1.0:
        raise ValueError(
            f"x has float values from {x.min():g} to {x.max():g}: it looks normalised already. "
            "Pass the raw grey levels 0..255, and normalise only once."
        )
    if x.size and (x.min() < 0 or x.max() > 255):
        raise ValueError(
            f"x has values from {x.min()} to {x.max()}; expected raw grey levels 0..255."
        )
    # one float32 copy, scaled in place: no float64 temporaries of the whole array
    scaled = x.astype(np.float32)
    scaled /= 255.0
    scaled -= 0.5
    return scaled


def one_hot(y, *, num_classes=NUM_CLASSES):
    """Encode labels 0..9 as one-hot rows of float32.

    Parameters
    ----------
    y : array-like of shape (N,)
        Integer labels.
    num_classes : int, default 10
        The number of columns.

    Returns
    -------
    numpy.ndarray of shape (N, num_classes), float32

    Examples
    --------
    >>> one_hot(np.array([0, 3]), num_classes=4)
    array([[1., 0., 0., 0.],
           [0., 0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"y has shape {y.shape}; expected (N,): one integer label per image "
            "(is it one-hot already?)."
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes or np.any(y != np.round(y))):
        raise ValueError(
            f"y has values from {y.min()} to {y.max()}; "
            f"expected whole numbers 0..{num_classes - 1}."
        )
    return np.eye(num_classes, dtype=np.float32)[y.astype(np.int64)]


def wrong_labels(y, fraction, *, seed=0):
    """Give a fraction of one-hot labels a wrong class, as careless labelling would.

    Exactly ``round(fraction * len(y))`` rows, drawn with ``seed``, get a class other than
    their own (each of the other classes equally likely); the rest are kept. The input is
    not changed. Exercise 7 trains on such labels: a network that memorises them learns
    wrong answers, so its validation accuracy falls while its training accuracy climbs.

    Parameters
    ----------
    y : numpy.ndarray of shape (N, C)
        One-hot labels.
    fraction : float
        The share of rows to relabel, from 0 to 1.
    seed : int, default 0

    Returns
    -------
    numpy.ndarray of shape (N, C), the dtype of ``y``

    Examples
    --------
    >>> y = one_hot(np.arange(10) % 3, num_classes=3)
    >>> noisy = wrong_labels(y, 0.3, seed=0)
    >>> int((noisy.argmax(axis=1) != y.argmax(axis=1)).sum())
    3
    """
    y = np.asarray(y)
    if y.ndim != 2:
        raise ValueError(f"y has shape {y.shape}; expected one-hot rows of shape (N, C).")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction is {fraction}; expected a share from 0 to 1.")
    rng = np.random.default_rng(seed)
    count, classes = round(fraction * len(y)), y.shape[1]
    rows = rng.choice(len(y), size=count, replace=False)
    shifted = (y[rows].argmax(axis=1) + rng.integers(1, classes, size=count)) % classes
    noisy = y.copy()
    noisy[rows] = np.eye(classes, dtype=y.dtype)[shifted]
    return noisy


def preprocess(x, y, *, num_classes=NUM_CLASSES):
    """Apply the course's preparation: flatten, normalise and one-hot.

    Parameters
    ----------
    x : array-like of shape (N, 28, 28) or (N, 784), grey levels 0..255
    y : array-like of shape (N,), labels 0..9
    num_classes : int, default 10

    Returns
    -------
    x : numpy.ndarray of shape (N, 784), float32 in [-0.5, 0.5]
    y : numpy.ndarray of shape (N, num_classes), float32 one-hot

    Examples
    --------
    >>> x, y = preprocess(np.zeros((2, 28, 28), dtype=np.uint8), np.array([1, 2]))
    >>> x.shape, y.shape
    ((2, 784), (2, 10))
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels; they must match.")
    return normalize(flatten(x)), one_hot(y, num_classes=num_classes)
