"""Grading (the package mnist_course.grading): the course's folders and gradebook
(coursedir.py), the parallel class autograde, its workers and its report (autograde.py,
pool.py, report.py), the screen of the submissions (screen.py), the two nbgrader
preprocessors (preprocessors.py), and the real nbgrader over all of them.

The unit tests replace nbgrader's process with a small fake. The tests marked ``nbgrader``
run the real nbgrader over a temporary course made from solutions/; the one also marked
``postgres`` starts a PostgreSQL server and grades a class in two shards into it.
"""

import contextlib
import csv
import hashlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest
from helpers import (
    ROOT,
    import_or_fail_in_ci,
    release_notebook,
    run_course,
    run_nbgrader,
    skip_or_fail_in_ci,
    solution_notebook,
)
from nbformat.v4 import new_code_cell, new_notebook, new_output
from traitlets.config import Config

from mnist_course import cli, grading, notebook
from mnist_course.checks import uses_keras
from mnist_course.grading import coursedir, report, screen
from mnist_course.grading.autograde import RETRIES, autograde_class, read_outcome

CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.db_url = "sqlite:///{root}/grading/gradebook.db"
"""


@pytest.fixture(scope="module")
def gradebook_file(tmp_path_factory):
    """A gradebook that knows assignment ps1 with notebook ps1 (2 points), made once."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PATH", grading.grading_environment()["PATH"])  # nbgrader runs alembic
        with Gradebook(f"sqlite:///{path}") as gradebook:
            gradebook.add_assignment("ps1")
            gradebook.add_notebook("ps1", "ps1")
            gradebook.add_grade_cell("test_a", "ps1", "ps1", max_score=2, cell_type="code")
    return path


@pytest.fixture
def course(tmp_path, gradebook_file):
    """A course folder with nbgrader_config.py and a copy of ``gradebook_file``."""
    root = tmp_path / "course"
    (root / "grading").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root)))
    shutil.copy(gradebook_file, root / "grading" / "gradebook.db")
    return root


def submit(course, student, name="ps1"):
    """Put a (dummy) submitted notebook for a student; return its path."""
    folder = course / "grading" / "submitted" / student / "ps1"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(nbformat.writes(new_notebook()))
    return path


class FakeNbgrader:
    """Stands in for nbgrader's autograde: records each call and answers from a script."""

    def __init__(self, answers=None):
        self.answers = answers or {}
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, assignment, student, *, force):
        with self.lock:
            self.calls.append((assignment, student, force))
            answers = self.answers.get(student, [(0, "[INFO] done")])
            return answers.pop(0) if len(answers) > 1 else answers[0]


def tree_digest(folder):
    """A digest of every file's path and bytes under a folder."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Finding the course, the assignment and the submissions


def test_a_folder_without_nbgrader_config_is_refused_with_the_fix(tmp_path):
    with pytest.raises(grading.GradingError, match="no nbgrader_config.py.*--root"):
        autograde_class("ps1", root=tmp_path)


def test_an_assignment_missing_from_the_gradebook_asks_for_generate_assignment(course):
    submit(course, "alice")
    with pytest.raises(grading.GradingError, match="nbgrader generate_assignment ps2"):
        autograde_class("ps2", root=course, grader=FakeNbgrader())


def test_a_course_without_a_gradebook_asks_for_generate_assignment(course):
    (course / "grading" / "gradebook.db").unlink()
    with pytest.raises(grading.GradingError, match="no gradebook.*generate_assignment ps1"):
        autograde_class("ps1", root=course, grader=FakeNbgrader())
    assert not (course / "grading" / "gradebook.db").exists()


def test_an_assignment_without_submissions_says_where_they_belong(course):
    with pytest.raises(grading.GradingError, match="grading/submitted/<student>/ps1"):
        autograde_class("ps1", root=course, grader=FakeNbgrader())


def test_every_submitted_student_is_graded_once(course):
    for student in ("carol", "alice", "bob"):
        submit(course, student)
    fake = FakeNbgrader()
    results = autograde_class("ps1", root=course, jobs=2, grader=fake)
    assert [result.student for result in results] == ["alice", "bob", "carol"]
    assert sorted(fake.calls) == [
        ("ps1", "alice", False),
        ("ps1", "bob", False),
        ("ps1", "carol", False),
    ]
    assert {result.status for result in results} == {"graded"}


def test_only_the_students_asked_for_are_graded_and_force_is_passed_on(course):
    for student in ("alice", "bob"):
        submit(course, student)
    fake = FakeNbgrader()
    autograde_class("ps1", root=course, students=["bob"], force=True, grader=fake)
    assert fake.calls == [("ps1", "bob", True)]


def test_the_grading_environment_finds_nbgrader_tools_and_the_course_and_quiets_tensorflow():
    env = grading.grading_environment({"PATH": "/usr/bin", "PYTHONPATH": "/opt/lib"})
    assert env["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent), "/usr/bin"]
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/opt/lib"]
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3" and env["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert env["TF_NUM_INTRAOP_THREADS"] == "1" and env["TF_NUM_INTEROP_THREADS"] == "1"
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["OMP_NUM_THREADS"] == "1"
    assert env["NUMPY_MADVISE_HUGEPAGE"] == "0"


PROBE = """
import os
import sys


def worker():
    \"\"\"What a grading worker has: its forkserver's pid, a variable, the modules loaded.\"\"\"
    names = ["nbgrader.apps", "mnist_course.grading.preprocessors", "keras", "rfc3987_syntax"]
    modules = {name: "kept out" if sys.modules.get(name, 0) is None else name in sys.modules
        for name in names}
    return os.getppid(), os.environ.get("MNIST_COURSE_LEFTOVER"), modules
