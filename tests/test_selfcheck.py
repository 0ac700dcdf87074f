"""The students' self-check, `pytest exercises`: it runs a notebook as grading does (the
checks in a process that ran none of the student's code), decides every visible check as the
grader does, passes the solutions, says "not implemented yet" for untouched exercises, teaches
on a wrong answer and survives an endless loop."""

import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from helpers import ASSIGNMENTS, ROOT, release_notebook, run_pytest, solution_notebook

from mnist_course import notebook, selfcheck
from mnist_course.checks import CheckFailed
from mnist_course.sandbox import StudentRaised
from mnist_course.sandbox.notebook_run import CellResult
from mnist_course.selfcheck import checker

EX01 = solution_notebook("ex01_data")


def notebook_with_answer(tmp_path, grade_id, source, *, path=EX01):
    """A copy of a solution notebook whose answer cell `grade_id` holds `source`."""
    nb = nbformat.read(str(path), as_version=4)
    notebook.find_cell(nb, grade_id).source = source
    copy = tmp_path / path.name
    nbformat.write(nb, str(copy))
    return copy


def test_the_checking_process_does_not_import_pytest():
    """Each notebook's checking process starts fresh: pytest belongs to the parent alone."""
    code = "import sys, mnist_course.selfcheck.checker\nprint('pytest' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_a_failed_check_is_known_by_its_type_and_shows_its_message():
    failure = CheckFailed("normalize(x) ...\n  hint: subtract 0.5")
    result = CellResult(error=("CheckFailed", str(failure)), exception=failure)
    assert checker.describe(result, timeout=60) == selfcheck.Result(
        "failed", "normalize(x) ...\n  hint: subtract 0.5"
    )


def test_an_assertion_error_from_the_students_function_is_not_taken_for_a_failed_check():
    raised = StudentRaised("normalize", "AssertionError", "x (in normalize(), cell 0, line 2: a)")
    result = CellResult(error=("AssertionError", str(raised)), exception=raised)
    described = checker.describe(
        result,
        timeout=60,
        cells=[checker.Cell("answer", "answer cell normalize", "", "answer cell 'normalize'")],
    )
    assert described.outcome == "error"
    assert described.message.startswith("normalize() raised AssertionError: x\n")
    assert "at normalize() in answer cell 'normalize', line 2: a" in described.message


@pytest.mark.sandbox
def test_the_correct_answers_pass():
    results = selfcheck.check_notebook(EX01)
    assert {name: r.outcome for name, r in results.items()} == {
        "test_split_labels": "passed",
        "test_normalize": "passed",
        "test_one_hot": "passed",
        "test_pixel_position": "passed",
        "test_predicted_unnormalised_accuracy": "passed",
        "test_predicted_permuted_accuracy": "passed",
    }


@pytest.mark.sandbox
def test_a_wrong_normalisation_fails_with_the_teaching_message_and_the_rest_pass(tmp_path):
    source = "def normalize(x):\n    return x / 255\n"
    results = selfcheck.check_notebook(notebook_with_answer(tmp_path, "normalize", source))
    assert results["test_normalize"].outcome == "failed"
    message = results["test_normalize"].message
    assert "values are in [0, 1]; the course normalises to [-0.5, 0.5]" in message
    assert "subtract 0.5 after dividing by 255" in message
    assert "Traceback" not in message
    assert results["test_split_labels"].passed and results["test_one_hot"].passed


@pytest.mark.sandbox
def test_an_endless_loop_is_stopped_and_the_other_checks_still_run(tmp_path):
    source = "def normalize(x):\n    while True:\n        pass\n"
    path = notebook_with_answer(tmp_path, "normalize", source)
    results = selfcheck.check_notebook(path, timeout=3)
    assert results["test_normalize"].outcome == "timeout"
    assert "timed out: normalize() did not return within 3 s" in results["test_normalize"].message
    assert results["test_split_labels"].passed and results["test_one_hot"].passed


