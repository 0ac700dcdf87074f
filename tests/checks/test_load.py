"""``mnist_course.checks.load``: what a test cell's one call restores, and what it keeps."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mnist_course.checks
from mnist_course.checks import CheckFailed, _state, exercises, load

ROOT = Path(__file__).resolve().parents[2]


def test_every_exercise_folder_has_a_checks_module_of_the_same_name():
    folders = sorted(path.name for path in (ROOT / "exercises").glob("ex*") if path.is_dir())
    assert exercises() == folders


@pytest.mark.parametrize("exercise", exercises())
def test_every_exercise_says_how_long_it_takes_to_grade(exercise):
    """Grading hands out the longest exercises first (mnist_course.checks.grading_seconds)."""
    seconds = getattr(load(exercise), "GRADING_SECONDS", None)
    assert isinstance(seconds, (int, float)) and seconds > 0, (
        f"mnist_course/checks/{exercise}.py has no GRADING_SECONDS: measure one complete "
        f"submission with benchmarks/profile_grading.py --as-graded {exercise}"
    )


def test_load_of_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(ValueError, match="no checks for 'ex01_date'.*ex01_data"):
        load("ex01_date")


@pytest.mark.full_data
def test_load_leaves_no_module_behind_and_decodes_mnist_once():
    load("ex01_data").mnist_images(3)
    modules, decoded = set(sys.modules), _state.mnist.cache_info().misses
    for _ in range(3):
        load("ex01_data").mnist_images(3)
    assert set(sys.modules) == modules
    assert _state.mnist.cache_info().misses == decoded


def test_a_failure_keeps_one_type_across_loads():
    """The self-check and the tests recognise a failed check with isinstance."""
    first = load("ex01_data")
    second = load("ex01_data")
    with pytest.raises(CheckFailed):
        first.check_normalize(lambda x: x / 255)
    with pytest.raises(CheckFailed):
        second.check_normalize(lambda x: x / 255)
    assert issubclass(CheckFailed, AssertionError)


@pytest.mark.full_data
def test_the_mnist_that_checks_share_cannot_be_changed_in_place():
    (x_train, _), _ = _state.mnist()
    with pytest.raises(ValueError, match="read-only"):
        x_train[0, 0, 0] = 1


def test_load_restores_a_check_that_was_replaced_in_the_kernel():
    checks = load("ex01_data")
    checks.check_normalize = lambda *args, **kwargs: None
    with pytest.raises(CheckFailed):
        load("ex01_data").check_normalize(lambda x: x / 255)
    assert mnist_course.checks.ex01_data.check_normalize is not None


def grade_cell(notebook, grade_id):
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    for cell in cells:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            return "".join(cell["source"])
    raise LookupError(grade_id)


# What answer code might assign before a test cell runs; load() undoes each one
PATCHES = {
    "replace the check": "mnist_course.checks.ex01_data.check_normalize = lambda *a, **k: None",
    "silence the messages": "mnist_course.checks.ex01_data.fail = lambda *a, **k: None\n"
    "mnist_course.checks._messages.fail = lambda *a, **k: None",
    "replace the failure": "Quiet = type('Quiet', (Exception,), {})\n"
    "mnist_course.checks._messages.CheckFailed = Quiet",
    "replace the reference": "mnist_course.preprocessing.normalize = lambda x: x / 255\n"
    "mnist_course.normalize = mnist_course.preprocessing.normalize",
}


def run_answer_then_test_cell(answer):
    """Run an answer cell, then exercise 1's normalize test cell, in a fresh Python."""
    test_cell = grade_cell("solutions/ex01_data/ex01_data.ipynb", "test_normalize")
    code = f"import mnist_course\nimport numpy as np\n{answer}\n{test_cell}\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("patch", PATCHES.values(), ids=PATCHES.keys())
def test_answer_cells_that_patch_the_checks_gain_nothing(patch):
    """The test cell, run after an answer cell that patches the checks, still fails."""
    answer = f"import mnist_course.checks.ex01_data\n{patch}\n"
    answer += "def normalize(x):\n    return x / 255\n"
    result = run_answer_then_test_cell(answer)
    assert result.returncode != 0
    assert "_errors.CheckFailed: normalize(x)" in result.stderr
    assert "subtract 0.5 after dividing by 255" in result.stderr


def test_the_same_test_cell_passes_a_correct_answer_after_a_patch():
    """The counterpart: the test cell runs the real check, which passes a right answer."""
    answer = f"import mnist_course.checks.ex01_data\n{PATCHES['replace the check']}\n"
    answer += "def normalize(x):\n    return x / 255 - 0.5\n"
    result = run_answer_then_test_cell(answer)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("exercise", exercises())
def test_every_name_a_test_cell_uses_is_in_its_checks_module(exercise):
    """Hidden tests call checks.mnist_rows(...) and the like: the module must have them."""
    checks = load(exercise)
    notebook = ROOT / "solutions" / exercise / f"{exercise}.ipynb"
    used = set(re.findall(r"(?<!mnist_course\.)\bchecks\.(\w+)", notebook.read_text()))
    assert used, f"{notebook.name} calls no checks"
    assert not {name for name in used if not hasattr(checks, name)}