"""


def probe_workers(tmp_path, body):
    """Run ``body`` in a new Python (a forkserver of its own), ``probe.worker`` importable;
    return what it prints, read as JSON."""
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    script = (
        "import json, os, probe\nfrom mnist_course.grading.pool import GradingPool\n"
        f"if __name__ == '__main__':\n    root = {str(tmp_path)!r}\n"
        + "".join(f"    {line}\n" for line in body.splitlines())
    )
    env = grading.grading_environment()
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("keras", [True, False])
def test_grading_workers_are_forked_from_one_forkserver_that_imported_for_them_all(tmp_path, keras):
    workers = probe_workers(
        tmp_path,
        f"pool = GradingPool(root, jobs=2, keras={keras})\n"
        "print(json.dumps([pool._pool.submit(probe.worker).result() for _ in range(4)]))\n"
        "pool.close()",
    )
    forkservers = {parent for parent, _, _ in workers}
    assert len(forkservers) == 1
    for _, _, modules in workers:
        assert modules == {
            "nbgrader.apps": True,
            "mnist_course.grading.preprocessors": True,
            "keras": keras,
            "rfc3987_syntax": "kept out",
        }


def test_the_forkserver_ends_without_undoing_its_imports_and_keeps_its_output():
    """What the forkserver imports (mnist_course.grading._forkserver) ends its process at
    exit before any other clean-up: a handler registered earlier never runs, and what the
    process printed is still written."""
    script = (
        "import atexit\n"
        "atexit.register(print, 'cleaned up')\n"
        "import mnist_course.grading._forkserver\n"
        "print('graded', end='')\n"
        "raise SystemExit(3)\n"  # how multiprocessing's forkserver ends, at end of input
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=grading.grading_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (result.returncode, result.stdout) == (0, "graded"), result.stderr


def test_importing_every_module_of_the_package_leaves_the_thread_settings_alone():
    """As pytest's doctest collection does: a process that imports the package (and then
    starts the lessons' kernels) keeps its TensorFlow threads; only grading's processes get
    one thread each, and the command's environment is as it was once its pool has started."""
    script = (
        "import importlib, os, pkgutil, tempfile, mnist_course\n"
        "from mnist_course.grading.pool import GradingPool\n"
        "if __name__ == '__main__':\n"
        "    for module in pkgutil.walk_packages(mnist_course.__path__, 'mnist_course.'):\n"
        "        if not module.name.endswith('__main__'):\n"
        "            importlib.import_module(module.name)\n"
        "    imported = dict(os.environ)\n"
        "    with tempfile.TemporaryDirectory() as root:\n"
        "        open(os.path.join(root, 'nbgrader_config.py'), 'w').close()\n"
        "        GradingPool(root, jobs=1, keras=False).close()\n"
        "    print(os.environ.get('TF_NUM_INTRAOP_THREADS'), imported == dict(os.environ))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "True"], result.stdout


def test_a_worker_has_its_command_s_environment_not_the_forkserver_s(tmp_path):
    """A variable the command had when an earlier pool started the forkserver, and has no
    more, does not reach a later pool's workers (a gradebook URL, say)."""
    seen = probe_workers(
        tmp_path,
        "os.environ['MNIST_COURSE_LEFTOVER'] = 'earlier'\n"
        "pool = GradingPool(root, jobs=1, keras=False)\n"
        "first = pool._pool.submit(probe.worker).result()\n"
        "pool.close()\n"
        "del os.environ['MNIST_COURSE_LEFTOVER']\n"
        "pool = GradingPool(root, jobs=1, keras=False)\n"
        "print(json.dumps([first, pool._pool.submit(probe.worker).result()]))\n"
        "pool.close()",
    )
    assert [leftover for _, leftover, _ in seen] == ["earlier", None]
    assert seen[0][0] == seen[1][0]  # the same forkserver served both pools


@pytest.mark.parametrize("jobs", [1, 3])
def test_jobs_students_are_graded_at_the_same_time_and_no_more(course, jobs):
    for student in ("a", "b", "c", "d", "e", "f"):
        submit(course, student)
    running, most = [0], [0]
    lock = threading.Lock()
    barrier = threading.Barrier(jobs)

    def slow_nbgrader(assignment, student, *, force):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        barrier.wait(timeout=30)  # all `jobs` runs must be in flight together to pass
        with lock:
            running[0] -= 1
        return 0, ""

    results = autograde_class("ps1", root=course, jobs=jobs, grader=slow_nbgrader)
    assert most[0] == jobs
    assert [result.status for result in results] == ["graded"] * 6


def test_each_result_is_reported_whole_while_the_next_students_are_graded(course):
    """``mnist-course autograde --jobs N`` prints each student's lines as that student is
    done; the results of students that finish together are reported one after the other."""
    students = ("a", "b", "c", "d")
    for student in students:
        submit(course, student)
    barrier = threading.Barrier(len(students))
    reporting, overlaps = [0], []

    def nbgrader_finishing_together(assignment, student, *, force):
        barrier.wait(timeout=30)
        return 0, ""

    def on_result(result):
        reporting[0] += 1
        overlaps.append(reporting[0] > 1)
        time.sleep(0.05)
        reporting[0] -= 1

    autograde_class(
        "ps1", root=course, jobs=4, grader=nbgrader_finishing_together, on_result=on_result
    )
    assert overlaps == [False] * len(students)


BUSY = [
    "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked",
    "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed: student.id",
    "sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value "
    'violates unique constraint "student_pkey"',
    "sqlalchemy.exc.OperationalError: (psycopg.errors.DeadlockDetected) deadlock detected",
]


@pytest.mark.parametrize(
    "message", BUSY, ids=["sqlite-locked", "sqlite-unique", "postgres-unique", "postgres-deadlock"]
)
def test_a_busy_gradebook_is_retried_with_force(course, message):
    submit(course, "alice")
    locked = (1, message)
    fake = FakeNbgrader({"alice": [locked, (0, "")]})
    [result] = autograde_class("ps1", root=course, grader=fake)
    assert result.status == "graded"
    assert fake.calls == [("ps1", "alice", False), ("ps1", "alice", True)]
    assert "run 2 times (the gradebook was busy)" in result.notes


def test_a_gradebook_that_stays_busy_fails_after_the_retries(course):
    submit(course, "alice")
    fake = FakeNbgrader({"alice": [(1, "database is locked")]})
    [result] = autograde_class("ps1", root=course, grader=fake)
    assert result.status == "failed"
    assert len(fake.calls) == RETRIES + 1


def test_a_failed_run_reports_nbgrader_reason_and_keeps_its_log(course):
    submit(course, "alice")
    output = (
        "[ERROR] There was an error processing assignment: x\n"
        "[ERROR] Traceback (most recent call last):\n"
        "[ERROR] RuntimeError: sandbox='bubblewrap' but bubblewrap not found\n"
        "[ERROR] Please see the the above traceback for details\n"
    )
    [result] = autograde_class("ps1", root=course, grader=FakeNbgrader({"alice": [(1, output)]}))
    assert result.status == "failed"
    assert result.notes == ["RuntimeError: sandbox='bubblewrap' but bubblewrap not found"]
    assert result.log == course / "grading" / "logs" / "ps1" / "alice.log"
    assert "bubblewrap not found" in result.log.read_text()
    assert "nbgrader's log: " in report.format_result(result)


def test_a_student_graded_before_is_reported_as_skipped(course):
    submit(course, "alice")
    skipped = (0, "[AutogradeApp | WARNING] Skipping existing assignment: grading/autograded/...")
    [result] = autograde_class("ps1", root=course, grader=FakeNbgrader({"alice": [skipped]}))
    assert result.status == "skipped"


def test_a_renamed_notebook_is_reported_and_no_submission_is_touched(course):
    submit(course, "alice")
    submit(course, "bob", name="ps1 (1)")
    before = tree_digest(course / "grading" / "submitted")
    no_notebooks = (1, "[AutogradeApp | ERROR] No notebooks found, did you forget ...")
    fake = FakeNbgrader({"bob": [no_notebooks]})
    alice, bob = autograde_class("ps1", root=course, force=True, grader=fake)
    assert alice.status == "graded" and alice.notes == []
    assert bob.status == "missing"
    assert bob.notes[0].startswith("ps1.ipynb is missing (it scores 0); ps1 (1).ipynb was")
    assert "rename it to ps1.ipynb" in bob.notes[0]
    assert tree_digest(course / "grading" / "submitted") == before


def test_answer_code_that_reaches_the_checks_or_the_import_system_is_flagged(course):
    path = submit(course, "mallory")
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("y = 2")])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "normalize", "solution": True}
    nb.cells[0].source = "import importlib\nimportlib.reload = lambda module: module"
    nb.cells[1].source = "np.allclose = lambda *args, **kwargs: True"  # a cell the student added
    path.write_text(nbformat.writes(nb))
    submit(course, "alice")
    alice, mallory = autograde_class("ps1", root=course, grader=FakeNbgrader())
    assert alice.notes == []
    [note] = mallory.notes
    assert note.startswith("ps1.ipynb: answer code reaches the checks or the import system")
    assert "cell normalize: importlib" in note and "cell 1: np.allclose =" in note
    assert note.endswith("look at it by hand")


@pytest.mark.parametrize(
    "source",
    [
        "os.environ['MNIST_COURSE_REFERENCE_CACHE'] = '/tmp/mine'",
        "open('../../../grading/references/epochs_run-0.json', 'w')",
    ],
)
def test_answer_code_that_reaches_the_stored_reference_runs_is_flagged(tmp_path, source):
    """The course's reference runs are stored for the whole class: an answer must not touch."""
    cell = new_code_cell(source, metadata={"nbgrader": {"grade_id": "answer", "solution": True}})
    nbformat.write(new_notebook(cells=[cell]), tmp_path / "ps1.ipynb")
    [found] = screen.tampering(tmp_path / "ps1.ipynb")
    assert found.startswith("cell answer: ")


def test_scores_are_read_from_the_gradebook(course):
    from nbgrader.api import Gradebook

    submit(course, "alice")

    def nbgrader_that_scores(assignment, student, *, force):
        with Gradebook(f"sqlite:///{course}/grading/gradebook.db") as gradebook:
            gradebook.add_student("alice")
            gradebook.add_submission("ps1", "alice")
            grade = gradebook.find_grade("test_a", "ps1", "ps1", "alice")
            grade.auto_score = 1.5
            gradebook.db.commit()
        return 0, ""

    [result] = autograde_class("ps1", root=course, grader=nbgrader_that_scores)
    assert (result.score, result.max_score) == (1.5, 2.0)
    assert report.format_result(result).startswith("alice: graded, 1.5 of 2 points")


def test_the_log_of_a_run_is_summarised_in_notes():
    """The lines GradeOutside logs when the student's code ran too long or its process died."""
    from mnist_course.grading.preprocessors import RESTART_MESSAGE, TIMEOUT_MESSAGE

    output = (
        "[AutogradeApp | WARNING] Missing grade cell test_one_hot encountered, adding to notebook\n"
        f"[AutogradeApp | ERROR] Cell normalize {TIMEOUT_MESSAGE}: normalize() took "
        "longer than 15 s and was stopped\n"
        f"[AutogradeApp | ERROR] Cell test_normalize {TIMEOUT_MESSAGE}: normalize() "
        "took longer than 15 s and was stopped\n"
        "[AutogradeApp | ERROR] Cell test_one_hot: one_hot() stopped the student's process "
        f"(exit code 1); {RESTART_MESSAGE}\n"
    )
    result = read_outcome("alice", 0, output)
    assert result.status == "graded"
    assert result.notes == [
        "test cells put back: test_one_hot",
        "2 cell(s) ran past the timeout and were stopped",
        "the student's process died 1 time(s) and was restarted",
    ]


# ---------------------------------------------------------------------------------------------
# A class split across machines