@pytest.mark.sandbox
def test_a_loop_that_swallows_the_stop_is_killed_and_the_other_checks_still_run(tmp_path):
    """The call is stopped from outside the student's process. (The loop runs on the check's
    input only: a cell of the notebook that ran it would hold the student's process until
    the cells' own limit, here as in grading.)"""
    source = (
        "def normalize(x):\n"
        "    while x.size == 256:\n"
        "        try:\n"
        "            sum(range(10**6))\n"
        "        except BaseException:\n"
        "            pass\n"
        "    return x / 255 - 0.5\n"
    )
    path = notebook_with_answer(tmp_path, "normalize", source)
    results = selfcheck.check_notebook(path, timeout=2)
    assert results["test_normalize"].outcome == "timeout"
    assert "did not return within 2 s" in results["test_normalize"].message
    assert results["test_split_labels"].passed and results["test_one_hot"].passed


@pytest.mark.sandbox
def test_a_function_that_ends_the_process_is_reported_and_the_other_checks_still_run(tmp_path):
    """(On the check's input only: a cell of the notebook that ran it would end the student's
    process each time it is started, here as in grading.)"""
    source = "import os\n\n\ndef normalize(x):\n    if x.size == 256:\n        os._exit(3)\n"
    source += "    return x / 255 - 0.5\n"
    results = selfcheck.check_notebook(notebook_with_answer(tmp_path, "normalize", source))
    assert results["test_normalize"].outcome == "error"
    assert "stopped the check" in results["test_normalize"].message
    assert results["test_split_labels"].passed and results["test_one_hot"].passed


@pytest.mark.sandbox
def test_an_endless_loop_outside_a_function_is_reported_for_the_checks_it_blocks(tmp_path):
    source = "while True:\n    pass\n"
    path = notebook_with_answer(tmp_path, "normalize", source)
    results = selfcheck.check_notebook(path, timeout=2)
    assert results["test_normalize"].outcome == "error"
    assert "answer cell normalize: did not finish within 2 s" in results["test_normalize"].message
    assert results["test_split_labels"].passed and results["test_one_hot"].passed


@pytest.mark.sandbox
def test_an_error_in_the_answer_names_the_cell_and_line_without_a_traceback(tmp_path):
    source = "def normalize(x):\n    scaled = x / 255\n    return scaled.shape() - 0.5\n"
    results = selfcheck.check_notebook(notebook_with_answer(tmp_path, "normalize", source))
    message = results["test_normalize"].message
    assert message.startswith("normalize() raised TypeError")
    assert "answer cell 'normalize', line 3: return scaled.shape() - 0.5" in message
    assert "Traceback" not in message


@pytest.mark.sandbox
def test_a_renamed_function_says_keep_the_name(tmp_path):
    source = "def normalise(x):\n    return x / 255 - 0.5\n"
    results = selfcheck.check_notebook(notebook_with_answer(tmp_path, "normalize", source))
    assert "name 'normalize' is not defined" in results["test_normalize"].message
    assert "Keep the function's name" in results["test_normalize"].message


@pytest.mark.sandbox
def test_magics_in_an_answer_cell_do_not_stop_the_check(tmp_path):
    source = "%matplotlib inline\ndef normalize(x):\n    return x / 255 - 0.5\n"
    results = selfcheck.check_notebook(notebook_with_answer(tmp_path, "normalize", source))
    assert results["test_normalize"].passed


@pytest.mark.sandbox
def test_the_notebooks_cells_run_in_order_with_the_test_cells_between_them(tmp_path):
    """As in grading: a cell below an answer (a demonstration the student changed, a cell of
    their own) runs before the next test cell and can replace the answer; a test cell sees
    only the cells above it."""
    nb = nbformat.read(str(EX01), as_version=4)
    cells = nb.cells
    after = cells.index(notebook.find_cell(nb, "normalize")) + 1
    cells[after].source = "def normalize(x):\n    return x / 255\n"  # wrong, replaces the answer
    cells.append(nbformat.v4.new_code_cell("def split_labels(rows):\n    return None\n"))
    path = tmp_path / EX01.name
    nbformat.write(nb, str(path))
    results = selfcheck.check_notebook(path)
    assert results["test_normalize"].outcome == "failed", results["test_normalize"]
    assert results["test_split_labels"].passed and results["test_one_hot"].passed


