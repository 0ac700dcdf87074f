"""Shared fixtures: small MNIST-like files written in the IDX and CSV formats.

The course's paths and the helpers that run its commands in a subprocess are plain
constants and functions, in ``tests/helpers.py`` (``from helpers import ROOT``): with
``--import-mode=importlib`` a test file cannot import this conftest.
"""

import gzip
import shutil

import numpy as np
import pytest

from mnist_course import data


def write_idx(path, array, *, compress=False):
    """Write a uint8 array as an IDX file (optionally gzipped); return the path."""
    array = np.asarray(array, dtype=np.uint8)
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path


@pytest.fixture(name="write_idx")
def write_idx_fixture():
    """The IDX writer, for tests that make their own files."""
    return write_idx


@pytest.fixture
def small_mnist():
    """Twelve training and six test images with labels, as Keras returns them."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    return (x_train, np.arange(12, dtype=np.uint8) % 10), (x_test, np.arange(6, dtype=np.uint8))


@pytest.fixture
def idx_folder(tmp_path, small_mnist):
    """A folder with the four IDX files of ``small_mnist``, gzipped."""
    (x_train, y_train), (x_test, y_test) = small_mnist
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, spec in data.IDX_FILES.items():
        write_idx(tmp_path / spec.name, arrays[key], compress=True)
    return tmp_path


@pytest.fixture
def bundled_copy(tmp_path, monkeypatch):
    """A writable copy of the bundled MNIST that the loader treats as the bundled one."""
    copy = tmp_path / "bundled"
    shutil.copytree(data.bundled_dir(), copy)
    monkeypatch.setattr(data, "bundled_dir", lambda: copy)
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    return copy