@pytest.mark.parametrize("shards", [1, 2, 3, 8])
def test_the_shards_of_a_class_hold_every_student_exactly_once(shards):
    students = [f"s{i:02d}" for i in range(13)][::-1]
    parts = [coursedir.shard_students(students, shard, shards) for shard in range(1, shards + 1)]
    assert sorted(student for part in parts for student in part) == sorted(students)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_a_shard_is_the_same_whatever_order_the_folders_are_listed_in():
    students = ["dan", "amy", "eve", "cat", "bob"]
    assert coursedir.shard_students(students, 2, 2) == coursedir.shard_students(
        students[::-1], 2, 2
    )
    assert coursedir.shard_students(students, 2, 2) == ["bob", "dan"]


@pytest.mark.parametrize("text", ["0/8", "9/8", "3", "3/0", "a/b", "-1/2"])
def test_a_shard_out_of_range_is_refused_with_the_job_array_forms(text):
    with pytest.raises(ValueError, match=r"expected K/N with 1 <= K <= N.*JOB_COMPLETION_INDEX"):
        grading.parse_shard(text)


def test_the_command_line_refuses_a_bad_shard_and_says_why(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["autograde", "ps1", "--shard", "0/8"])
    assert exit.value.code == 2
    assert "expected K/N with 1 <= K <= N" in capsys.readouterr().err


def test_a_shard_grades_only_its_share_of_the_submitted_students(course):
    for student in ("carol", "alice", "dave", "bob", "erin"):
        submit(course, student)
    fake = FakeNbgrader()
    results = autograde_class("ps1", root=course, shard=(2, 2), grader=fake)
    assert [result.student for result in results] == ["bob", "dave"]
    assert sorted(student for _, student, _ in fake.calls) == ["bob", "dave"]


def test_a_shard_without_students_grades_nobody_and_succeeds(course, capsys):
    submit(course, "alice")
    fake = FakeNbgrader()
    assert autograde_class("ps1", root=course, shard=(2, 3), grader=fake) == []
    assert fake.calls == []
    assert report.autograde_and_report("ps1", root=course, shard=(3, 3)) == 0
    assert re.fullmatch(r"shard 3/3: 0 students in [\d.]+ s", capsys.readouterr().out.strip())


def autograded_notebook(course, student, mode):
    """An autograded copy of a student's ps1.ipynb, as nbgrader leaves it, with ``mode``."""
    folder = course / "grading" / "autograded" / student / "ps1"
    folder.mkdir(parents=True)
    path = folder / "ps1.ipynb"
    path.write_text(nbformat.writes(new_notebook()))
    path.chmod(mode)
    return path


def test_a_student_whose_grading_was_cut_off_is_graded_again_and_the_others_skipped(course):
    for student in ("alice", "bob", "carol"):
        submit(course, student)
    autograded_notebook(course, "alice", 0o444)  # nbgrader's last step makes it read-only
    autograded_notebook(course, "bob", 0o644)  # the run was killed while it ran the notebook
    (course / "grading" / "autograded" / "carol" / "ps1").mkdir(parents=True)  # killed sooner
    fake = FakeNbgrader()
    alice, bob, carol = autograde_class("ps1", root=course, grader=fake)
    assert sorted(fake.calls) == [
        ("ps1", "alice", False),
        ("ps1", "bob", True),
        ("ps1", "carol", True),
    ]
    assert alice.notes == []
    assert (
        bob.notes
        == carol.notes
        == ["an earlier run stopped while grading this student: graded again"]
    )


def test_nbgrader_config_takes_the_gradebook_from_the_environment(tmp_path, monkeypatch):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    monkeypatch.delenv(coursedir.DB_URL_VARIABLE, raising=False)
    default = grading.course_directory(tmp_path).db_url
    assert default == f"sqlite:///{tmp_path / 'grading' / 'gradebook.db'}"
    url = "postgresql://grader:secret@127.0.0.1:5432/course"
    monkeypatch.setenv(coursedir.DB_URL_VARIABLE, url)
    assert grading.course_directory(tmp_path).db_url == url


def test_an_unreachable_gradebook_server_is_reported_without_its_password(course):
    import_or_fail_in_ci("psycopg", "pip install -e '.[postgres]'")
    config = course / "nbgrader_config.py"
    url = "postgresql://grader:secret@127.0.0.1:1/course"  # nothing listens on port 1
    config.write_text(re.sub(r'db_url = ".*"', f"db_url = {url!r}", config.read_text()))
    submit(course, "alice")
    with pytest.raises(grading.GradingError) as error:
        autograde_class("ps1", root=course, grader=FakeNbgrader())
    message = str(error.value)
    assert message.startswith("cannot reach the gradebook at postgresql://grader:***@127.0.0.1:1/")
    assert "secret" not in message and "MNIST_COURSE_DB_URL" in message


@pytest.mark.parametrize("url", ["postgres:/grader:secret@db", "nosuchdb://grader:secret@db/c"])
def test_a_gradebook_url_that_cannot_be_used_is_reported_with_the_form_to_write(course, url):
    config = course / "nbgrader_config.py"
    config.write_text(re.sub(r'db_url = ".*"', f"db_url = {url!r}", config.read_text()))
    submit(course, "alice")
    with pytest.raises(grading.GradingError, match="cannot use the gradebook URL") as error:
        autograde_class("ps1", root=course, grader=FakeNbgrader())
    assert "postgresql://USER:PASSWORD@HOST:PORT/DATABASE" in str(error.value)
    assert "secret" not in str(error.value)


def test_the_command_line_reports_a_missing_config_and_exits_1(tmp_path):
    result = run_course("autograde", "ps1", "--root", str(tmp_path), timeout=120)
    assert result.returncode == 1
    assert "no nbgrader_config.py" in result.stderr


# ---------------------------------------------------------------------------------------------
# The preprocessors


def test_feedback_shows_no_hidden_test_even_in_a_traceback():
    from mnist_course.grading.preprocessors import ClearHiddenTestsAndTracebacks

    source = (
        '"""Check normalize"""\n'
        "checks.check_normalize(normalize)\n"
        f"{notebook.BEGIN_HIDDEN_TESTS}\n"
        "checks.check_normalize(normalize, x=SECRET)\n"
        f"{notebook.END_HIDDEN_TESTS}"
    )
    traceback = ["----> 2 checks.check_normalize(normalize)", "      4 ...x=SECRET)", "CheckFailed"]
    metadata = {"nbgrader": {"grade": True, "grade_id": "t", "points": 2, "solution": False}}
    hidden = new_code_cell(source, metadata=metadata)
    hidden.outputs = [new_output("error", ename="CheckFailed", evalue="wrong", traceback=traceback)]
    plain = new_code_cell("f()", metadata={"nbgrader": dict(metadata["nbgrader"], grade_id="u")})
    plain.outputs = [new_output("error", ename="NameError", evalue="f", traceback=["a", "b"])]
    nb, _ = ClearHiddenTestsAndTracebacks().preprocess(new_notebook(cells=[hidden, plain]), {})
    assert "SECRET" not in nbformat.writes(nb)
    assert nb.cells[0].source.endswith("checks.check_normalize(normalize)")
    assert nb.cells[0].outputs[0].traceback == ["CheckFailed: wrong"]
    assert nb.cells[1].outputs[0].traceback == ["a", "b"]


HANG = "while True:\n    try:\n        time.sleep(0.2)\n    except BaseException:\n        pass"

SETUP = {"nbgrader": {"grade_id": "setup", "locked": True, "grade": False, "solution": False}}


def answer_cell(source, grade_id):
    """An answer cell (``solution: true``) with ``source``."""
    meta = {"nbgrader": {"grade_id": grade_id, "solution": True, "grade": False, "locked": False}}
    return new_code_cell(source, metadata=meta)


def check_cell(source, grade_id, points=1):
    """A locked test cell (``grade: true``) worth ``points``."""
    meta = {"nbgrader": {"grade_id": grade_id, "grade": True, "solution": False, "locked": True}}
    meta["nbgrader"]["points"] = points
    return new_code_cell(source, metadata=meta)


def cell_outputs(nb):
    """Each cell's outputs as text: a stream's text, an error's ``name: message``."""
    return [
        [
            output.get("text") or f"{output.get('ename')}: {output.get('evalue')}"
            for output in cell.get("outputs", [])
        ]
        for cell in nb.cells
    ]


