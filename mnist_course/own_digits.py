"""A digit from outside MNIST, brought to MNIST's conventions before a model reads it."""

from __future__ import annotations

from importlib import resources

import numpy as np

BOX = 20
"""MNIST fits each digit's ink into a box of 20x20 pixels..."""

SIZE = 28
"""...and places that box in a 28x28 image with the ink's centre of mass at the centre."""


def _resize(image, shape):
    """Resample a 2-D array to ``shape`` by bilinear interpolation (pixel centres aligned)."""
    rows = (np.arange(shape[0]) + 0.5) * image.shape[0] / shape[0] - 0.5
    cols = (np.arange(shape[1]) + 0.5) * image.shape[1] / shape[1] - 0.5
    rows = np.clip(rows, 0, image.shape[0] - 1)
    cols = np.clip(cols, 0, image.shape[1] - 1)
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    r1, c1 = np.minimum(r0 + 1, image.shape[0] - 1), np.minimum(c0 + 1, image.shape[1] - 1)
    fr, fc = (rows - r0)[:, None], (cols - c0)[None, :]
    top = image[r0][:, c0] * (1 - fc) + image[r0][:, c1] * fc
    bottom = image[r1][:, c0] * (1 - fc) + image[r1][:, c1] * fc
    return top * (1 - fr) + bottom * fr


def to_mnist_format(image, *, dark_ink=True):
    """Bring a picture of one digit to MNIST's conventions.

    MNIST stores light ink on a black background (0 is background, 255 full ink), the digit
    scaled so that its ink fits a 20x20 box (aspect ratio kept), and placed in a 28x28 image
    so that the ink's centre of mass is at the image's centre.

    Parameters
    ----------
    image : array-like of shape (height, width)
        Grey levels 0..255 (or 0..1 floats), any size, one digit.
    dark_ink : bool, default True
        True for dark ink on a light background (paper, a scan): the grey levels are
        inverted first. False if the ink is already light on dark.

    Returns
    -------
    numpy.ndarray of shape (28, 28), uint8
        Grey levels 0..255, ready for :func:`mnist_course.preprocess` like MNIST's images.

    Examples
    --------
    >>> paper = np.full((60, 40), 255, dtype=np.uint8)
    >>> paper[5:50, 3:9] = 0  # a dark vertical stroke near the left edge
    >>> digit = to_mnist_format(paper)
    >>> digit.shape, digit.dtype, int(digit.max()), int(digit[0, 0])
    ((28, 28), dtype('uint8'), 255, 0)
    >>> rows, cols = np.nonzero(digit)
    >>> centre = np.average(cols, weights=digit[rows, cols])  # 13.5 is the image's centre
    >>> int(rows.max() - rows.min() + 1), bool(abs(centre - 13.5) <= 0.5)
    (20, True)
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 1:
        raise ValueError(
            f"image has shape {image.shape}; expected one grey-level picture of shape "
            "(height, width): for a colour picture, average its channels first (image.mean(-1))."
        )
    scale = 255.0 if image.max() > 1 else 1.0
    ink = image / scale
    if dark_ink:
        ink = 1.0 - ink
    ink = np.clip(ink - ink.min(), 0, None)  # the background at 0
    if ink.max() == 0:
        raise ValueError("image has no ink: every pixel has the same grey level.")
    ink /= ink.max()
    rows = np.flatnonzero(ink.max(axis=1) > 0.1)
    cols = np.flatnonzero(ink.max(axis=0) > 0.1)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    factor = BOX / max(ink.shape)
    shape = tuple(max(1, round(side * factor)) for side in ink.shape)
    boxed = np.clip(_resize(ink, shape), 0, 1)
    canvas = np.zeros((SIZE, SIZE))
    top, left = (SIZE - shape[0]) // 2, (SIZE - shape[1]) // 2
    canvas[top : top + shape[0], left : left + shape[1]] = boxed
    grid_r, grid_c = np.indices(canvas.shape)
    centre_r = np.sum(grid_r * canvas) / canvas.sum()
    centre_c = np.sum(grid_c * canvas) / canvas.sum()
    shift_r = int(round((SIZE - 1) / 2 - centre_r))
    shift_c = int(round((SIZE - 1) / 2 - centre_c))
    # the box has at least 4 pixels of margin on each side, so a shift never wraps ink around
    shift_r = int(np.clip(shift_r, -top, SIZE - top - shape[0]))
    shift_c = int(np.clip(shift_c, -left, SIZE - left - shape[1]))
    canvas = np.roll(canvas, (shift_r, shift_c), axis=(0, 1))
    return np.round(255 * canvas).astype(np.uint8)


def load_own_digits():
    """The course's own digits as they were drawn: dark ink on white, not centred, not scaled.

    Returns
    -------
    images : list of numpy.ndarray of shape (64, 48), uint8 grey levels 0..255
    labels : numpy.ndarray of shape (n,), the digit each image shows

    Examples
    --------
    >>> images, labels = load_own_digits()
    >>> len(images), images[0].shape, labels.tolist()
    (3, (64, 48), [0, 1, 7])
    """
    import matplotlib.image

    folder = resources.files("mnist_course") / "own_digit_images"
    names = sorted(item.name for item in folder.iterdir() if item.name.endswith(".png"))
    images, labels = [], []
    for name in names:
        with resources.as_file(folder / name) as path:
            rgba = matplotlib.image.imread(path)
        images.append(np.round(255 * rgba[..., :3].mean(axis=-1)).astype(np.uint8))
        labels.append(int(name.split("_")[0]))
    return images, np.array(labels)
