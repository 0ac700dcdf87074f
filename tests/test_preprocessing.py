"""Preprocessing: split, flatten, normalise, one-hot, and the errors for wrong input."""

import numpy as np
import pytest

from mnist_course.preprocessing import (
    flatten,
    normalize,
    one_hot,
    preprocess,
    split_labels,
    wrong_labels,
)


def test_split_labels_takes_the_first_column_as_label():
    rows = np.arange(2 * 785).reshape(2, 785)
    x, y = split_labels(rows)
    assert x.shape == (2, 784)
    assert y.tolist() == [0, 785]
    np.testing.assert_array_equal(x[1], np.arange(786, 1570))


def test_split_labels_rejects_rows_without_785_columns():
    with pytest.raises(ValueError, match=r"shape \(2, 784\); expected \(N, 785\)"):
        split_labels(np.zeros((2, 784)))


def test_flatten_keeps_pixel_order():
    x = np.arange(2 * 28 * 28).reshape(2, 28, 28)
    flat = flatten(x)
    assert flat.shape == (2, 784)
    np.testing.assert_array_equal(flat[1, :28], x[1, 0])


def test_flatten_rejects_images_of_another_size():
    with pytest.raises(ValueError, match=r"shape \(3, 32, 32\); expected \(N, 28, 28\)"):
        flatten(np.zeros((3, 32, 32)))


def test_normalize_maps_0_and_255_to_minus_and_plus_half():
    out = normalize(np.array([[0, 51, 255]], dtype=np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[-0.5, -0.3, 0.5]], atol=1e-7)


@pytest.mark.parametrize("scaled", [np.array([0.0, 0.5, 1.0]), np.array([-0.5, 0.5])])
def test_normalize_refuses_data_that_is_already_scaled(scaled):
    with pytest.raises(ValueError, match="normalised already"):
        normalize(scaled)


def test_normalize_refuses_values_outside_0_255():
    with pytest.raises(ValueError, match=r"from -1 to 3; expected raw grey levels 0..255"):
        normalize(np.array([-1, 3]))


def test_one_hot_sets_one_column_per_label():
    out = one_hot(np.array([0, 9, 3]))
    assert out.shape == (3, 10) and out.dtype == np.float32
    assert out.sum(axis=1).tolist() == [1, 1, 1]
    assert np.argmax(out, axis=1).tolist() == [0, 9, 3]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.array([0, 10]), r"0 to 10; expected whole numbers 0..9"),
        (np.array([-1, 2]), r"-1 to 2"),
        (np.eye(10), r"one-hot already"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        one_hot(labels)


def test_preprocess_prepares_both_arrays():
    x, y = preprocess(np.full((4, 28, 28), 255, dtype=np.uint8), np.array([1, 2, 3, 4]))
    assert x.shape == (4, 784) and y.shape == (4, 10)
    assert x.max() == 0.5


def test_preprocess_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="4 images but y has 3 labels"):
        preprocess(np.zeros((4, 28, 28)), np.array([1, 2, 3]))


def test_wrong_labels_relabels_exactly_the_fraction_with_other_classes_and_keeps_the_input():
    y = one_hot(np.arange(1000) % 10)
    kept = y.copy()
    noisy = wrong_labels(y, 0.3, seed=4)
    changed = noisy.argmax(axis=1) != y.argmax(axis=1)
    assert changed.sum() == 300
    assert np.array_equal(noisy[~changed], y[~changed])
    assert np.array_equal(noisy.sum(axis=1), np.ones(1000)) and noisy.dtype == y.dtype
    # each wrong class is drawn among the nine others: all of them occur
    assert set(noisy[changed].argmax(axis=1)) == set(range(10))
    assert np.array_equal(y, kept)
    assert np.array_equal(wrong_labels(y, 0.3, seed=4), noisy)
    assert not np.array_equal(wrong_labels(y, 0.3, seed=5), noisy)


@pytest.mark.parametrize(
    ("labels", "fraction", "message"),
    [(np.arange(3), 0.1, "one-hot rows"), (np.eye(3), 1.5, "a share from 0 to 1")],
)
def test_wrong_labels_rejects_labels_not_one_hot_and_fractions_outside_0_1(
    labels, fraction, message
):
    with pytest.raises(ValueError, match=message):
        wrong_labels(labels, fraction)