@pytest.mark.notebooks
def test_a_hang_or_os_exit_costs_only_the_cell_or_the_checks_that_ran_it():
    """A hang that swallows the interrupt, or ``os._exit``, in a student's function fails the
    test cell that called it, and in a student's cell fails that cell; the next test cell
    calls the other functions in a new process, where the cells before it ran again."""
    from mnist_course.grading.preprocessors import GradeOutside

    hang = "\n".join("    " + line for line in HANG.splitlines())
    cells = [
        new_code_cell("import os, time\nstate = 41", metadata=SETUP),
        answer_cell("def answer():\n    return state + 1", "answer"),
        answer_cell(f"def hang():\n{hang}", "hang"),
        answer_cell("def crash():\n    os._exit(1)", "crash"),
        check_cell("assert answer() == 42\nprint('first')", "test_answer"),
        check_cell("hang()", "test_hang"),
        check_cell("assert answer() == 42\nprint('after the hang')", "test_after_hang"),
        check_cell("crash()", "test_crash"),
        check_cell("assert answer() == 42\nprint('after the crash')", "test_after_crash"),
        new_code_cell(HANG),
        new_code_cell("state = 42"),
        check_cell("assert answer() == 43\nprint('after a cell that hung')", "test_cell_hung"),
        new_code_cell("os._exit(1)"),
        check_cell("assert answer() == 43\nprint('after a cell that exited')", "test_cell_exited"),
    ]
    started = time.monotonic()
    nb, _ = GradeOutside(timeout=3).preprocess(new_notebook(cells=cells), {})
    outputs = cell_outputs(nb)
    assert outputs[:4] == [[], [], [], []]
    assert outputs[4] == ["first\n"]
    assert outputs[5] == ["CallTimedOut: hang() took longer than 3 s and was stopped"]
    assert outputs[6] == ["after the hang\n"]
    [died] = outputs[7]
    assert died.startswith("ProcessDied: crash() stopped the student's process (exit code 1)")
    assert outputs[8] == ["after the crash\n"]
    assert outputs[9] == ["TimeoutError: did not finish within 3 s and was stopped"]
    assert outputs[10:12] == [[], ["after a cell that hung\n"]]
    assert outputs[12] == ["ProcessDied: this cell stopped the student's process (exit code 1)"]
    assert outputs[13] == ["after a cell that exited\n"]
    # each hang costs its time limit and a few seconds, not the whole notebook's
    assert time.monotonic() - started < 60


@pytest.mark.notebooks
def test_unchanged_demonstration_cells_are_skipped_and_only_the_checks_see_the_references(
    tmp_path, monkeypatch
):
    """A demonstration cell left as released decides no points and is not run; one the
    student changed or added runs. The checks, in the grading process, are told where the
    course's reference runs are kept; the student's process is not."""
    from mnist_course.grading.preprocessors import GradeOutside

    demo = "print('the demonstration ran')"
    released = new_notebook(cells=[new_code_cell("x = 41", metadata=SETUP), new_code_cell(demo)])
    (tmp_path / "exercises" / "ps1").mkdir(parents=True)
    nbformat.write(released, tmp_path / "exercises" / "ps1" / "ps1.ipynb")
    variable = "MNIST_COURSE_REFERENCE_CACHE"
    cells = [
        new_code_cell("x = 41", metadata=SETUP),
        new_code_cell(demo),
        new_code_cell(demo + "\nprint(x + 1)"),
        new_code_cell(f"import os\nprint(os.environ.get({variable!r}))"),
        check_cell(f"import os\nassert x == 41\nprint(os.environ[{variable!r}])", "test_x"),
    ]
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.release_directory = "exercises"
    resources = {"metadata": {"path": str(tmp_path)}}
    resources["nbgrader"] = {"assignment": "ps1", "notebook": "ps1", "student": "s"}
    monkeypatch.setenv(variable, "")  # so that the variable the grader sets is undone after
    monkeypatch.delenv(variable)
    nb, _ = GradeOutside(config=config).preprocess(new_notebook(cells=cells), resources)
    outputs = cell_outputs(nb)
    assert outputs[1] == []
    assert outputs[2] == ["the demonstration ran\n42\n"]
    assert outputs[3] == ["None\n"]
    assert outputs[4] == [f"{tmp_path / 'grading' / 'references'}\n"]
    config.GradeOutside.skip_unchanged_demonstrations = False
    nb, _ = GradeOutside(config=config).preprocess(nb, resources)
    assert cell_outputs(nb)[1] == ["the demonstration ran\n"]


# ---------------------------------------------------------------------------------------------
# The real nbgrader workflow


def with_body(cell, body):
    """The released answer cell with `raise NotImplementedError()` replaced by ``body``."""
    indent = re.search(r"^( *)raise NotImplementedError\(\)", cell.source, re.M).group(1)
    lines = "\n".join(indent + line for line in body.splitlines())
    return re.sub(r"^ *raise NotImplementedError\(\)", lambda _: lines, cell.source, flags=re.M)


PATCH_CHECKS = """
import mnist_course.checks.ex01_data as _checks


def _passes(*args, **kwargs):
    return None


for _name in dir(_checks):
    if _name.startswith("check_"):
        setattr(_checks, _name, _passes)
mnist_course.checks.load = lambda exercise: _checks
"""

HANGING_BODY = "import time\n\n" + HANG

ALTERNATIVES = {
    # correct answers written otherwise than the model answers
    "split_labels": "pixels = rows[:, 1:]\nlabels = rows[:, 0]\nreturn pixels, labels",
    "normalize": "return (x - 127.5) / 255",
    "one_hot": "rows = np.zeros((len(y), num_classes))\nrows[np.arange(len(y)), y] = 1\n"
    "return rows.astype(np.float32)",
    "pixel_position": "return int(np.ravel_multi_index((row, column), (row + 1, width)))",
    "predicted_unnormalised_accuracy": "PREDICTED_UNNORMALISED_ACCURACY = 0.7",
    "predicted_permuted_accuracy": "PREDICTED_PERMUTED_ACCURACY = 0.88  # the same",
    "build_mlp": "inputs = keras.Input(shape=(784,))\noutputs = inputs\n"
    "for units in hidden_units:\n"
    "    outputs = keras.layers.Dense(units, activation=activation)(outputs)\n"
    'outputs = keras.layers.Dense(10, activation="softmax")(outputs)\n'
    "return keras.Model(inputs, outputs)",
    "count_parameters": "return build_mlp(hidden_units=hidden_units).count_params()",
    "widest_hidden_layer": "import math\n\n"
    "a, b, c = depth - 1, 795 + depth - 1, 10 - budget\n"
    "if a == 0:\n    return (budget - 10) // b\n"
    "return math.floor((-b + math.sqrt(b * b - 4 * a * c)) / (2 * a))",
    "predicted_sigmoid_parameters": "PREDICTED_SIGMOID_PARAMETERS = 784 * 64 + 64 + 64 * 64 + 64 "
    "+ 64 * 10 + 10",
    "predicted_untrained_accuracy": "PREDICTED_UNTRAINED_ACCURACY = 1 / 10",
}

EX01, EX02 = "ex01_data", "ex02_model"
EX06, EX07 = "ex03_gradient_descent", "ex07_overfitting"
EX04B = "ex04_backpropagation"
EX09 = "ex09_convolution"
EX05 = "ex05_training"
EX06T, EX08 = "ex06_testing", "ex08_experiments"

