"""The semester around grading: due dates, the late policy, grades exported for an LMS.

The end-to-end test registers two exercises with due dates (``mnist-course register``), grades
an on-time and a late student with the real nbgrader (``mnist-course autograde``), and reads
what ``mnist-course export`` writes: the late student loses exactly the policy's share, a
written answer nobody graded and an exercise nobody submitted are marked as such, never 0.
"""

import csv
import datetime
import shutil

import nbformat
import pytest
from helpers import ROOT, release_notebook, run_course, run_nbgrader, solution_notebook

from mnist_course import notebook
from mnist_course.grading import GradingError
from mnist_course.grading.deadlines import PerDayPenalty, late_penalty, read_due_dates

DAY = 24 * 60 * 60


def test_a_due_date_with_an_offset_is_stored_in_utc(tmp_path):
    path = tmp_path / "due_dates.toml"
    path.write_text("ex01_data = 2027-02-08T23:59:00+01:00\nex02_model = 2027-02-15T08:00:00\n")
    assert read_due_dates(path, exercises=["ex01_data", "ex02_model"]) == {
        "ex01_data": datetime.datetime(2027, 2, 8, 22, 59),
        "ex02_model": datetime.datetime(2027, 2, 15, 8, 0),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ex01_dta = 2027-02-08T23:59:00Z\n", "'ex01_dta', which is not an exercise"),
        ("ex01_data = 2027-02-08\n", "has no time of day; write 2027-02-08T23:59:00"),
        ('ex01_data = "8 February"\n', "is not a date and time"),
        ("ex01_data = \n", "is not valid TOML"),
    ],
)
def test_a_due_dates_file_with_a_mistake_is_refused_with_the_fix(tmp_path, text, message):
    path = tmp_path / "due_dates.toml"
    path.write_text(text)
    with pytest.raises(GradingError, match=message):
        read_due_dates(path, exercises=["ex01_data"])


def test_a_missing_due_dates_file_says_how_to_write_one(tmp_path):
    with pytest.raises(GradingError, match="does not exist; write one line"):
        read_due_dates(tmp_path / "due_dates.toml")


@pytest.mark.parametrize(
    ("score", "seconds_late", "penalty"),
    [
        (6, 0, 0),  # on time
        (6, 1, 0.6),  # a second late is a day late
        (6, DAY, 0.6),
        (6, DAY + 1, 1.2),
        (3, 2 * DAY, 1.2),  # a share of the maximum, not of the score
        (1, 3 * DAY, 1),  # never below zero
        (6, 30 * DAY, 6),
    ],
)
def test_the_late_policy_takes_a_share_of_the_maximum_per_started_day(score, seconds_late, penalty):
    assert late_penalty(score, 6, seconds_late, fraction_per_day=0.1) == pytest.approx(penalty)


def test_the_policy_s_fraction_is_set_in_the_config():
    from traitlets.config import Config

    config = Config()
    config.PerDayPenalty.fraction_per_day = 0.25
    plugin = PerDayPenalty(config=config)
    assert plugin.late_submission_penalty("alice", 4, 1) == 1  # no gradebook: of the score


def test_nbgrader_config_names_the_course_s_late_policy():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert 'plugin_class = "mnist_course.grading.deadlines.PerDayPenalty"' in text
    assert "c.PerDayPenalty.fraction_per_day = 0.1" in text


def submit(root, student, assignment, nb, timestamp):
    folder = root / "grading" / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")
    (folder / "timestamp.txt").write_text(timestamp)


def completed(root, assignment):
    """The released notebook with every answer cell filled in with the model answer."""
    nb = nbformat.read(release_notebook(assignment, root), 4)
    answers = notebook.model_answers(
        notebook.read_notebook_json(solution_notebook(assignment, root))
    )
    for grade_id, answer in answers.items():
        notebook.find_cell(nb, grade_id).source = answer
    return nb


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


@pytest.mark.nbgrader
def test_a_late_student_loses_the_policy_s_share_and_the_export_marks_every_gap(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for assignment in ("ex01_data", "ex08_experiments"):
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
    # due 23:59 in UTC+1, which is 22:59 UTC
    (root / "due_dates.toml").write_text(
        "ex01_data = 2027-02-08T23:59:00+01:00\nex08_experiments = 2027-02-15T23:59:00+01:00\n"
    )
    done = run_course("register", "ex01_data", "ex08_experiments", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ex01_data: registered, due 2027-02-08 22:59 UTC" in done.stdout

    ex01 = completed(root, "ex01_data")
    submit(root, "ontime", "ex01_data", ex01, "2027-02-08 12:00:00.000000 UTC")
    # 30 hours after the due date: two started days, 0.2 of ex01's 6 points
    submit(root, "late", "ex01_data", ex01, "2027-02-10 04:59:00.000000 UTC")
    # ex08 with only its written answer: its checks fail and the answer waits for a person
    answered = nbformat.read(release_notebook("ex08_experiments", root), 4)
    notebook.find_cell(answered, "written_answer").source = "Relu: its mean is higher."
    submit(root, "late", "ex08_experiments", answered, "2027-02-15 10:00:00.000000 UTC")

    graded = run_course(
        "autograde", "ex01_data", "ex08_experiments", "--jobs", "2", cwd=root, timeout=1200
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    nbgrader_rows = {
        (row[0], row[3]): row
        for row in read_csv(_nbgrader_export(root))[1:]  # assignment, ..., student_id
    }
    assert float(nbgrader_rows["ex01_data", "late"][8]) == pytest.approx(1.2)  # its penalty
    assert float(nbgrader_rows["ex01_data", "ontime"][8]) == 0

    exported = run_course("export", cwd=root)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "ontime ex08_experiments: not submitted, left empty" in exported.stdout
    assert "late ex08_experiments: needs manual grading, left empty" in exported.stdout

    items = read_csv(root / "grades_by_item.csv")
    assert items[0] == ["student_id", "exercise", "item", "points", "max_points", "status"]
    by_key = {(row[0], row[1], row[2]): row[3:] for row in items[1:]}
    assert by_key["late", "ex01_data", "late penalty"] == ["1.2", "", "graded"]
    assert by_key["late", "ex01_data", "total"] == ["4.8", "6", "graded"]
    assert by_key["ontime", "ex01_data", "total"] == ["6", "6", "graded"]
    assert by_key["ontime", "ex08_experiments", "total"] == ["", "8", "not submitted"]
    written = [row for key, row in by_key.items() if key[:2] == ("late", "ex08_experiments")]
    assert ["", "2", "needs manual grading"] in written  # the written answer, not 0
    assert by_key["late", "ex08_experiments", "total"][2] == "needs manual grading"

    lms = read_csv(root / "grades_for_lms.csv")
    assert lms[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "ex01_data",
        "ex08_experiments",
    ]
    assert lms[1][0] == "Points Possible" and lms[1][5:] == ["6", "8"]
    rows = {row[3]: row[5:] for row in lms[2:]}
    assert rows == {"late": ["4.8", ""], "ontime": ["6", ""]}


def _nbgrader_export(root):
    path = root / "nbgrader_grades.csv"
    run_nbgrader(root, "export", "--to", str(path))
    return path
