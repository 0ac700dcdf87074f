"""Pictures for the lessons: digits, learning curves, confusion matrix, mistakes.

Each function returns a ``matplotlib.figure.Figure`` built without pyplot, so it works on a
machine with no screen; in Jupyter the returned figure is shown, and ``fig.savefig(path)``
writes it to a file.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def _images(x):
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[1] == 784:
        return x.reshape(-1, 28, 28)
    if x.ndim == 4 and x.shape[-1] == 1:
        return x[..., 0]
    if x.ndim != 3:
        raise ValueError(f"x has shape {x.shape}; expected (N, 28, 28) or (N, 784) images.")
    return x


def plot_digits(x, y=None, *, predicted=None, n=25, columns=5):
    """Show the first ``n`` digits in a grid, titled with their labels.

    Parameters
    ----------
    x : array-like of shape (N, 28, 28) or (N, 784)
    y : array-like of shape (N,), optional
        True labels, shown above each digit.
    predicted : array-like of shape (N,), optional
        Predicted labels, shown as "true → predicted" (red where they differ).
    n : int, default 25
    columns : int, default 5

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_digits(np.zeros((6, 28, 28)), np.arange(6), n=6, columns=3)
    >>> len(fig.axes)
    6
    """
    images = _images(x)[:n]
    rows = int(np.ceil(len(images) / columns))
    fig = Figure(figsize=(1.6 * columns, 1.8 * rows), layout="constrained")
    for i, image in enumerate(images):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.imshow(image, cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if y is not None and predicted is not None:
            wrong = int(y[i]) != int(predicted[i])
            ax.set_title(f"{int(y[i])} → {int(predicted[i])}", color="red" if wrong else "black")
        elif y is not None:
            ax.set_title(str(int(y[i])))
    return fig


def plot_history(history, *, metrics=("loss", "accuracy")):
    """Plot learning curves (training and, if present, validation) per epoch.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        What ``model.fit`` returned, or its ``.history`` dict.
    metrics : sequence of str, default ("loss", "accuracy")

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_history({"loss": [0.5, 0.3], "accuracy": [0.8, 0.9]})
    >>> len(fig.axes)
    2
    """
    logs = getattr(history, "history", history)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(logs)}.")
    fig = Figure(figsize=(5 * len(metrics), 3.5), layout="constrained")
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", label="training")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_xticks(epochs)
        ax.legend()
        ax.grid(alpha=0.3)
    return fig


def plot_confusion_matrix(matrix):
    """Show a confusion matrix with its counts; rows are true digits, columns predictions.

    Parameters
    ----------
    matrix : array-like of shape (K, K)
        As returned by :func:`mnist_course.training.confusion_matrix`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion_matrix(np.eye(10, dtype=int))
    >>> fig.axes[0].get_xlabel()
    'predicted digit'
    """
    matrix = np.asarray(matrix)
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.add_subplot()
    # a log-like colour scale keeps the few mistakes visible next to the large diagonal
    image = ax.imshow(np.log1p(matrix), cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if matrix[row, col] > matrix.max() / 3 else "black"
        ax.text(col, row, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(matrix)))
    ax.set_yticks(range(len(matrix)))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    fig.colorbar(image, ax=ax, label="log(1 + count)")
    return fig


def plot_misclassified(x, y_true, y_pred, *, n=20, columns=5):
    """Show the first ``n`` digits whose prediction is wrong, as "true → predicted".

    Parameters
    ----------
    x : array-like of shape (N, 28, 28) or (N, 784)
    y_true, y_pred : array-like of shape (N,)
    n : int, default 20
    columns : int, default 5

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_misclassified(np.zeros((4, 784)), [1, 2, 3, 4], [1, 0, 3, 0], n=10)
    >>> len(fig.axes)
    2
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    return plot_digits(
        _images(x)[wrong], y_true[wrong], predicted=y_pred[wrong], n=n, columns=columns
    )
