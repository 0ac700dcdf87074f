"""Pictures for the lessons: digits, learning curves, confusion matrix, mistakes, and how a
network learns (gradient-descent paths, first-layer weights, the network as a diagram).

Each function returns a ``matplotlib.figure.Figure`` built without pyplot, so it works on a
machine with no screen; in Jupyter the returned figure is shown, and ``fig.savefig(path)``
writes it to a file.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


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


def plot_history(history, *, metrics=("loss", "accuracy"), title=None):
    """Plot learning curves (training and, if present, validation) per epoch.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        What ``model.fit`` returned, or its ``.history`` dict.
    metrics : sequence of str, default ("loss", "accuracy")
    title : str, optional
        A title above the panels.

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
        if len(epochs) <= 20:
            ax.set_xticks(epochs)
        else:  # a tick per epoch would crowd the axis
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
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


def plot_descent(loss, paths, *, w_range, b_range, levels=20, labels=("w", "b")):
    """Draw a loss of two parameters as contour lines, with gradient-descent paths on top.

    Parameters
    ----------
    loss : callable
        ``loss(w, b)`` for numpy arrays ``w`` and ``b`` of the same shape (a grid).
    paths : dict of str to array-like of shape (steps, 2)
        The parameters after each step, one path per label (for example one per learning
        rate). Points outside the ranges are cut off; the legend says how many steps left.
    w_range, b_range : (float, float)
        The drawn range of each parameter.
    levels : int, default 20
        Number of contour lines, spaced evenly in log(loss) so the valley floor stays visible.
    labels : (str, str), default ("w", "b")
        Axis labels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> path = np.array([[2.0, 2.0], [1.0, 1.0], [0.5, 0.5]])
    >>> fig = plot_descent(lambda w, b: w**2 + b**2, {"step 0.25": path},
    ...                    w_range=(-3, 3), b_range=(-3, 3))
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['lowest loss', 'step 0.25']
    """
    w_grid, b_grid = np.meshgrid(np.linspace(*w_range, 201), np.linspace(*b_range, 201))
    values = np.asarray(loss(w_grid, b_grid), dtype=float)
    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.add_subplot()
    low, high = max(values.min(), 1e-12), values.max()
    ax.contour(
        w_grid,
        b_grid,
        values,
        levels=np.geomspace(low * 1.01, high, levels),
        cmap="viridis",
        linewidths=0.8,
    )
    minimum = np.unravel_index(values.argmin(), values.shape)
    ax.plot(
        w_grid[minimum], b_grid[minimum], "*", color="black", markersize=12, label="lowest loss"
    )
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        inside = (
            (path[:, 0] >= w_range[0])
            & (path[:, 0] <= w_range[1])
            & (path[:, 1] >= b_range[0])
            & (path[:, 1] <= b_range[1])
        )
        shown = path[: np.argmin(inside) if not inside.all() else len(path)]
        if len(shown) < len(path):
            label = f"{label} (leaves the plot after step {len(shown) - 1})"
        ax.plot(shown[:, 0], shown[:, 1], "o-", markersize=3, linewidth=1.2, label=label)
    ax.set(xlim=w_range, ylim=b_range, xlabel=labels[0], ylabel=labels[1])
    ax.legend(loc="lower left", fontsize=8)
    return fig


def plot_weight_images(weights, *, n=16, columns=8):
    """Show a Dense layer's weights on the 784 pixels as one 28x28 image per unit.

    Red pixels push the unit's output up, blue pixels push it down; white ones do not matter.

    Parameters
    ----------
    weights : array-like of shape (784, units)
        The layer's kernel, ``layer.get_weights()[0]``.
    n : int, default 16
        How many units to show (the first ``n``).
    columns : int, default 8

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_weight_images(np.ones((784, 4)), n=4, columns=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['unit 0', 'unit 1', 'unit 2', 'unit 3']
    """
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[0] != 784:
        raise ValueError(
            f"weights has shape {weights.shape}; expected (784, units): the kernel of the "
            "first Dense layer, model.layers[0].get_weights()[0]."
        )
    images = weights[:, :n].T.reshape(-1, 28, 28)
    rows = int(np.ceil(len(images) / columns))
    fig = Figure(figsize=(1.4 * columns, 1.55 * rows), layout="constrained")
    for i, image in enumerate(images):
        ax = fig.add_subplot(rows, columns, i + 1)
        limit = np.abs(image).max() or 1.0
        ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"unit {i}", fontsize=9)
    return fig


def plot_network(layer_sizes, *, names=None, max_drawn=9):
    """Draw a dense network as columns of units joined by their weights.

    A layer wider than ``max_drawn`` is drawn with ``max_drawn - 1`` units and a gap marked
    "⋮" in the middle; the label under each column gives the true size.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, inputs first, for example (784, 64, 64, 10).
    names : sequence of str, optional
        A label per layer, shown under its size.
    max_drawn : int, default 9
        Odd, so that the gap sits in the middle.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_network((784, 64, 64, 10), names=("pixels", "relu", "relu", "softmax"))
    >>> [t.get_text().split()[0] for t in fig.axes[0].texts if t.get_text() != "⋮"]
    ['784', '64', '64', '10']
    """
    sizes = [int(size) for size in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"layer_sizes is {tuple(layer_sizes)}; expected at least two positive sizes, "
            "inputs first, for example (784, 64, 64, 10)."
        )
    names = list(names) if names is not None else [""] * len(sizes)
    fig = Figure(figsize=(2.2 * len(sizes) + 1, 4.2), layout="constrained")
    ax = fig.add_subplot()
    columns = []  # the heights of the units drawn in each layer
    for size in sizes:
        slots = min(size, max_drawn)
        ys = np.linspace(1, -1, slots) * (slots - 1) / (max_drawn - 1)
        if size > max_drawn:  # leave the middle slot empty for the gap
            ys = np.delete(ys, slots // 2)
        columns.append(ys)
    for x, (ys0, ys1) in enumerate(zip(columns[:-1], columns[1:], strict=True)):
        for y0 in ys0:
            for y1 in ys1:
                ax.plot([x, x + 1], [y0, y1], color="grey", linewidth=0.4, alpha=0.5)
    for x, (ys, size, name) in enumerate(zip(columns, sizes, names, strict=True)):
        if size > max_drawn:
            ax.text(x, 0, "⋮", ha="center", va="center", fontsize=16)
        ax.scatter(np.full(len(ys), x), ys, s=160, color="white", edgecolors="black", zorder=3)
        ax.text(x, -1.25, f"{size}\n{name}", ha="center", va="top", fontsize=10)
    ax.set(xlim=(-0.6, len(sizes) - 0.4), ylim=(-1.8, 1.2))
    ax.axis("off")
    return fig