def wrong_answers(tmp_path):
    """Exercise 1 released, with the model answers but one wrong and one replaced by a wrong
    one in a cell of the student's below it, as a student might hand it in."""
    released = nbformat.read(str(release_notebook("ex01_data")), as_version=4)
    answers = notebook.model_answers(notebook.read_notebook_json(EX01))
    answers["normalize"] = "def normalize(x):\n    return x / 255\n"
    for grade_id, source in answers.items():
        notebook.find_cell(released, grade_id).source = source
    cells = released.cells
    after = cells.index(notebook.find_cell(released, "split_labels")) + 1
    cells.insert(after, nbformat.v4.new_code_cell("split_labels = lambda rows: (rows, rows)"))
    path = tmp_path / "ex01_data.ipynb"
    nbformat.write(released, str(path))
    return path


@pytest.mark.sandbox
def test_a_visible_check_decides_as_the_grader_does(tmp_path):
    """The same notebook through `pytest exercises` and through nbgrader's preprocessor
    (GradeOutside, without a released copy to compare demonstrations with: every cell runs):
    the same test cells pass and fail."""
    from mnist_course.grading.preprocessors import GradeOutside

    path = wrong_answers(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    GradeOutside(timeout=60).preprocess(nb, {})
    graded = {
        cell.metadata.nbgrader.grade_id: not any(o.output_type == "error" for o in cell.outputs)
        for cell in nb.cells
        if notebook.cell_kind(cell) == notebook.TEST
    }
    checked = {grade_id: r.passed for grade_id, r in selfcheck.check_notebook(path).items()}
    assert checked == graded
    assert graded == {
        "test_split_labels": False,
        "test_normalize": False,
        "test_one_hot": True,
        "test_pixel_position": True,
        "test_predicted_unnormalised_accuracy": True,
        "test_predicted_permuted_accuracy": True,
    }


@pytest.mark.sandbox
def test_a_patch_in_the_students_process_cannot_make_a_wrong_answer_pass(tmp_path):
    """numpy patched in an answer cell is patched where the student's code runs, not where the
    check compares: the wrong answer still fails, with the check's own message."""
    source = (
        "np.allclose = lambda *args, **kwargs: True\n"
        "np.array_equal = lambda *args, **kwargs: True\n\n\n"
        "def normalize(x):\n"
        "    assert np.allclose(0, 1)  # the patch holds where this function runs\n"
        "    return x / 255\n"
    )
    results = selfcheck.check_notebook(notebook_with_answer(tmp_path, "normalize", source))
    assert results["test_normalize"].outcome == "failed", results["test_normalize"]
    assert "subtract 0.5 after dividing by 255" in results["test_normalize"].message


@pytest.mark.notebooks
def checked_items(notebook_of):
    """How many items pytest exercises reports: a test cell or written answer each."""
    notebooks = (notebook.read_notebook(notebook_of(a)) for a in ASSIGNMENTS)
    count = sum(len(tests) + len(written) for tests, written in notebooks)
    assert count >= 3 * len(ASSIGNMENTS)  # every exercise has at least three
    return count


@pytest.mark.sandbox
def test_pytest_exercises_on_the_untouched_exercises_says_not_implemented_yet_for_every_item():
    """The real command, from the repository root, with the repository's pytest settings."""
    code, output = run_pytest(["exercises"], cwd=ROOT)
    assert code == 1, output
    failed = re.findall(r"^FAILED (exercises/\S+)", output, flags=re.MULTILINE)
    expected = checked_items(release_notebook)
    assert len(failed) == expected, output
    assert output.count("\nnot implemented yet: ") == expected, output
    assert re.search(rf"\b{expected} failed in ", output), output
    assert "Traceback" not in output and "mnist_course/selfcheck" not in output
    assert "error" not in output.splitlines()[-1]


@pytest.mark.notebooks
@pytest.mark.training
def test_pytest_exercises_on_the_solutions_passes_every_item(tmp_path):
    """The solutions, put where a student's exercises are, pass every check."""
    shutil.copytree(ROOT / "solutions", tmp_path / "exercises")
    shutil.copy(ROOT / "exercises" / "conftest.py", tmp_path / "exercises")
    # each call's time limit is for a loop that never ends; the heaviest right answer
    # (exercise 7's choose_dropout trains several networks) can pass 60 s on a CPU that CI
    # shares with other tests
    command = ["exercises", "-p", "no:cacheprovider", "--check-timeout", "180"]
    code, output = run_pytest(command, cwd=tmp_path)
    assert code == 0, output
    assert re.search(rf"\b{checked_items(solution_notebook)} passed in ", output), output


@pytest.mark.sandbox
def test_pytest_exercises_shows_the_message_not_a_traceback(tmp_path):
    folder = tmp_path / "exercises" / "ex01_data"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / "conftest.py", tmp_path / "exercises")
    source = "def normalize(x):\n    return x / 255\n"
    notebook_with_answer(folder, "normalize", source)
    code, output = run_pytest(["exercises", "-p", "no:cacheprovider"], cwd=tmp_path)
    assert code == 1
    assert "1 failed, 5 passed" in output
    assert "FAILED exercises/ex01_data/ex01_data.ipynb::test_normalize" in output
    assert "  hint: values are in [0, 1]; the course normalises to [-0.5, 0.5]" in output
    assert "Traceback" not in output and "mnist_course/selfcheck" not in output


