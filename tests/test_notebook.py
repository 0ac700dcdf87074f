"""The model of a course notebook: which cell is which, the model answers, reading it fast."""

import json
import subprocess
import sys

import nbformat
import pytest
from helpers import ASSIGNMENTS, release_notebook, solution_notebook
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from mnist_course import notebook

EX01 = solution_notebook("ex01_data")


def meta(**flags):
    return {"nbgrader": {"grade_id": "x", **flags}}


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        (new_code_cell("import numpy", metadata=meta(locked=True)), notebook.SETUP),
        (new_code_cell("def f(): ...", metadata=meta(solution=True)), notebook.ANSWER),
        (new_code_cell("check(f)", metadata=meta(grade=True, locked=True)), notebook.TEST),
        (new_markdown_cell("Because", metadata=meta(solution=True, grade=True)), notebook.WRITTEN),
        (new_code_cell("print(x)"), notebook.OWN),
        (new_code_cell("print(x)", metadata=meta()), notebook.OWN),
        (new_markdown_cell("## Part A", metadata=meta(locked=True)), notebook.MARKDOWN),
        (new_markdown_cell("my notes"), notebook.MARKDOWN),
        (new_raw_cell("raw"), notebook.RAW),
    ],
)
def test_each_kind_of_cell_is_told_apart_by_its_nbgrader_metadata(cell, kind):
    assert notebook.cell_kind(cell) == kind
    assert notebook.cell_kind(json.loads(json.dumps(cell))) == kind  # plain JSON too


def test_an_autograded_answer_counts_as_an_answer_not_a_test():
    cell = new_code_cell("def f(): ...", metadata=meta(solution=True, grade=True, points=1))
    assert notebook.cell_kind(cell) == notebook.ANSWER


def test_exercise_one_is_setup_then_answer_and_test_cells_and_the_students_own_cells():
    kinds = [notebook.cell_kind(cell) for cell in notebook.read_notebook_json(EX01)["cells"]]
    code = [kind for kind in kinds if kind not in (notebook.MARKDOWN,)]
    assert code[0] == notebook.SETUP
    assert code.count(notebook.ANSWER) == code.count(notebook.TEST) == 6
    assert notebook.OWN in code  # the cells that print shapes are the student's to change


def test_reading_a_notebook_as_json_gives_the_same_cells_as_nbformat():
    plain = notebook.read_notebook_json(EX01)["cells"]
    node = nbformat.read(EX01, as_version=4).cells
    assert [notebook.cell_source(cell) for cell in plain] == [cell.source for cell in node]
    assert [notebook.cell_kind(cell) for cell in plain] == [
        notebook.cell_kind(cell) for cell in node
    ]


def test_a_notebook_of_another_format_version_is_refused(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "worksheets": []}))
    with pytest.raises(ValueError, match="nbformat 3; expected 4"):
        notebook.read_notebook_json(path)