# One specific wrong answer per new exercise: (answer cell, body)
WRONG = {
    "overflowing_softmax": (
        "softmax",
        "e = np.exp(logits)\nreturn e / e.sum(axis=1, keepdims=True)",
    ),
    "unshuffled_split": (
        "split_validation",
        "train, val = slice(validation_size, None), slice(0, validation_size)\n"
        "return (x[train], y[train]), (x[val], y[val])",
    ),
    "relu_mask_forgotten": (
        "backward",
        "d = (p - y) / len(x)\ndh = d @ W2.T\n"
        "return x.T @ dh, dh.sum(axis=0), h.T @ d, d.sum(axis=0)",
    ),
    # answers that change their input in place, which the instructions forbid: what the
    # student's process does to an argument comes back to the check
    "inplace_normalisation": (
        "normalize",
        "x = x.astype(np.float32, copy=False)\nx /= 255\nx -= 0.5\nreturn x",
    ),
    "inplace_softmax": (
        "softmax",
        "logits -= logits.max(axis=1, keepdims=True)\ne = np.exp(logits)\n"
        "return e / e.sum(axis=1, keepdims=True)",
    ),
    "inplace_split": (
        "split_validation",
        "np.random.default_rng(seed).shuffle(x)\nnp.random.default_rng(seed).shuffle(y)\n"
        "return (x[validation_size:], y[validation_size:]), "
        "(x[:validation_size], y[:validation_size])",
    ),
    "one_sided_difference": (
        "finite_difference",
        "arrays = [np.array(a, dtype=float) for a in (W1, b1, W2, b2)]\n"
        "base = loss(*arrays, x, y)\nslopes = []\nfor a in arrays:\n"
        "    s = np.zeros_like(a)\n    for i in np.ndindex(a.shape):\n"
        "        a[i] += eps\n        s[i] = (loss(*arrays, x, y) - base) / eps\n"
        "        a[i] -= eps\n    slopes.append(s)\nreturn tuple(slopes)",
    ),
    "flipped_kernel": (
        "conv2d",
        "kh, kw, _, out_channels = kernel.shape\n"
        "out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "for i in range(out.shape[0]):\n    for j in range(out.shape[1]):\n"
        "        window = x[i : i + kh, j : j + kw]\n"
        "        out[i, j] = np.tensordot(window, kernel[::-1, ::-1], axes=3) + bias\n"
        "return out",
    ),
    "cnn_without_convolution": (
        "build_cnn",
        "keras.utils.set_random_seed(seed)\nreturn keras.Sequential([keras.Input((28, 28, 1)), "
        "keras.layers.Flatten(), keras.layers.Dense(24, activation='relu'), "
        "keras.layers.Dense(10, activation='softmax')])",
    ),
    "widest_without_output_layer": (
        "widest_hidden_layer",
        "width = 1\nwhile count_parameters((width + 1,) * depth) - 10 * (width + 2) <= budget:\n"
        "    width += 1\nreturn width",
    ),
    "pixel_position_transposed": ("pixel_position", "return column * width + row"),
    "permuted_accuracy_too_low": (
        "predicted_permuted_accuracy",
        "PREDICTED_PERMUTED_ACCURACY = 0.3",
    ),
    "floored_updates": (
        "weight_updates",
        "return epochs * ((n - round(n * validation_split)) // batch_size)",
    ),
    "untrained_accuracy_too_high": (
        "predicted_untrained_accuracy",
        "PREDICTED_UNTRAINED_ACCURACY = 0.5",
    ),
    "twenty_epochs": (
        "choose_epochs",
        "model = mnist_course.compile_model(\n"
        "    mnist_course.build_mlp(hidden_units=(128, 128), seed=seed)\n)\n"
        "history = mnist_course.train(\n    model, x_train, y_train, epochs=20, seed=seed,\n"
        "    validation_data=(x_val, y_val), verbose=0\n)\n"
        'return best_epoch(history.history, monitor="val_accuracy")',
    ),
    "dropout_by_training_accuracy": (
        "choose_dropout",
        "scores = {}\nfor rate in rates:\n    network = mnist_course.compile_model(\n"
        "        mnist_course.build_mlp(hidden_units=(128, 128), dropout=rate, seed=seed)\n"
        "    )\n    history = mnist_course.train(\n"
        "        network, x_train, y_train, epochs=20, seed=seed, verbose=0\n    )\n"
        '    scores[rate] = history.history["accuracy"][-1]\n'
        "return max(scores, key=scores.get)",
    ),
    "two_bugs_left": (
        "report",
        "images, labels = test_images, test_labels\n"
        "x = images.reshape(len(images), -1).astype(np.float32) / 255\n"
        "y = mnist_course.one_hot(labels)\n"
        "probabilities = keras.activations.softmax(model.predict(x, verbose=0))\n"
        "loss = keras.losses.categorical_crossentropy(y, probabilities)\n"
        "accuracy = np.mean(np.argmax(probabilities, axis=1) == np.argmax(y, axis=1))\n"
        'return {"loss": float(np.mean(loss)), "accuracy": float(accuracy)}',
    ),
    "sparse_loss_left": (
        "report",
        "x = mnist_course.normalize(test_images.reshape(len(test_images), -1))\n"
        "y = mnist_course.one_hot(test_labels)\n"
        "probabilities = model.predict(x, verbose=0)\n"
        "loss = keras.losses.sparse_categorical_crossentropy(y, probabilities)\n"
        "accuracy = np.mean(np.argmax(probabilities, axis=1) == test_labels)\n"
        'return {"loss": float(np.mean(loss)), "accuracy": float(accuracy)}',
    ),
    "n_degrees_of_freedom": (
        "verdict",
        "d = np.asarray(changed) - np.asarray(baseline)\n"
        "mean, error = d.mean(), d.std(ddof=1) / np.sqrt(len(d))\n"
        "t = T_CRITICAL[len(d)]\n"
        'if mean - t * error > 0:\n    return mean, error, "better"\n'
        'if mean + t * error < 0:\n    return mean, error, "worse"\n'
        'return mean, error, "no detectable difference"',
    ),
}

EXPECTED = {
    # (assignment, student): score; ex01: split_labels, normalize, one_hot, pixel_position and
    # two predictions, 1 point each; a wrong normalize (or one that hangs) loses its 1
    (EX01, "full"): 6,
    (EX01, "alternative"): 6,
    (EX01, "untouched"): 0,
    (EX01, "wrong_normalisation"): 5,
    (EX01, "tampered"): 5,
    (EX01, "deleted"): 5,
    (EX01, "infinite_loop"): 5,
    (EX01, "patched_checks"): 0,
    (EX01, "renamed"): 0,
    (EX01, "pixel_position_transposed"): 5,
    (EX01, "permuted_accuracy_too_low"): 5,
    # normalize changed in place loses normalize's 1 point, with its own hint
    (EX01, "inplace_normalisation"): 5,
    # ex02: build_mlp 1, count_parameters 1, widest layer 2, two predictions 1 each; the
    # widest layer counted without the output layer loses its 2, a prediction of 0.5 its 1
    (EX02, "full"): 6,
    (EX02, "alternative"): 6,
    (EX02, "untouched"): 0,
    (EX02, "widest_without_output_layer"): 4,
    (EX02, "untrained_accuracy_too_high"): 5,
    # ex03: softmax 2, cross-entropy 1, gradients 3, loop 2, accuracy 2; an overflowing
    # softmax, or one that subtracts the max from logits in place, loses its 2 only (the
    # other checks never feed it large logits, nor use the logits they pass it again)
    (EX06, "full"): 10,
    (EX06, "untouched"): 0,
    (EX06, "overflowing_softmax"): 8,
    (EX06, "inplace_softmax"): 8,
    # ex07: split 2, best epoch 2, epochs chosen 3, dropout chosen 3 (the written answer's 2
    # are graded by hand); a choose_epochs that trains 20 epochs whatever max_epochs says
    # fails the hidden max_epochs=4, a dropout rate chosen by training accuracy is no dropout
    (EX07, "full"): 10,
    (EX07, "untouched"): 0,
    (EX07, "unshuffled_split"): 8,
    (EX07, "twenty_epochs"): 7,
    (EX07, "dropout_by_training_accuracy"): 7,
    # a split that shuffles x and y in place loses the split's 2, with its own hint
    (EX07, "inplace_split"): 8,
    # ex06_testing: evaluate 2, predict_labels 2, misclassified 2, one point per bug fixed in
    # report (5); two silent bugs left lose their 2, the sparse loss left stops all 5
    (EX06T, "full"): 11,
    (EX06T, "untouched"): 0,
    (EX06T, "two_bugs_left"): 9,
    (EX06T, "sparse_loss_left"): 6,
    # ex08: experiment 3, verdict 3 (the written answer's 2 are graded by hand); t for n
    # degrees of freedom fails the five-seed case
    (EX08, "full"): 6,
    (EX08, "untouched"): 0,
    (EX08, "n_degrees_of_freedom"): 3,
    # ex04_backpropagation: forward 2, loss 1, backward 6, finite differences 2, loop 2,
    # accuracy 1, three predictions 1 each (the written answer's 2 are graded by hand); a
    # backward pass without the ReLU mask loses its 6 and the accuracy's 1 (the loop still
    # lowers the toy loss), a one-sided difference only its 2
    (EX04B, "full"): 17,
    (EX04B, "untouched"): 0,
    (EX04B, "relu_mask_forgotten"): 10,
    (EX04B, "one_sided_difference"): 15,
    # ex09_convolution: conv2d 5, output shape 2, parameters 1, five network numbers 1 each,
    # the CNN 1, its accuracy 2; a flipped kernel loses conv2d's 5, a dense network the CNN's
    # 1 and its accuracy's 2 (it is not trained: two of the four train a CNN)
    (EX09, "full"): 16,
    (EX09, "untouched"): 0,
    (EX09, "flipped_kernel"): 11,
    (EX09, "cnn_without_convolution"): 13,
    # ex05: compile_model 1, train 1 (its test also trains the course's model to 0.84), weight
    # updates 2, two predictions 1 each; rounding the batches down loses the 2
    (EX05, "full"): 6,
    (EX05, "untouched"): 0,
    (EX05, "floored_updates"): 4,
}


IN_PLACE_HINTS = {
    # (assignment, student): (the test cell that fails, its check's hint)
    (EX01, "inplace_normalisation"): (
        "test_normalize",
        "compute a new array (x / 255 - 0.5) instead of changing x in place",
    ),
    (EX06, "inplace_softmax"): (
        "test_softmax",
        "compute new arrays (z = logits - ...) instead of subtracting in place",
    ),
    (EX07, "inplace_split"): (
        "test_split_validation",
        "index into new arrays (x[order]) instead of np.random.shuffle(x)",
    ),
}


def output_text(cell):
    """Everything a code cell's outputs show: printed text, error names and messages."""
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        parts.append("".join(text) if isinstance(text, list) else text)
        parts += [output.get("ename", ""), output.get("evalue", "")]
        parts += output.get("traceback", [])
    return "\n".join(parts)


