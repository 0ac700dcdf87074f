"""Shared fixtures (small MNIST-like files written in the IDX and CSV formats) and the guard
that keeps the fast selection fast (no MNIST, none of the course's child processes).

The course's paths and the helpers that run its commands in a subprocess are plain
constants and functions, in ``tests/helpers.py`` (``from helpers import ROOT``): with
``--import-mode=importlib`` a test file cannot import this conftest.

Two hooks order the run for ``pytest -n 2 --dist loadfile`` (the README's test command): the
heaviest files start first, so that no worker is left alone with a long file at the end, and
the site test runs after the lessons' test on the same worker, since it builds the site from
the lessons that test executed and stored (otherwise it would execute them a second time).
"""

import functools
import gzip
import os
import shutil
import sys

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


def _heaviest_first(items):
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


# ---------------------------------------------------------------------------------------------
# The fast selection stays fast: a test with none of the markers below decodes no MNIST and
# starts none of the course's child processes

FAST_EXCLUDES = (
    "full_data",
    "training",
    "notebooks",
    "nbgrader",
    "browser",
    "postgres",
    "registry",
    "sandbox",
)
"""The markers the fast selection leaves out: ``-m "not full_data and not training and not
notebooks and not nbgrader and not browser and not postgres and not registry and not
sandbox"``. In a run with that selection (its ``-m`` says ``not <marker>`` for each), or any
run with ``MNIST_COURSE_FAST_GUARD=1``, the guard below fails a test that carries none of
them if it decodes or reads MNIST (mark it ``full_data``, or give it small arrays of its
own) or starts the student's process, the self-check's checking process or ``pytest
exercises`` in a new process (mark it ``sandbox``). With
``MNIST_COURSE_FAST_GUARD_REPORT=<file>`` it lists them in that file instead, one ``<test>
<TAB> <what it did>`` a line, and fails none (to mark many at once)."""

DOCTEST_MARKS = {
    "mnist_course.checks._inputs.mnist_images": ("full_data",),
    "mnist_course.checks._inputs.mnist_labels": ("full_data",),
    "mnist_course.checks._inputs.mnist_rows": ("full_data",),
    "mnist_course.checks._reference.epochs_run": ("full_data",),
    "mnist_course.checks._reference.overfitting_data": ("full_data",),
    "mnist_course.checks._reference.reference_experiment": ("full_data",),
    "mnist_course.checks._state.mnist": ("full_data",),
    "mnist_course.checks.ex05_training.check_train": ("full_data",),
    "mnist_course.checks.ex06_testing.check_evaluate": ("full_data",),
    "mnist_course.checks.ex06_testing.check_predict_labels": ("full_data",),
    "mnist_course.checks.ex06_testing.check_report": ("full_data",),
    "mnist_course.checks.ex06_testing.pipeline_scores": ("full_data",),
    "mnist_course.checks.ex07_overfitting.check_choose_dropout": ("full_data",),
    "mnist_course.checks.ex08_experiments.check_compare_activations": ("full_data",),
    "mnist_course.checks.ex09_convolution.check_cnn": ("full_data",),
    "mnist_course.data.export_csv": ("full_data",),
    "mnist_course.data.load_mnist": ("full_data",),
    "mnist_course.data.read_csv": ("full_data",),
    "mnist_course.data.read_idx": ("full_data",),
    "mnist_course.data.read_npz": ("full_data",),
    "mnist_course.data.verify_bundled": ("full_data",),
    "mnist_course.training.load_course_data": ("full_data",),
    "mnist_course.sandbox.notebook_run.NotebookRun": ("sandbox",),
    "mnist_course.sandbox.student_process.StudentProcess": ("sandbox",),
}
"""Doctests of the package that decode MNIST or start a child process, and their markers (a
doctest cannot carry a marker in its source)."""

MNIST_LENGTH = 10_000
"""Images (or labels) in MNIST's test set; a decoded array at least this long is MNIST's."""

_guarded = None
"""The test that runs under the guard now (its node id), or None."""


