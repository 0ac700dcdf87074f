"""Fair to the student: the visible checks, the ones `pytest exercises` and the notebook run,
exercise every argument the instructions name, so an answer that ignores one is told so before
it is graded, not only by hidden tests."""

import json

import pytest
from helpers import release_notebook, solution_notebook

from mnist_course import notebook
from mnist_course.selfcheck.launcher import check_notebook

# (exercise, answer cell, an answer that ignores an argument, the test cell that must fail)
IGNORED_ARGUMENTS = [
    (
        "ex01_data",
        "one_hot",
        "def one_hot(y, num_classes=10):\n    return np.eye(10)[y]\n",
        "test_one_hot",
    ),
    (
        "ex01_data",
        "pixel_position",
        "def pixel_position(row, column, width=28):\n    return row * 28 + column\n",
        "test_pixel_position",
    ),
    (
        "ex02_model",
        "widest_hidden_layer",
        "def widest_hidden_layer(budget, depth=2):\n"
        "    return int((-796 + (796**2 + 4 * (budget - 10)) ** 0.5) / 2)\n",
        "test_widest_hidden_layer",
    ),
    (
        "ex02_model",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    return mnist_course.build_mlp(activation=activation)\n",
        "test_build_mlp",
    ),
    (
        "ex02_model",
        "count_parameters",
        "def count_parameters(hidden_units=(64, 64)):\n    return 55050\n",
        "test_count_parameters",
    ),
    (
        "ex02_model",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    return mnist_course.build_mlp(hidden_units=hidden_units)\n",
        "test_build_mlp",
    ),
]


def visible_only(exercise, tmp_path, replaced):
    """The released notebook with the model answers, one answer replaced: what a student has."""
    released = json.loads(release_notebook(exercise).read_text())
    answers = notebook.model_answers(notebook.read_notebook_json(solution_notebook(exercise)))
    for grade_id, answer in {**answers, **replaced}.items():
        notebook.find_cell(released, grade_id)["source"] = answer
    path = tmp_path / f"{exercise}.ipynb"
    path.write_text(json.dumps(released))
    return path


@pytest.mark.parametrize(
    ("exercise", "grade_id", "answer", "test_cell"),
    IGNORED_ARGUMENTS,
    ids=[f"{e}-{t}-{i}" for i, (e, _, _, t) in enumerate(IGNORED_ARGUMENTS)],
)
@pytest.mark.sandbox
def test_an_answer_that_ignores_an_argument_fails_a_visible_check(
    exercise, grade_id, answer, test_cell, tmp_path
):
    results = check_notebook(visible_only(exercise, tmp_path, {grade_id: answer}))
    assert results[test_cell].outcome == "failed", results[test_cell]
    others = {g: r.outcome for g, r in results.items() if g != test_cell}
    assert set(others.values()) <= {"passed"}, others
