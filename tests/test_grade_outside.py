"""Checks run in this process, the student's functions in the sandbox's child: what a check
needs of the student's process arrives as data and judges the same as a call in one process."""

import os
import subprocess
import sys

import pytest

from mnist_course.sandbox.notebook_run import NotebookRun, StudentFunction

CHECKS = "checks = mnist_course.checks.load({!r})\n"

TRAIN = """
import keras


def compile_model(model):
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, *, epochs=5, seed=0):
    keras.utils.set_random_seed(seed)
    return model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)


def train_a_copy(model, x_train, y_train, *, epochs=5, seed=0):
    keras.utils.set_random_seed(seed)
    copy = keras.models.clone_model(model)
    compile_model(copy)
    return copy.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
"""

STUDENT = """
import mnist_course
import numpy as np

(x_train, y_train), (x_test, y_test) = mnist_course.load_course_data()
LIMIT = 3


def shape_error(x):
    return np.ones((2, 3)) @ np.ones((2, 3))


def not_yet(x):
    raise NotImplementedError()


def peeks(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0):
    return 1, float(len(x_test))


def unseeded(activations, x_train, y_train, x_val, y_val, *, epochs=1, seed=0):
    results = {}
    for activation in activations:
        model = mnist_course.compile_model(mnist_course.build_mlp(activation=activation))
        mnist_course.train(model, x_train, y_train, epochs=epochs, seed=seed, verbose=0)
        results[activation] = mnist_course.evaluate(model, x_val, y_val)["accuracy"]
    return results
"""


@pytest.fixture(scope="module")
def run():
    # one TensorFlow thread, as grading has, only while this module runs: a later test's
    # kernel (a lesson's) must get the environment a student's has
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TF_NUM_INTRAOP_THREADS", "1")
        patch.setenv("TF_NUM_INTEROP_THREADS", "1")
        with NotebookRun(timeout=120) as notebook:
            results = notebook.student_cells([TRAIN, STUDENT])
            assert [result.error for result in results] == [None, None]
            yield notebook


@pytest.mark.sandbox
def test_only_the_names_a_test_cell_uses_are_bound_and_functions_become_calls_into_the_child(
    run,
):
    namespace = run.namespace("print(LIMIT, train, np.pi, unknown)")
    assert isinstance(namespace["train"], StudentFunction)
    assert namespace["LIMIT"] == 3  # a value arrives as data
    assert namespace["np"].__name__ == "numpy"  # the grading process's numpy, not the child's
    assert "unknown" not in namespace and "x_test" not in namespace
    assert run.test_cell("print(unknown)").error[0] == "NameError"


@pytest.mark.training
def test_a_model_trained_in_the_child_comes_back_trained_so_the_training_check_passes(run):
    result = run.test_cell(CHECKS.format("ex05_training") + "checks.check_train(train)")
    assert result.passed, result.error


@pytest.mark.training
def test_a_train_that_trains_a_copy_leaves_the_graders_model_untrained_and_fails(run):
    result = run.test_cell(CHECKS.format("ex05_training") + "checks.check_train(train_a_copy)")
    assert result.error[0] == "CheckFailed"
    assert "did not lower the model's loss" in result.error[1]


@pytest.mark.sandbox
def test_the_students_exception_is_also_the_builtin_so_a_check_can_explain_it(run):
    result = run.test_cell(
        CHECKS.format("ex03_gradient_descent") + "checks.check_softmax(shape_error)"
    )
    assert result.error[0] == "CheckFailed" and "shapes that fit" in result.error[1]
    result = run.test_cell(CHECKS.format("ex01_data") + "checks.check_normalize(not_yet)")
    assert result.error[0] == "NotImplementedError"
    assert "not_yet() raised NotImplementedError" in result.error[1]


@pytest.mark.full_data
def test_the_test_set_is_sealed_in_the_child_while_the_choice_is_made(run):
    result = run.test_cell(CHECKS.format("ex07_overfitting") + "checks.check_choose_epochs(peeks)")
    assert result.error[0] == "CheckFailed"
    assert "used x_test while choosing" in result.error[1]
    assert run.process.value("LIMIT") == 3  # the child still serves


@pytest.mark.training
def test_the_seeds_an_experiment_passes_are_recorded_in_the_child(run):
    result = run.test_cell(
        CHECKS.format("ex08_experiments")
        + "checks.check_compare_activations(unseeded, activations=('relu',))"
    )
    assert result.error[0] == "CheckFailed"
    assert "called mnist_course.build_mlp() with seed=None" in result.error[1]


@pytest.mark.sandbox
def test_a_test_cell_prints_here_and_a_patch_in_the_child_changes_nothing_here(run):
    run.student_cells(["np.allclose = lambda *args, **kwargs: True"])
    result = run.test_cell("print('checked')\nassert not np.allclose(0, 1)")
    assert result.passed and result.output == "checked\n"


KERAS_FREE = """
import sys
from mnist_course import notebook
from mnist_course.sandbox.notebook_run import NotebookRun

cells = notebook.cells_to_run(notebook.read_notebook_json(sys.argv[1]))  # demonstrations too
with NotebookRun(timeout=120) as run:
    results = [result for _, result in run.run(cells)]
assert all(result.passed for result in results), [result.error for result in results]
print("keras" in sys.modules)
"""


@pytest.mark.full_data
@pytest.mark.parametrize("exercise", ["ex01_data", "ex03_gradient_descent"])
def test_checks_that_say_they_need_no_keras_run_without_it(exercise):
    """Grading imports Keras early for every other exercise: these must not need it."""
    from helpers import ROOT, solution_notebook

    from mnist_course.checks import uses_keras

    assert not uses_keras(exercise)
    done = subprocess.run(
        [sys.executable, "-c", KERAS_FREE, str(solution_notebook(exercise))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_a_keras_still_being_imported_counts_as_not_imported(monkeypatch):
    """Grading imports Keras in a thread while the student's cells run: until its classes are
    there, sending data must not look for them (nor fail on a half-made module)."""
    import types

    from mnist_course.sandbox import wire

    monkeypatch.setitem(sys.modules, "keras", types.ModuleType("keras"))
    assert wire.keras_classes() == (None, None)
    assert wire.decode(*wire.encode([1, "a"])) == [1, "a"]


@pytest.mark.sandbox
def test_grading_a_notebook_leaves_this_processs_environment_as_it_was(monkeypatch):
    """GradeOutside gives the checks one TensorFlow thread while it grades, and no longer: a
    process that grades and then starts kernels (this test suite's lessons) must not pass it on."""
    from nbformat.v4 import new_code_cell, new_notebook

    from mnist_course.grading.preprocessors import GradeOutside

    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    before = dict(os.environ)
    test = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("assert x == 1", metadata=test)])
    GradeOutside(timeout=60).preprocess(nb, {})
    assert nb.cells[1].outputs == []  # the check passed
    assert dict(os.environ) == before