def make_submissions(root, assignment, students):
    """Write the simulated students' notebooks into grading/submitted/<student>/<assignment>."""
    released = nbformat.read(release_notebook(assignment, root), 4)
    answers = notebook.model_answers(
        notebook.read_notebook_json(solution_notebook(assignment, root))
    )

    def full():
        nb = nbformat.from_dict(released)
        for grade_id, answer in answers.items():
            notebook.find_cell(nb, grade_id).source = answer
        return nbformat.from_dict(nb)

    def wrong_normalisation():
        nb = full()
        cell = notebook.find_cell(nb, "normalize")
        cell.source = with_body(notebook.find_cell(released, "normalize"), "return x / 255")
        return nb

    def variant(student):
        if student == "full":
            return full(), assignment
        if student == "alternative":
            nb = full()
            for grade_id in answers:
                notebook.find_cell(nb, grade_id).source = with_body(
                    notebook.find_cell(released, grade_id), ALTERNATIVES[grade_id]
                )
            return nb, assignment
        if student == "untouched":
            return nbformat.from_dict(released), assignment
        if student == "wrong_normalisation":
            return wrong_normalisation(), assignment
        if student == "tampered":
            # the test cell passes whatever; the read-only setup cell makes every check pass
            nb = wrong_normalisation()
            notebook.find_cell(nb, "test_normalize").source = "pass"
            notebook.find_cell(nb, "setup").source += "\nnp.allclose = lambda *args, **kwargs: True"
            return nb, assignment
        if student == "deleted":
            nb = wrong_normalisation()
            nb.cells.remove(notebook.find_cell(nb, "test_normalize"))
            return nb, assignment
        if student == "infinite_loop":
            nb = full()
            notebook.find_cell(nb, "normalize").source = with_body(
                notebook.find_cell(released, "normalize"), HANGING_BODY
            )
            return nb, assignment
        if student == "patched_checks":
            nb = nbformat.from_dict(released)
            notebook.find_cell(nb, "split_labels").source += "\n\n" + PATCH_CHECKS
            return nb, assignment
        if student == "renamed":
            return full(), f"{assignment} (1)"
        if student in WRONG:
            nb = full()
            grade_id, body = WRONG[student]
            notebook.find_cell(nb, grade_id).source = with_body(
                notebook.find_cell(released, grade_id), body
            )
            return nb, assignment
        raise AssertionError(student)

    for student in students:
        nb, name = variant(student)
        folder = root / "grading" / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")


def feedback_text(path):
    """A feedback page's text as a reader sees it (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def hidden_lines(assignment, root):
    """The hidden tests of an exercise, line by line."""
    source = notebook.read_notebook_json(solution_notebook(assignment, root))
    return [
        line.strip()
        for cell in source["cells"]
        for line in notebook.hidden_tests(notebook.cell_source(cell))
        if line.strip()
    ]


def exported_scores(root):
    run_nbgrader(root, "export", "--to", str(root / "grades.csv"))
    with open(root / "grades.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    return {(row["assignment"], row["student_id"]): float(row["score"]) for row in rows}


def autograde(root, assignment, *extra):
    return run_course("autograde", assignment, "--jobs", "2", *extra, cwd=root, timeout=3600)


LOG_LINES = 150
"""Lines of a student's grading log that a failure message shows (the last ones)."""


def what_grading_saw(root, expected, scores, *runs, db_url=None):
    """A failure message for an end-to-end test: what grading did, readable from CI's output.

    The students whose score is not the expected one; every student's points per test cell
    as the gradebook holds them; the grading log (``grading/logs/<exercise>/<student>.log``)
    of each student scored wrong; and the output of the ``autograde`` runs ``runs``.
    """
    from nbgrader.api import Gradebook, MissingEntry

    wrong = sorted(key for key in expected if scores.get(key) != expected[key])
    lines = ["scores not as expected (exercise, student: expected, found):"]
    lines += [f"  {a}, {s}: {expected[a, s]}, {scores.get((a, s))}" for a, s in wrong]
    lines.append("points per test cell in the gradebook:")
    url = db_url or f"sqlite:///{root / 'grading' / 'gradebook.db'}"
    try:
        with Gradebook(url, "mnist_course") as gradebook:
            for assignment, student in sorted(expected):
                try:
                    submission = gradebook.find_submission(assignment, student)
                except MissingEntry:
                    if (assignment, student) in wrong:
                        lines.append(f"  {assignment}, {student}: not in the gradebook")
                    continue
                cells = ", ".join(
                    f"{grade.name} {grade.score}/{grade.max_score}"
                    for notebook_ in submission.notebooks
                    for grade in notebook_.grades
                )
                lines.append(f"  {assignment}, {student}: {submission.score}: {cells}")
    except Exception as error:  # the message must still show the logs
        lines.append(f"  (the gradebook could not be read: {error!r})")
    for assignment, student in wrong:
        log = root / "grading" / "logs" / assignment / f"{student}.log"
        text = log.read_text(errors="replace") if log.exists() else f"(no {log})"
        lines.append(f"--- {log}, its last {LOG_LINES} lines:")
        lines += text.splitlines()[-LOG_LINES:]
    for run in runs:
        lines.append(f"--- {' '.join(run.args[1:])}: exit {run.returncode}")
        lines += [run.stdout, run.stderr]
    return "\n".join(lines)


@pytest.mark.nbgrader
def test_nbgrader_grades_each_simulated_student_exactly_and_the_same_twice(tmp_path):
    config = (ROOT / "nbgrader_config.py").read_text()
    for preprocessor in ("GradeOutside", "ClearHiddenTestsAndTracebacks"):
        name = f"mnist_course.grading.preprocessors.{preprocessor}"
        assert name in config, (
            f"nbgrader_config.py does not name {name}: "
            "add it to Autograde.autograde_preprocessors / GenerateFeedback.preprocessors"
        )
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for assignment in (EX01, EX02, EX06, EX07, EX04B, EX09, EX05, EX06T, EX08):
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
        run_nbgrader(root, "generate_assignment", assignment)
        students = sorted(student for a, student in EXPECTED if a == assignment)
        make_submissions(root, assignment, students)
    submitted = tree_digest(root / "grading" / "submitted")

    # a short timeout: the hanging student costs two of them (its cell and its test cell)
    first = autograde(root, EX01, "--timeout", "15")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "ex01_data.ipynb is missing" in first.stdout and "rename it to" in first.stdout
    assert "ran past the timeout and were stopped" in first.stdout
    loop_log = root / "grading" / "logs" / EX01 / "infinite_loop.log"
    assert "normalize() took longer than 15 s and was stopped" in loop_log.read_text()
    assert "test cells put back: test_normalize" in first.stdout
    assert "cell split_labels: mnist_course.checks): look at it by hand" in first.stdout
    # the others in one command: each student's notebook graded by a fork of a worker that
    # graded other exercises before, with the scores of a fresh process (ex07's reference run
    # depends on what its process ran); ex01's students, graded already, are skipped
    graded = autograde(root, "all")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    for assignment in (EX02, EX06, EX07, EX04B, EX09, EX05, EX06T, EX08):
        assert f"{assignment}, full: graded" in graded.stdout, graded.stdout + graded.stderr
    # each student's process of an exercise that uses Keras was forked from the worker's
    # zygote, which had imported Keras
    for log in (root / "grading" / "logs").glob("*/*.log"):
        text = log.read_text()
        if uses_keras(log.parent.name) and "contained by" in text:
            assert "contained by bubblewrap, forked from the worker's zygote" in text, text
    ex01 = graded.stdout.count(f"{EX01}, ")
    assert ex01 == len([key for key in EXPECTED if key[0] == EX01]), graded.stdout
    assert graded.stdout.count(": skipped") == ex01 - 1, graded.stdout  # not `renamed`

    run_nbgrader(root, "generate_feedback", EX01)
    scores = exported_scores(root)
    # export lists every student for every assignment: 0 where they submitted nothing
    expected = {k: float(v) for k, v in EXPECTED.items()}
    assert {key: scores.get(key) for key in EXPECTED} == expected, what_grading_saw(
        root, expected, scores, first, graded
    )
    assert {score for key, score in scores.items() if key not in EXPECTED} == {0.0}
    # an answer that changes its input in place fails its check with the check's own hint
    for (assignment, student), (test_cell, hint) in IN_PLACE_HINTS.items():
        graded_nb = root / "grading" / "autograded" / student / assignment / f"{assignment}.ipynb"
        text = output_text(notebook.find_cell(nbformat.read(graded_nb, 4), test_cell))
        assert "changed its input" in text and hint in text, (student, text)

    # feedback: the visible checks are there, the hidden ones nowhere, not even in tracebacks
    page = root / "grading" / "feedback" / "wrong_normalisation" / EX01 / f"{EX01}.html"
    text = feedback_text(page)
    assert "checks.check_normalize(normalize)" in text
    assert "CheckFailed" in text
    secret = hidden_lines(EX01, root)
    pages = sorted((root / "grading" / "feedback").glob(f"*/{EX01}/{EX01}.html"))
    assert len(pages) == len([key for key in EXPECTED if key[0] == EX01]) - 1  # not `renamed`
    assert secret and not [
        (page, line) for page in pages for line in secret if line in feedback_text(page)
    ]

    # grading again from scratch gives the same scores and leaves the submissions as they were
    again = autograde(root, EX01, "--timeout", "15", "--force")
    assert again.returncode == 0, again.stdout + again.stderr
    rescored = exported_scores(root)
    assert rescored == scores, what_grading_saw(root, scores, rescored, again)
    assert tree_digest(root / "grading" / "submitted") == submitted