def test_plain_pytest_collects_neither_exercises_nor_solutions():
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    code, output = run_pytest(["--collect-only", "-q"], cwd=ROOT, env=env)
    assert code == 0, output
    collected = [line for line in output.splitlines() if "::" in line]
    assert collected, output
    assert not [line for line in collected if line.startswith(("exercises/", "solutions/"))]


IN_PLACE = {
    # an answer that changes its input in place: (assignment, answer cell, source, test, hint)
    "normalize": (
        "ex01_data",
        "normalize",
        "def normalize(x):\n"
        "    x = x.astype(np.float32, copy=False)\n"
        "    x /= 255\n"
        "    x -= 0.5\n"
        "    return x\n",
        "test_normalize",
        "compute a new array (x / 255 - 0.5) instead of changing x in place",
    ),
    "softmax": (
        "ex03_gradient_descent",
        "softmax",
        "def softmax(logits):\n"
        "    logits -= logits.max(axis=1, keepdims=True)\n"
        "    e = np.exp(logits)\n"
        "    return e / e.sum(axis=1, keepdims=True)\n",
        "test_softmax",
        "compute new arrays (z = logits - ...) instead of subtracting in place",
    ),
    "split_validation": (
        "ex07_overfitting",
        "split_validation",
        "def split_validation(x, y, *, validation_size=10000, seed=0):\n"
        "    np.random.default_rng(seed).shuffle(x)\n"
        "    np.random.default_rng(seed).shuffle(y)\n"
        "    return (x[validation_size:], y[validation_size:]), "
        "(x[:validation_size], y[:validation_size])\n",
        "test_split_validation",
        "index into new arrays (x[order]) instead of np.random.shuffle(x)",
    ),
}


@pytest.mark.parametrize("answer", sorted(IN_PLACE))
@pytest.mark.sandbox
def test_an_answer_that_changes_its_input_in_place_fails_with_the_checks_hint(tmp_path, answer):
    """The student's function runs in its own process; what it does to its arguments comes
    back, so the check that asks for the input unchanged sees the change."""
    assignment, grade_id, source, test, hint = IN_PLACE[answer]
    path = notebook_with_answer(tmp_path, grade_id, source, path=solution_notebook(assignment))
    results = selfcheck.check_notebook(path, grade_ids={test})  # not the exercise's training
    assert results[test].outcome == "failed", results[test]
    assert "changed its input" in results[test].message
    assert hint in results[test].message
