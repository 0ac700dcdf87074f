"""A digit from outside MNIST brought to MNIST's conventions: light ink on black, fitted in a
20x20 box, its centre of mass at the centre of 28x28."""

import numpy as np
import pytest

from mnist_course.own_digits import load_own_digits, to_mnist_format


def paper_with_stroke(shape=(90, 70), rows=slice(10, 40), cols=slice(5, 50)):
    """Dark ink on white, far from the centre: what a photo or a scan gives."""
    paper = np.full(shape, 255, dtype=np.uint8)
    paper[rows, cols] = 0
    return paper


def ink_centre(digit):
    rows, cols = np.indices(digit.shape)
    weights = digit.astype(np.float64)
    return np.sum(rows * weights) / weights.sum(), np.sum(cols * weights) / weights.sum()


def test_dark_ink_on_white_becomes_light_ink_on_black():
    digit = to_mnist_format(paper_with_stroke())
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert digit[0, 0] == 0 and digit.max() == 255


def test_the_longer_side_of_the_ink_fits_the_20_pixel_box_and_the_aspect_is_kept():
    digit = to_mnist_format(paper_with_stroke(rows=slice(10, 40), cols=slice(5, 50)))
    rows, cols = np.nonzero(digit > 25)
    width, height = cols.max() - cols.min() + 1, rows.max() - rows.min() + 1
    assert width == 20
    assert abs(height - 20 * 30 / 45) <= 1.5


@pytest.mark.parametrize("where", [(slice(0, 20), slice(0, 15)), (slice(60, 88), slice(40, 69))])
def test_the_centre_of_mass_lands_within_half_a_pixel_of_the_centre(where):
    digit = to_mnist_format(paper_with_stroke(rows=where[0], cols=where[1]))
    centre = ink_centre(digit)
    assert abs(centre[0] - 13.5) <= 0.5 and abs(centre[1] - 13.5) <= 0.5


def test_the_same_digit_anywhere_on_the_page_gives_the_same_image():
    left = to_mnist_format(paper_with_stroke(rows=slice(0, 30), cols=slice(0, 20)))
    right = to_mnist_format(paper_with_stroke(rows=slice(55, 85), cols=slice(45, 65)))
    assert np.array_equal(left, right)


def test_light_ink_on_dark_is_not_inverted_when_told_so():
    dark = 255 - paper_with_stroke()
    assert np.array_equal(to_mnist_format(dark, dark_ink=False), to_mnist_format(255 - dark))


def test_floats_in_0_1_are_read_like_grey_levels():
    paper = paper_with_stroke()
    assert np.array_equal(to_mnist_format(paper / 255), to_mnist_format(paper))


@pytest.mark.parametrize(
    ("image", "words"),
    [(np.zeros((5, 5, 3)), "average its channels"), (np.full((9, 9), 200), "no ink")],
    ids=["colour", "blank"],
)
def test_a_picture_that_is_not_one_grey_digit_is_refused_with_the_fix(image, words):
    with pytest.raises(ValueError, match=words):
        to_mnist_format(image)


def test_the_course_s_own_digits_are_dark_ink_on_white_and_not_centred_as_mnist_is():
    images, labels = load_own_digits()
    assert labels.tolist() == [0, 1, 7]
    for image in images:
        assert image.shape == (64, 48) and image.dtype == np.uint8
        assert image[0, 0] == 255 and image.min() == 0  # white paper, dark ink
        digit = to_mnist_format(image)
        centre = ink_centre(digit)
        assert abs(centre[0] - 13.5) <= 0.5 and abs(centre[1] - 13.5) <= 0.5