# ---------------------------------------------------------------------------------------------
# Submissions that attack the grading

# Each trick as a student writes it: (exercise, where, source[, last]). "own" puts it in a cell
# of the student's own right after the setup cell; a grade_id appends it to that answer cell;
# ``last``, where given, is a cell the student adds at the end. The sources are
# string.Template texts: $solutions and $gradebook are the course's files, $port a port the
# test listens on, $sleep the unique argument of the forked processes' sleep.
TRICKS = {
    # rewrite every later cell that mentions the checks into `pass` (IPython only)
    "input_transformer": (
        EX01,
        "split_labels",
        """
def _skip_checks(lines):
    return ["pass\\n"] if any("checks" in line for line in lines) else lines


get_ipython().input_transformers_cleanup.append(_skip_checks)
""",
    ),
    # print every later cell's source, hidden tests included, into the outputs (IPython only)
    "event_hook": (
        EX01,
        "own",
        """
def _show_cell(info):
    print(info.raw_cell)


get_ipython().events.register("pre_run_cell", _show_cell)
""",
    ),
    # watch every frame that runs after this cell, to see the checks and their inputs
    "trace": (
        EX01,
        "own",
        """
import sys

_frames = set()


def _watch(frame, event, arg):
    _frames.add(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
    return _watch


sys.settrace(_watch)
sys.setprofile(_watch)
""",
        # a cell at the end: which code of the checks ran where the tracer could see it
        "_seen = sorted(_frames)\n"
        'print("code of the checks seen:", [f for f in _seen if "/checks/" in f])',
    ),
    # every comparison of arrays passes
    "numpy": (
        EX01,
        "normalize",
        """
import sys
import types

import numpy.testing

np.allclose = np.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
sys.modules["numpy.testing"] = types.ModuleType("numpy.testing")
""",
    ),
    # every type and every length is what a check expects
    "builtins": (
        EX01,
        "one_hot",
        """
import builtins

builtins.isinstance = lambda value, kind: True
builtins.len = lambda value: 60000
print("len('abc') is", len("abc"))
""",
    ),
    # read the model answers and the hidden tests, print them and keep them
    "reads_course": (
        EX01,
        "own",
        """
_read = {}
for _path in [$solutions, $gradebook]:
    try:
        with open(_path, "rb") as _file:
            _read[_path] = _file.read().decode(errors="replace")
    except OSError as _error:
        _read[_path] = f"{type(_error).__name__}: {_error}"
print(_read)
""",
    ),
    # send a greeting, then each input a check gives normalize, to a server of one's own
    "network": (
        EX01,
        "normalize",
        """
import socket


def _send(data):
    try:
        with socket.create_connection(("127.0.0.1", $port), timeout=5) as connection:
            connection.sendall(repr(data).encode())
    except OSError as error:
        print("no connection:", error)


_send("hello")
_normalize = normalize


def normalize(x):
    _send(x)
    return _normalize(x)
""",
    ),
    # far more memory than the machine has (24 GiB), at once and 256 MiB at a time
    "memory": (
        EX01,
        "own",
        """
try:
    _hoard = bytearray(64 * 2**30)
except MemoryError:
    print("bytearray(64 GiB): MemoryError")
try:
    _hoard = [np.empty(2**25) for _ in range(2048)]
except MemoryError:
    print("512 GiB, 256 MiB at a time: MemoryError")
_hoard = np.ones(8 * 2**30)
""",
    ),
    # 300 processes that leave the process group and sleep for a minute
    "forks": (
        EX01,
        "own",
        """
import os

_forked = 0
for _ in range(300):
    try:
        _pid = os.fork()
    except OSError as _error:
        print("fork:", _error)
        break
    if _pid == 0:
        try:
            os.setsid()
            os.execv("/bin/sleep", ["sleep", "$sleep"])
        finally:
            os._exit(0)
    _forked += 1
print("forked", _forked)
""",
    ),
    # every model has the expected size and a perfect test accuracy
    "keras": (
        EX02,
        "build_mlp",
        """
keras.Model.count_params = lambda self: 55050
keras.Model.evaluate = lambda self, *args, **kwargs: [0.0, 1.0]
""",
    ),
}

FULL_MARKS = {EX01: 6, EX02: 6}

HARM_ONLY = {"reads_course", "network", "memory", "forks"}
"""Tricks that seek to read, send or harm, not to change a score: tried on a correct
submission only (the untouched release would meet the same walls)."""

ATTACKS_SEEN = {
    # what each trick met in the student's process, in its notebook's outputs
    "input_transformer": "'Shell' object has no attribute 'input_transformers_cleanup'",
    "event_hook": "'Shell' object has no attribute 'events'",
    "trace": "code of the checks seen: []",
    "builtins": "len('abc') is 60000",
    "reads_course": "FileNotFoundError: [Errno 2] No such file or directory",
    "network": "no connection: [Errno 111] Connection refused",
    "memory": "bytearray(64 GiB): MemoryError\n512 GiB, 256 MiB at a time: MemoryError",
    "forks": "fork: [Errno 1] Operation not permitted\nforked 0",
}


def variants(trick):
    """The submissions a trick is tried on: the untouched release, a correct one, or both."""
    return ("full",) if trick in HARM_ONLY else ("untouched", "full")


ATTACKS_EXPECTED = {
    (exercise, f"{trick}_{variant}"): FULL_MARKS[exercise] if variant == "full" else 0
    for trick, (exercise, *_) in TRICKS.items()
    for variant in variants(trick)
}
"""A trick on the untouched release scores 0, on a correct submission full marks."""


def full_submission(released, answers):
    """The released notebook with every model answer filled in."""
    nb = nbformat.from_dict(released)
    for grade_id, answer in answers.items():
        notebook.find_cell(nb, grade_id).source = answer
    return nb


def make_attacks(root, **values):
    """Write each trick, on the untouched release and on a correct submission (see
    :func:`variants`), as a student ``<trick>_untouched`` or ``<trick>_full``; ``values``
    fill in the tricks' templates."""
    import string

    values = {name: repr(str(value)) for name, value in values.items()}
    values["sleep"] = values["sleep"].strip("'")
    for trick, (assignment, where, template, *last) in TRICKS.items():
        released = nbformat.read(release_notebook(assignment, root), 4)
        answers = notebook.model_answers(
            notebook.read_notebook_json(solution_notebook(assignment, root))
        )
        source = string.Template(template).substitute(values).strip()
        for variant in variants(trick):
            nb = full_submission(released, answers) if variant == "full" else released
            nb = nbformat.from_dict(nb)
            if where == "own":
                setup = nb.cells.index(notebook.find_cell(nb, "setup"))
                nb.cells.insert(setup + 1, new_code_cell(source))
            else:
                notebook.find_cell(nb, where).source += "\n\n\n" + source
            nb.cells += [new_code_cell(cell) for cell in last]
            folder = root / "grading" / "submitted" / f"{trick}_{variant}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")


def outputs_text(path):
    """Everything a notebook's cells output, as one text: streams, results and errors."""
    parts = []
    for cell in nbformat.read(path, 4).cells:
        for output in cell.get("outputs", []):
            parts += [output.get("text", ""), output.get("ename", ""), output.get("evalue", "")]
            parts += output.get("traceback", [])
            parts += [str(value) for value in output.get("data", {}).values()]
    return "\n".join(parts)


