"""Plots: each returns a figure that renders headless, with the parts the lessons name."""

import numpy as np
import pytest

from mnist_course.plots import (
    plot_confusion_matrix,
    plot_descent,
    plot_digits,
    plot_history,
    plot_misclassified,
    plot_network,
    plot_weight_images,
)


def _renders(fig, tmp_path):
    path = tmp_path / "figure.png"
    fig.savefig(path)
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_digit_grid_titles_each_digit_with_its_label(tmp_path):
    fig = plot_digits(np.zeros((4, 784)), np.array([7, 2, 1, 0]), n=4, columns=2)
    assert [ax.get_title() for ax in fig.axes] == ["7", "2", "1", "0"]
    assert _renders(fig, tmp_path)


def test_history_plot_draws_validation_curves_when_present(tmp_path):
    logs = {
        "loss": [0.4, 0.2],
        "accuracy": [0.9, 0.95],
        "val_loss": [0.3, 0.25],
        "val_accuracy": [0.92, 0.93],
    }
    fig = plot_history(logs)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert _renders(fig, tmp_path)


def test_history_plot_names_a_missing_metric():
    with pytest.raises(ValueError, match=r"no \['accuracy'\]"):
        plot_history({"loss": [1.0]})


def test_confusion_matrix_plot_writes_every_count(tmp_path):
    matrix = np.arange(100).reshape(10, 10)
    fig = plot_confusion_matrix(matrix)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 100 and "99" in texts
    assert _renders(fig, tmp_path)


def test_misclassified_plot_shows_only_wrong_predictions_as_true_arrow_predicted(tmp_path):
    fig = plot_misclassified(np.zeros((5, 28, 28)), [1, 2, 3, 4, 5], [1, 7, 3, 9, 5])
    assert [ax.get_title() for ax in fig.axes] == ["2 → 7", "4 → 9"]
    assert _renders(fig, tmp_path)


def test_images_of_the_wrong_shape_are_reported():
    with pytest.raises(ValueError, match=r"expected \(N, 28, 28\) or \(N, 784\)"):
        plot_digits(np.zeros((3, 100)))


def test_descent_plot_draws_each_path_and_says_where_a_diverging_one_leaves(tmp_path):
    paths = {
        "converges": np.array([[2.0, 2.0], [1.0, 1.0], [0.5, 0.5]]),
        "diverges": np.array([[1.0, 1.0], [-2.0, -2.0], [4.0, 4.0], [-8.0, -8.0]]),
    }
    fig = plot_descent(lambda w, b: w**2 + b**2, paths, w_range=(-3, 3), b_range=(-3, 3))
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["lowest loss", "converges", "diverges (leaves the plot after step 1)"]
    assert len(fig.axes[0].lines[2].get_xdata()) == 2  # only the points inside the plot
    assert _renders(fig, tmp_path)


def test_weight_images_show_one_28x28_image_per_unit(tmp_path):
    fig = plot_weight_images(np.random.default_rng(0).normal(size=(784, 64)), n=16)
    assert len(fig.axes) == 16
    assert fig.axes[0].images[0].get_array().shape == (28, 28)
    assert _renders(fig, tmp_path)


def test_weight_images_explain_the_expected_shape():
    with pytest.raises(ValueError, match=r"expected \(784, units\)"):
        plot_weight_images(np.zeros((64, 10)))


def test_network_diagram_labels_every_layer_with_its_true_size(tmp_path):
    fig = plot_network((784, 64, 10), names=("pixels", "relu", "softmax"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert ["784\npixels", "64\nrelu", "10\nsoftmax"] == [t for t in texts if "\n" in t]
    assert texts.count("⋮") == 3  # every layer wider than the 9 units drawn
    assert _renders(fig, tmp_path)


def test_network_diagram_refuses_a_single_layer():
    with pytest.raises(ValueError, match="at least two positive sizes"):
        plot_network((784,))


def test_history_plot_keeps_the_epoch_axis_readable_for_long_runs():
    short = plot_history({"loss": [1.0] * 5, "accuracy": [0.5] * 5})
    long = plot_history({"loss": [1.0] * 40, "accuracy": [0.5] * 40})
    assert list(short.axes[0].get_xticks()) == [1, 2, 3, 4, 5]
    assert len(long.axes[0].get_xticks()) < 15


def test_history_plot_takes_a_title():
    fig = plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}, title="a run")
    assert fig.get_suptitle() == "a run"
