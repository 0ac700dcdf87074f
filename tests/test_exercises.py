"""The exercise notebooks: exercises/ is exactly what nbgrader makes from solutions/, both are
stored clean, and every test cell follows the course's grading conventions."""

import filecmp
import re
import shutil

import nbformat
import pytest
from helpers import ASSIGNMENTS, ROOT, release_notebook, run_nbgrader, solution_notebook
from traitlets.config.loader import PyFileConfigLoader

from mnist_course import checks
from mnist_course.install_cell import is_install_cell
from mnist_course.notebook import (
    ANSWER,
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    END_SOLUTION,
    SETUP,
    TEST,
    cell_kind,
    nbgrader_metadata,
)

NOTEBOOKS = [notebook(a) for notebook in (solution_notebook, release_notebook) for a in ASSIGNMENTS]


def cells(path):
    return nbformat.read(str(path), as_version=4).cells


def test_every_exercise_has_a_source_a_release_and_its_own_checks_module():
    """Adding an exercise is its folders and its checks module; no list to update here."""
    assert ASSIGNMENTS[:8] == [
        "ex01_data",
        "ex02_model",
        "ex03_gradient_descent",
        "ex04_backpropagation",
        "ex05_training",
        "ex06_testing",
        "ex07_overfitting",
        "ex08_experiments",
    ]
    assert all(re.fullmatch(r"ex\d\d_[a-z_]+", name) for name in ASSIGNMENTS)
    assert checks.exercises() == ASSIGNMENTS
    released = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


@pytest.mark.nbgrader
def test_regenerating_exercises_with_nbgrader_gives_the_committed_copy(tmp_path):
    """solutions/ is the single source: nbgrader's output must equal exercises/ byte for byte."""
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for assignment in ASSIGNMENTS:
        run_nbgrader(tmp_path, "generate_assignment", "--force", assignment)
        generated = release_notebook(assignment, tmp_path)
        committed = release_notebook(assignment)
        assert filecmp.cmp(generated, committed, shallow=False), (
            f"exercises/{assignment} differs from what nbgrader makes of solutions/{assignment}: "
            f"run `nbgrader generate_assignment {assignment} --force` from the repository root "
            "and commit exercises/."
        )
    assert (tmp_path / "grading" / "gradebook.db").is_file()
    assert not (tmp_path / "gradebook.db").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_stored_notebooks_are_clean(path):
    for cell in cells(path):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: outputs stored in a cell"
            assert cell.execution_count is None, f"{path.name}: an execution count is stored"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_hold_solutions_and_exercises_hold_stubs(assignment):
    source = cells(solution_notebook(assignment))
    released = cells(release_notebook(assignment))
    answers = [cell for cell in source if cell_kind(cell) == ANSWER]
    assert answers
    for cell in answers:
        assert BEGIN_SOLUTION in cell.source and END_SOLUTION in cell.source
        assert '"""' in cell.source.split(BEGIN_SOLUTION)[0], "a visible docstring"
    for cell in released:
        assert BEGIN_SOLUTION not in cell.source and BEGIN_HIDDEN_TESTS not in cell.source
        if cell_kind(cell) == ANSWER:
            assert "raise NotImplementedError()" in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_test_cells_follow_the_grading_conventions(assignment):
    """A docstring first, fresh checks, points that add up to the Part headings."""
    notebook = cells(solution_notebook(assignment))
    grade_ids = [nbgrader_metadata(c)["grade_id"] for c in notebook if nbgrader_metadata(c)]
    assert len(grade_ids) == len(set(grade_ids))
    heading_points, cell_points = {}, {}
    part = None
    for cell in notebook:
        meta = nbgrader_metadata(cell)
        heading = re.match(r"## (Part [A-Z]) \((\d+) points?", cell.source)
        if cell.cell_type == "markdown" and heading:
            part = heading.group(1)
            heading_points[part] = int(heading.group(2))
        if meta.get("grade"):
            cell_points[part] = cell_points.get(part, 0) + meta["points"]
        if meta.get("grade") and cell.cell_type == "code":
            assert cell_kind(cell) == TEST and meta["locked"]
            assert re.match(r'"""Check .+"""\n', cell.source), meta["grade_id"]
            assert f'checks = mnist_course.checks.load("{assignment}")' in cell.source
            assert re.search(r"^checks\.check_\w+\(", cell.source, flags=re.MULTILINE)
    assert heading_points == cell_points


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_setup_cell_imports_mnist_course_first(assignment):
    """Importing the package first keeps TensorFlow's start-up lines off stderr."""
    code = [c for c in cells(release_notebook(assignment)) if c.cell_type == "code"]
    setup = next(c for c in code if not is_install_cell(c))  # after Colab's install cell
    assert cell_kind(setup) == SETUP
    first_import = next(line for line in setup.source.splitlines() if "import " in line)
    assert first_import.startswith("import mnist_course")
    # a failed test cell shows the check's message, not a traceback whose context lines
    # would print hidden tests into the feedback
    assert "%xmode Minimal" in setup.source.splitlines()


def test_nbgrader_config_puts_everything_grading_makes_under_grading():
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT))
    config = loader.load_config()
    course = config.CourseDirectory
    assert (course.source_directory, course.release_directory) == ("solutions", "exercises")
    for name in ("solution", "submitted", "autograded", "feedback"):
        assert course[f"{name}_directory"] == f"grading/{name}"
    assert course.db_url == f"sqlite:///{ROOT / 'grading' / 'gradebook.db'}"
    assert config.Execute.timeout >= 60
    assert config.Execute.raise_on_iopub_timeout is False
    assert config.OverwriteCells.add_missing_cells is True
    assert config.ZipCollectApp.downloaded_directory == "grading/downloaded"
    # feedback hides hidden tests (the course's subclass also trims tracebacks), and the
    # notebook is run by the preprocessor that keeps the checks out of the student's process
    preprocessors = "mnist_course.grading.preprocessors"
    assert f"{preprocessors}.ClearHiddenTestsAndTracebacks" in (
        config.GenerateFeedback.preprocessors
    )
    assert config.Autograde.autograde_preprocessors[0] == f"{preprocessors}.GradeOutside"
    from nbgrader.preprocessors import ClearHiddenTests, Execute

    from mnist_course.grading.preprocessors import (
        ClearHiddenTestsAndTracebacks,
        GradeOutside,
    )

    assert issubclass(ClearHiddenTestsAndTracebacks, ClearHiddenTests)
    assert issubclass(GradeOutside, Execute)
    assert "/grading/" in (ROOT / ".gitignore").read_text().splitlines()