def _refuse(what):
    if _guarded is None:
        return
    message = (
        f"{_guarded} {what}, but carries none of the markers {', '.join(FAST_EXCLUDES)}: "
        "mark it (full_data for MNIST; sandbox for the student's or the checking process), "
        "or give it small data of its own, so that the fast selection stays fast"
    )
    report = os.environ.get("MNIST_COURSE_FAST_GUARD_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as file:
            file.write(f"{_guarded}\t{what}\n")
        return
    pytest.fail(message, pytrace=False)


def _mnist_sized(value):
    if isinstance(value, dict):
        return any(_mnist_sized(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(_mnist_sized(v) for v in value)
    return isinstance(value, np.ndarray) and value.ndim > 0 and len(value) >= MNIST_LENGTH


def _watch_decoding(read):
    @functools.wraps(read)
    def reading(*args, **kwargs):
        arrays = read(*args, **kwargs)
        if _mnist_sized(arrays):
            _refuse(f"decodes MNIST ({read.__name__}{args!r:.120})")
        return arrays

    return reading


def _watch_cached_mnist(mnist):
    @functools.wraps(mnist)
    def cached(*args, **kwargs):
        _refuse("reads MNIST (mnist_course.checks._state.mnist)")
        return mnist(*args, **kwargs)

    cached.cache_info, cached.cache_clear = mnist.cache_info, mnist.cache_clear
    return cached


def _watch_start(start, what):
    @functools.wraps(start)
    def starting(*args, **kwargs):
        _refuse(f"starts {what}")
        return start(*args, **kwargs)

    return starting


def _watch_self_check(run_pytest):
    @functools.wraps(run_pytest)
    def running(args, *rest, **kwargs):
        if "exercises" in args:
            _refuse("starts pytest exercises in a new process (the self-check, as a student)")
        return run_pytest(args, *rest, **kwargs)

    return running


def _guard_on(config):
    if os.environ.get("MNIST_COURSE_FAST_GUARD") == "1":
        return True
    if os.environ.get("MNIST_COURSE_FAST_GUARD_REPORT"):
        return True
    selection = config.getoption("markexpr", "") or ""
    return all(f"not {marker}" in selection for marker in FAST_EXCLUDES)


def pytest_configure(config):
    """In a fast run, wrap where MNIST is decoded and where the course starts a child."""
    if not _guard_on(config):
        return
    import helpers

    import mnist_course
    from mnist_course.checks import _inputs, _state
    from mnist_course.sandbox import student_process
    from mnist_course.selfcheck import launcher

    for name in ("read_idx", "read_csv", "read_npz"):
        original = getattr(data, name)
        wrapped = _watch_decoding(original)
        setattr(data, name, wrapped)
        if getattr(mnist_course, name, None) is original:
            setattr(mnist_course, name, wrapped)
    cached = _watch_cached_mnist(_state.mnist)
    _state.mnist = _inputs.mnist = cached
    process = student_process.StudentProcess
    process._popen = _watch_start(process._popen, "the student's process (the sandbox's child)")
    launcher._run_checker = _watch_start(launcher._run_checker, "the self-check's checking process")
    helpers.run_pytest = _watch_self_check(helpers.run_pytest)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Give the package's doctests the markers that ``DOCTEST_MARKS`` lists for them (before
    ``-m`` selects), then put the heaviest files first."""
    for item in items:
        for marker in DOCTEST_MARKS.get(item.name, ()):
            item.add_marker(marker)
    _heaviest_first(items)


def _clear_caches_of_the_checks():
    """Forget what the checks computed from MNIST and keep (exercise 6's models and images), so
    that a test that needs it reads MNIST again, whichever test ran before it."""
    for name, module in list(sys.modules.items()):
        if name.startswith("mnist_course.checks.") and module is not None:
            for attribute, value in list(vars(module).items()):
                if attribute != "mnist" and callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Run a test of the fast selection (setup, call and teardown) under the guard."""
    global _guarded
    if not _guard_on(item.config) or any(item.get_closest_marker(n) for n in FAST_EXCLUDES):
        return (yield)
    _clear_caches_of_the_checks()
    _guarded = item.nodeid
    try:
        return (yield)
    finally:
        _guarded = None