class Listener:
    """A TCP server on a free port of 127.0.0.1 that records whoever connects and what they
    send, until stopped."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.received = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                with contextlib.suppress(OSError):
                    self.received.append(connection.recv(1000))

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.socket.close()


def processes_running(argv):
    """The ids of the processes on this machine whose command line is exactly ``argv``."""
    found = []
    wanted = "\0".join(argv).encode() + b"\0"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "cmdline").read_bytes() == wanted:
                    found.append(int(entry.name))
    return found


@pytest.mark.nbgrader
def test_nbgrader_grades_each_attacking_submission_by_its_answers_alone(tmp_path):
    """Students who patch IPython, numpy, Keras or the builtins, trace the process, read the
    course's files, open a connection, allocate far too much memory or fork hundreds of
    processes get exactly what their answers earn; nothing of the hidden tests, the model
    answers or the gradebook reaches a notebook or a feedback page; the others are graded."""
    from mnist_course.sandbox import bubblewrap_status

    works, why_not = bubblewrap_status()
    if not works:  # the course's files and the network are hidden by bubblewrap only
        skip_or_fail_in_ci(f"bubblewrap cannot run here: {why_not}")
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for assignment in FULL_MARKS:
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
        run_nbgrader(root, "generate_assignment", assignment)
    sleep = ["sleep", f"60.{os.getpid()}{time.time_ns() % 10**6:06d}"]
    listener = Listener()
    make_attacks(
        root,
        solutions=solution_notebook(EX01, root),
        gradebook=root / "grading" / "gradebook.db",
        port=listener.port,
        sleep=sleep[1],
    )
    runs = []
    try:
        for assignment in FULL_MARKS:
            graded = autograde(root, assignment)
            runs.append(graded)
            assert graded.returncode == 0, graded.stdout + graded.stderr
            students = {student for exercise, student in ATTACKS_EXPECTED if exercise == assignment}
            assert reported_students(graded.stdout) == dict.fromkeys(students, "graded")
            run_nbgrader(root, "generate_feedback", assignment)
    finally:
        listener.stop()
    assert listener.received == []
    assert processes_running(sleep) == []

    scores = exported_scores(root)
    expected = {key: float(value) for key, value in ATTACKS_EXPECTED.items()}
    assert {key: scores.get(key) for key in ATTACKS_EXPECTED} == expected, what_grading_saw(
        root, expected, scores, *runs
    )

    # each trick ran, and met the sandbox where it tried
    outputs = {
        path.parents[1].name: outputs_text(path)
        for path in (root / "grading" / "autograded").glob("*/*/*.ipynb")
    }
    for trick, expected in ATTACKS_SEEN.items():
        for student in (f"{trick}_{variant}" for variant in variants(trick)):
            assert expected in outputs[student], (student, outputs[student][:2000])

    # no hidden test, no solution file, no gradebook in any output or feedback page
    secrets = [*hidden_lines(EX01, root), *hidden_lines(EX02, root)]
    secrets += [notebook.BEGIN_HIDDEN_TESTS, "SQLite format 3", "check_normalize(normalize, x="]
    pages = sorted((root / "grading" / "feedback").glob("*/*/*.html"))
    assert len(pages) == len(outputs) == len(ATTACKS_EXPECTED)
    texts = {str(page): feedback_text(page) for page in pages}
    assert all("checks.check_" in text for text in texts.values())  # the visible checks are
    texts.update(outputs)
    leaks = {(name, secret) for name, text in texts.items() for secret in secrets if secret in text}
    assert not leaks


# ---------------------------------------------------------------------------------------------
# A class graded on several machines into one gradebook on PostgreSQL

SHARDED_CLASS = ["alternative", "deleted", "full", "renamed", "untouched", "wrong_normalisation"]
"""Shard 1/2 grades alternative, full and untouched; shard 2/2 the other three."""

POSTGRES_MISSING = (
    "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/pg_ctl): "
    "apt-get install postgresql, as .ci/run does"
)


def postgres_programs():
    """The folder of Debian's newest PostgreSQL server programs (initdb, pg_ctl), or None."""
    found = Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
    found = sorted(found, key=lambda path: [int(n) for n in re.findall(r"\d+", path.parts[-3])])
    return found[-1].parent if found else None


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres_url():
    """A PostgreSQL server of its own on 127.0.0.1 (a free port, a temporary data folder) with
    an empty database ``gradebook``; the database's URL. The server stops afterwards.

    Without PostgreSQL the test fails in CI (CI=true; .ci/run installs it) and is skipped
    elsewhere. The server refuses to run as root: as root it runs as the user ``postgres``.
    """
    programs = postgres_programs()
    if programs is None:
        skip_or_fail_in_ci(POSTGRES_MISSING)
    psycopg = import_or_fail_in_ci("psycopg", "pip install -e '.[postgres]'")
    folder = Path(tempfile.mkdtemp(prefix="mnist_course_postgres_"))  # not under a 0700 folder
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port, data = free_port(), folder / "data"

    def run(*command):
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off"
    run(programs / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N")
    run(programs / "pg_ctl", "-D", data, "-l", folder / "server.log", "-o", options, "-w", "start")
    try:
        server = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute("CREATE DATABASE gradebook")
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        run(programs / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def start_shard(root, shard, output):
    """Start ``mnist-course autograde ex01_data --shard SHARD`` in the background, as one
    machine of a job array would; its output goes to the file ``output``."""
    command = [sys.executable, "-m", "mnist_course", "autograde", EX01, "--shard", shard]
    with output.open("w") as file:
        return subprocess.Popen([*command, "--jobs", "1"], cwd=root, stdout=file, stderr=file)


def kill_machine(process):
    """Kill a command and everything it started (grading workers, kernels), as a machine that
    dies would: stop them all first, so that none starts another."""
    import psutil

    parent = psutil.Process(process.pid)
    processes = [parent, *parent.children(recursive=True)]
    for each in processes:
        each.suspend()
    processes += [child for each in processes for child in each.children(recursive=True)]
    for each in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            each.kill()
    process.wait(timeout=60)


def reported_students(output):
    """The students that an autograde report names, with their status."""
    return dict(re.findall(r"^(\w+): (graded|skipped|failed|missing)\b", output, re.M))


@pytest.mark.nbgrader
@pytest.mark.postgres
def test_two_shards_grade_into_postgres_as_one_machine_into_sqlite_even_after_one_dies(
    tmp_path, postgres_url, monkeypatch
):
    courses = {}
    for name, url in (("sqlite", None), ("postgres", postgres_url)):
        if url is None:
            monkeypatch.delenv(coursedir.DB_URL_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(coursedir.DB_URL_VARIABLE, url)
        root = courses[name] = tmp_path / name
        root.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", root)
        shutil.copytree(ROOT / "solutions" / EX01, root / "solutions" / EX01)
        run_nbgrader(root, "generate_assignment", EX01)  # registers it, once, before the shards
        make_submissions(root, EX01, SHARDED_CLASS)

    # one machine, the default SQLite gradebook
    monkeypatch.delenv(coursedir.DB_URL_VARIABLE)
    alone = autograde(courses["sqlite"], EX01)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    expected = exported_scores(courses["sqlite"])
    one_machine = {(EX01, name): float(EXPECTED[EX01, name]) for name in SHARDED_CLASS}
    assert expected == one_machine, what_grading_saw(
        courses["sqlite"], one_machine, expected, alone
    )

    # two machines at once into PostgreSQL; the first dies while it grades its second student
    monkeypatch.setenv(coursedir.DB_URL_VARIABLE, postgres_url)
    root = courses["postgres"]
    logs = [tmp_path / name for name in ("shard1-died.txt", "shard2.txt", "shard1-again.txt")]
    first, second = start_shard(root, "1/2", logs[0]), start_shard(root, "2/2", logs[1])
    cut_off = root / "grading" / "autograded" / "full" / EX01 / f"{EX01}.ipynb"
    deadline = time.monotonic() + 600
    while not cut_off.exists():
        assert first.poll() is None, logs[0].read_text()
        assert time.monotonic() < deadline, logs[0].read_text()
        time.sleep(0.05)
    kill_machine(first)
    assert cut_off.stat().st_mode & 0o200, "the shard was killed after it had graded `full`"
    assert reported_students(logs[0].read_text()) == {"alternative": "graded"}

    # the same shard again: what it had graded is skipped, the student cut off graded again
    again = start_shard(root, "1/2", logs[2])
    assert again.wait(timeout=1200) == 0, logs[2].read_text()
    assert second.wait(timeout=1200) == 0, logs[1].read_text()
    outputs = [log.read_text() for log in logs]
    assert reported_students(outputs[2]) == {
        "alternative": "skipped",
        "full": "graded",
        "untouched": "graded",
    }
    assert "full: graded, 6 of 6 points" in outputs[2]
    assert "an earlier run stopped while grading this student: graded again" in outputs[2]
    assert outputs[1].rstrip().splitlines()[-1].startswith("shard 2/2: 3 students in ")
    assert reported_students(outputs[1]) == {
        "deleted": "graded",
        "renamed": "missing",
        "wrong_normalisation": "graded",
    }

    # each student graded by one machine, once: one submission each, scores as on one machine
    from nbgrader.api import Gradebook

    with Gradebook(postgres_url, "mnist_course") as gradebook:
        submissions = gradebook.find_assignment(EX01).submissions
        assert sorted(submission.student.id for submission in submissions) == SHARDED_CLASS
    sharded = exported_scores(root)
    assert sharded == expected, what_grading_saw(root, expected, sharded, db_url=postgres_url) + (
        "\n".join(["", "--- the shards' output:", *(log.read_text() for log in logs)])
    )
    graded = sorted((root / "grading" / "autograded").glob(f"*/{EX01}/{EX01}.ipynb"))
    assert len(graded) == len(SHARDED_CLASS) - 1  # all but the renamed notebook
    assert not [path for path in graded if path.stat().st_mode & 0o222]  # each one finished