def test_reading_a_notebook_does_not_import_nbformat():
    code = (
        "import sys\n"
        "from mnist_course.notebook import cells_to_run, read_notebook_json, read_notebook\n"
        f"read_notebook({str(EX01)!r})\n"
        f"cells_to_run(read_notebook_json({str(EX01)!r}))\n"
        "print('nbformat' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_the_cells_to_run_are_the_code_cells_but_the_demonstrations_as_released():
    nb = notebook.read_notebook_json(EX01)
    cells = notebook.cells_to_run(nb, notebook.released_demonstrations(nb))
    graded = [(cell.kind, cell.grade_id) for cell in cells if cell.kind != notebook.TEST]
    # Colab's install cell, where the notebook has it, is a setup cell before the others
    assert [cell for cell in graded if cell != ("setup", "install_course")] == [
        ("setup", "setup"),
        ("answer", "split_labels"),
        ("answer", "normalize"),
        ("answer", "one_hot"),
        ("answer", "pixel_position"),
        ("answer", "predicted_unnormalised_accuracy"),
        ("answer", "predicted_permuted_accuracy"),
    ]
    ran = [cell.cell for cell in cells]
    left_out = [cell for cell in notebook.cells_to_run(nb) if cell.cell not in ran]
    assert left_out and {cell.kind for cell in left_out} == {notebook.OWN}


def test_a_cell_without_code_is_not_run_but_a_test_cell_always_is():
    released = new_code_cell("print(normalize(x))")
    cells = [
        new_code_cell("x = 1", metadata=meta(locked=True, grade_id="setup")),
        new_code_cell("", metadata=meta(solution=True, grade_id="normalize")),
        released,
        new_code_cell("print(normalize(x).min())"),
        new_code_cell("   \n"),
        new_code_cell("", metadata=meta(grade=True, locked=True, grade_id="test_normalize")),
        new_code_cell("y = 2"),
    ]
    nb = new_notebook(cells=cells)
    digests = frozenset(notebook.demonstration_digests(new_notebook(cells=[released])))
    run = notebook.cells_to_run(nb, digests)
    assert [cell.cell for cell in run] == [cells[0], cells[3], cells[5], cells[6]]
    # a cell without a grade_id is named after the last one with one, run or not
    assert [cell.after for cell in run] == [
        None,
        ("answer", "normalize"),
        ("answer", "normalize"),
        ("test", "test_normalize"),
    ]


def test_read_notebook_gives_the_test_cells_and_written_answers():
    tests, written = notebook.read_notebook(EX01)
    assert [(t.grade_id, t.points) for t in tests] == [
        ("test_split_labels", 1),
        ("test_normalize", 1),
        ("test_one_hot", 1),
        ("test_pixel_position", 1),
        ("test_predicted_unnormalised_accuracy", 1),
        ("test_predicted_permuted_accuracy", 1),
    ]
    assert tests[1].description == "Check that normalize scales grey levels 0..255 to [-0.5, 0.5]"
    assert written == []
    _, written = notebook.read_notebook(solution_notebook("ex08_experiments"))
    assert [w.grade_id for w in written] == ["written_answer"]


def test_a_test_cell_without_a_docstring_is_described_by_its_grade_id():
    assert notebook.describe_test("check(f)\n", "test_f") == "check(f)"
    assert notebook.describe_test("", "test_f") == "test_f"


def test_find_cell_returns_the_cell_itself_and_names_a_missing_grade_id():
    nb = nbformat.read(EX01, as_version=4)
    notebook.find_cell(nb, "normalize").source = "changed"
    assert [cell.source for cell in nb.cells].count("changed") == 1
    with pytest.raises(LookupError, match="no cell with grade_id 'normalise'"):
        notebook.find_cell(nb, "normalise")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_model_answer_is_the_solution_without_its_markers_and_fills_the_release(assignment):
    answers = notebook.model_answers(notebook.read_notebook_json(solution_notebook(assignment)))
    released = notebook.read_notebook_json(release_notebook(assignment))
    assert answers
    for grade_id, answer in answers.items():
        assert notebook.BEGIN_SOLUTION not in answer and notebook.END_SOLUTION not in answer
        cell = notebook.find_cell(released, grade_id)  # every answer has its cell in the release
        if notebook.cell_kind(cell) == notebook.ANSWER:
            stub = notebook.cell_source(cell)
            # the signature and docstring before the solution are what the student sees
            assert answer.split('"""')[:2] == stub.split('"""')[:2]


def test_hidden_tests_are_the_lines_between_their_markers_and_nothing_else():
    source = (
        '"""Check f"""\ncheck(f)\n### BEGIN HIDDEN TESTS\ncheck(f, x=1)\n\ncheck(f, x=2)\n'
        "### END HIDDEN TESTS\nprint('done')"
    )
    assert notebook.hidden_tests(source) == ["check(f, x=1)", "", "check(f, x=2)"]
    assert notebook.hidden_tests("check(f)") == []


def test_the_solutions_have_hidden_tests_and_no_release_shows_them():
    hidden = []
    for assignment in ASSIGNMENTS:
        for cell in notebook.read_notebook_json(solution_notebook(assignment))["cells"]:
            hidden += notebook.hidden_tests(notebook.cell_source(cell))
        for cell in notebook.read_notebook_json(release_notebook(assignment))["cells"]:
            assert notebook.hidden_tests(notebook.cell_source(cell)) == [], assignment
    assert [line for line in hidden if line.strip()]


def test_cells_made_with_nbformat_are_read_like_stored_ones(tmp_path):
    cell = new_code_cell("def f(): ...", metadata=meta(solution=True))
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=[cell]), path)
    [cell] = notebook.cells_to_run(notebook.read_notebook_json(path))
    assert (cell.kind, cell.grade_id, cell.source) == ("answer", "x", "def f(): ...")
    [node] = notebook.cells_to_run(nbformat.read(path, as_version=4))
    assert (node.kind, node.grade_id, node.source) == ("answer", "x", "def f(): ...")
    assert notebook.read_notebook(path) == ([], [])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_and_the_release_list_their_demonstrations_as_they_are(assignment):
    """The self-check knows the released demonstrations by these digests; grading computes
    them from the release. After changing a demonstration cell the list must be renewed."""
    fix = (
        f"run: python -c 'from mnist_course.notebook import mark_demonstrations; "
        f'mark_demonstrations("solutions/{assignment}/{assignment}.ipynb")\' '
        f"then nbgrader generate_assignment {assignment} --force"
    )
    for path in (solution_notebook(assignment), release_notebook(assignment)):
        nb = notebook.read_notebook_json(path)
        listed = notebook.released_demonstrations(nb)
        assert listed and listed == set(notebook.demonstration_digests(nb)), f"{path}: {fix}"


def test_a_demonstration_is_unchanged_only_with_the_released_source():
    released = {"cell_type": "code", "metadata": {}, "source": "print(normalize(x).max())"}
    digests = frozenset(notebook.demonstration_digests({"cells": [released]}))
    assert notebook.is_unchanged_demonstration(released, digests)
    changed = {**released, "source": "print(normalize(x).min())"}
    assert not notebook.is_unchanged_demonstration(changed, digests)
    answer = {**released, "metadata": {"nbgrader": {"solution": True, "grade_id": "a"}}}
    assert not notebook.is_unchanged_demonstration(answer, digests)


def test_mark_demonstrations_writes_the_list_once(tmp_path):
    path = tmp_path / "ex01_data.ipynb"
    path.write_bytes(solution_notebook("ex01_data").read_bytes())
    assert not notebook.mark_demonstrations(path)  # already up to date
    nb = notebook.read_notebook_json(path)
    nb["metadata"]["mnist_course"]["demonstrations"] = []
    path.write_text(json.dumps(nb))
    assert notebook.mark_demonstrations(path)
    assert notebook.released_demonstrations(notebook.read_notebook_json(path))
