"""Shared fixtures: small MNIST-like files written in the IDX and CSV formats.

The course's paths and the helpers that run its commands in a subprocess are plain
constants and functions, in ``tests/helpers.py`` (``from helpers import ROOT``): with
``--import-mode=importlib`` a test file cannot import this conftest.

Two hooks order the run for ``pytest -n 2 --dist loadfile`` (the README's test command): the
heaviest files start first, so that no worker is left alone with a long file at the end, and
the site test runs after the lessons' test on the same worker, since it builds the site from
the lessons that test executed and stored (otherwise it would execute them a second time).
"""

import gzip
import shutil

import numpy as np
import pytest

from mnist_course import data

MARK_SECONDS = {
    "nbgrader": 120,
    "postgres": 60,
    "notebooks": 40,
    "browser": 30,
    "training": 30,
    "full_data": 5,
}
"""A rough cost of one test by its heaviest mark (seconds on a 2-core CPU); 0.2 for a test
without one. Only the files' order depends on it."""


def _work_unit(nodeid):
    """The file a test runs with; the site's test runs with the lessons' test."""
    path = nodeid.split("::", 1)[0]
    return "tests/test_lessons.py" if path == "tests/test_site.py" else path


def pytest_collection_modifyitems(items):
    """Order the files by their tests' cost, heaviest first; a file's tests keep their order."""
    cost, first = {}, {}
    for index, item in enumerate(items):
        unit = _work_unit(item.nodeid)
        marks = [MARK_SECONDS.get(mark.name, 0) for mark in item.iter_markers()]
        cost[unit] = cost.get(unit, 0) + (max(marks, default=0) or 0.2)
        first.setdefault(unit, index)
    items.sort(key=lambda item: (-cost[_work_unit(item.nodeid)], first[_work_unit(item.nodeid)]))


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` in the order above, with the site's test after the lessons'."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CourseScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return _work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the order of pytest_collection_modifyitems
    return CourseScheduling(config, log)


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
