"""A semester with real accounts: nbgrader's exchange as on a JupyterHub, each command run as
the user who would run it.

One instructor and two students, created on this machine (CI runs as root). The instructor
registers ex01_data with a due date and releases it; both students fetch it, fill it in (alice
correctly, bob with a wrong ``normalize``) and submit, bob after the due date; the instructor
collects, autogrades with ``mnist-course autograde``, generates and releases feedback; each
student fetches their own feedback and cannot read the other's submission or feedback.
"""

import datetime
import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT, skip_or_fail_in_ci, solution_notebook

from mnist_course import notebook

INSTRUCTOR, ALICE, BOB = "mc-instructor", "mc-alice", "mc-bob"
EXERCISE = "ex01_data"
COURSE_ID = "mnist_course"


def _missing():
    if os.geteuid() != 0:
        return "needs root, to create the instructor's and students' accounts"
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    if not Path("/usr/bin/python3").exists():
        return "needs the system's python3, which every account can run"
    return None


@pytest.fixture(scope="module")
def machine():
    """The accounts, the exchange and an environment every account can run, removed after."""
    reason = _missing()
    if reason:
        skip_or_fail_in_ci(f"the exchange test: {reason}")
    base = Path(tempfile.mkdtemp(prefix="mnist-exchange-", dir="/var/tmp"))
    base.chmod(0o755)
    users = [INSTRUCTOR, ALICE, BOB]
    try:
        for user in users:
            subprocess.run(["userdel", "-r", user], capture_output=True)
            # a home only its owner enters, as on a JupyterHub
            subprocess.run(
                ["useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/bash", user], check=True
            )
            Path(pwd.getpwnam(user).pw_dir).chmod(0o700)
        # the test's own environment may live in root's home, which other accounts cannot
        # enter: a virtual environment of the system's Python, with the course installed
        venv = base / "venv"
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "-c", str(ROOT / "constraints.txt")]
            + ["nbgrader", str(ROOT)],
            check=True,
            capture_output=True,
        )
        subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
        # nbgrader's documented exchange: a folder everyone can write, made before release
        exchange = base / "exchange"
        exchange.mkdir()
        exchange.chmod(0o777)
        yield {"base": base, "venv": venv, "exchange": exchange}
    finally:
        for user in users:
            subprocess.run(["userdel", "-r", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def as_user(machine, user, *command, cwd=None, check=True):
    """Run ``command`` as ``user`` in a clean login-like environment."""
    home = Path(pwd.getpwnam(user).pw_dir)
    env = {
        "HOME": str(home),
        "USER": user,
        "PATH": f"{machine['venv'] / 'bin'}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items())]
        + list(command),
        cwd=cwd or home,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check:
        assert done.returncode == 0, f"{user}: {' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done


def give(path, user):
    """Make ``path`` (a file or a folder tree) belong to ``user``."""
    group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    subprocess.run(["chown", "-R", f"{user}:{group}", str(path)], check=True)


def student_config(machine, user):
    home = Path(pwd.getpwnam(user).pw_dir)
    config = home / "nbgrader_config.py"
    config.write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(machine['exchange'])!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
    )
    give(config, user)
    return home


def fill_in(path, user, *, wrong_normalize):
    """The student's answers: the model answers, or with ``normalize`` dividing only."""
    nb = nbformat.read(path, 4)
    answers = notebook.model_answers(notebook.read_notebook_json(solution_notebook(EXERCISE)))
    for grade_id, answer in answers.items():
        notebook.find_cell(nb, grade_id).source = answer
    if wrong_normalize:
        cell = notebook.find_cell(nb, "normalize")
        wrong = cell.source.replace("float32) / 255 - 0.5", "float32) / 255")
        assert wrong != cell.source
        cell.source = wrong
    nbformat.write(nb, path)
    give(path, user)


def due_in(course, seconds):
    due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    (course / "due_dates.toml").write_text(f"{EXERCISE} = {due:%Y-%m-%dT%H:%M:%S}Z\n")
    give(course / "due_dates.toml", INSTRUCTOR)


@pytest.mark.nbgrader
def test_a_semester_with_real_accounts_grades_fairly_and_keeps_students_apart(machine):
    course = machine["base"] / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / EXERCISE, course / "solutions" / EXERCISE)
    config = (ROOT / "nbgrader_config.py").read_text()
    config += f"\nc.Exchange.root = {str(machine['exchange'])!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    give(course, INSTRUCTOR)

    # the instructor registers the exercise, due in an hour, and releases it
    due_in(course, 3600)
    as_user(machine, INSTRUCTOR, "mnist-course", "register", EXERCISE, cwd=course)
    as_user(machine, INSTRUCTOR, "nbgrader", "release_assignment", EXERCISE, cwd=course)

    # alice fetches, answers and submits on time
    alice_home = student_config(machine, ALICE)
    as_user(machine, ALICE, "nbgrader", "fetch_assignment", EXERCISE)
    fill_in(alice_home / EXERCISE / f"{EXERCISE}.ipynb", ALICE, wrong_normalize=False)
    as_user(machine, ALICE, "nbgrader", "submit", EXERCISE)

    # the due date passes (moved to just after alice's submission); bob submits after it,
    # with one mistake
    due_in(course, 2)
    moved = time.monotonic()
    as_user(machine, INSTRUCTOR, "mnist-course", "register", EXERCISE, cwd=course)
    bob_home = student_config(machine, BOB)
    as_user(machine, BOB, "nbgrader", "fetch_assignment", EXERCISE)
    time.sleep(max(0, 3 - (time.monotonic() - moved)))
    fill_in(bob_home / EXERCISE / f"{EXERCISE}.ipynb", BOB, wrong_normalize=True)
    as_user(machine, BOB, "nbgrader", "submit", EXERCISE)

    # a student cannot find the other's submission: the instructor's account must read the
    # submitted files, so nbgrader keeps them apart by a folder nobody else can list, and by
    # a random part in each submission's name that a student cannot guess
    inbound = machine["exchange"] / COURSE_ID / "inbound"
    listing = as_user(machine, ALICE, "ls", str(inbound), check=False)
    assert listing.returncode != 0 and "Permission denied" in listing.stderr
    [bob_submission] = [path for path in inbound.iterdir() if path.name.startswith(BOB)]
    student, assignment, timestamp, random_part = bob_submission.name.split("+")
    assert (student, assignment) == (BOB, EXERCISE) and len(random_part) >= 8

    # the instructor collects, grades, and releases feedback
    as_user(machine, INSTRUCTOR, "nbgrader", "collect", EXERCISE, cwd=course)
    graded = as_user(
        machine, INSTRUCTOR, "mnist-course", "autograde", EXERCISE, "--jobs", "2", cwd=course
    )
    assert f"{ALICE}  6 / 6" in graded.stdout, graded.stdout
    # bob: normalize's check costs 1 of 6 (as in the end-to-end test); one started day late
    # costs 0.1 of 6
    as_user(machine, INSTRUCTOR, "mnist-course", "export", cwd=course)
    lms = (course / "grades_for_lms.csv").read_text().splitlines()
    rows = {line.split(",")[3]: line.split(",")[5] for line in lms[2:]}
    assert rows == {ALICE: "6", BOB: "4.4"}, lms
    as_user(machine, INSTRUCTOR, "nbgrader", "generate_feedback", EXERCISE, cwd=course)
    as_user(machine, INSTRUCTOR, "nbgrader", "release_feedback", EXERCISE, cwd=course)

    # each student fetches their own feedback, which names their own mistakes only
    pages = {}
    for user, home in ((ALICE, alice_home), (BOB, bob_home)):
        as_user(machine, user, "nbgrader", "fetch_feedback", EXERCISE)
        [page] = (home / EXERCISE / "feedback").glob(f"*/{EXERCISE}.html")
        pages[user] = page
    bob_text = pages[BOB].read_text()
    assert "normalize" in bob_text and "hint" in bob_text
    assert "hint" not in pages[ALICE].read_text()
    for user, other in ((ALICE, BOB), (BOB, ALICE)):
        peek = as_user(machine, user, "cat", str(pages[other]), check=False)
        assert peek.returncode != 0, f"{user} could read {other}'s feedback"
        outbound = machine["exchange"] / COURSE_ID / "feedback"
        listing = as_user(machine, user, "ls", str(outbound), check=False)
        assert listing.returncode != 0, f"{user} could list every student's feedback"
