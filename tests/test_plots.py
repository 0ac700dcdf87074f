"""Plots: each returns a figure that renders headless, with the parts the lessons name."""

import numpy as np
import pytest

from mnist_course.plots import plot_confusion_matrix, plot_digits, plot_history, plot_misclassified


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
