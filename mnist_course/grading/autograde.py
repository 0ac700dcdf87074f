"""What drives nbgrader: autograde a class, several students at once, and read the outcome.

nbgrader grades one student at a time. :func:`autograde_class` grades ``jobs`` students at
once, in ``jobs`` worker processes (a :class:`GradingPool`) that each run nbgrader's
autograde for one student after another, over the course's one gradebook, and reports each
student: graded (with the score), skipped (already graded), failed (with nbgrader's reason)
or missing notebooks. It never writes into the submitted folder.

A class larger than one machine is split into shards (:func:`shard_students`): each machine
grades every N-th student into one gradebook on a database server, named by the environment
variable :data:`DB_URL_VARIABLE` that nbgrader_config.py reads. A student whose grading was
cut off (a machine or job that died) is graded again on the next run
(:func:`stopped_half_way`).

What nbgrader runs inside its own process while it grades is in
:mod:`mnist_course.grading.preprocessors`; what is looked at before, in
:mod:`mnist_course.grading.screen`.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import functools
import glob
import importlib
import json
import multiprocessing
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import CourseError
from .._quiet import ONE_THREAD, QUIET_ENVIRONMENT

TIMEOUT_MESSAGE = "ran past the time limit and was stopped"
"""Part of the log line ``GradeOutside`` writes for a cell or call that timed out."""

RESTART_MESSAGE = "the student's process was started again"
"""Part of the log line ``GradeOutside`` writes when the student's process had died."""

DB_URL_VARIABLE = "MNIST_COURSE_DB_URL"
"""The environment variable that names the gradebook (a SQLAlchemy URL) in nbgrader_config.py.

Unset, the gradebook is the SQLite file grading/gradebook.db; several machines grading one
class share one on PostgreSQL, e.g. ``postgresql://grader:secret@db.example.org/course``.
"""

TRANSIENT_ERRORS = (
    # SQLite: another process holds the write lock
    "database is locked",
    # PostgreSQL: two transactions that waited on each other, or created the same row at once
    "deadlock detected",
    "could not serialize access",
    "duplicate key value violates unique constraint",
    # a kernel's port taken between choosing it and binding it
    "Address already in use",
)
"""Failures of an nbgrader run that say nothing about the submission: the run is repeated."""

RETRIES = 2
"""How many times a run that failed with a :data:`TRANSIENT_ERRORS` message is repeated."""


class GradingError(CourseError):
    """The course or the assignment cannot be graded as asked; the message says why."""


# ---------------------------------------------------------------------------------------------
# The course's folders


def config_folder(root="."):
    """Return ``root`` resolved, or raise :class:`GradingError` unless it holds
    ``nbgrader_config.py``."""
    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise GradingError(
            f"{root} has no nbgrader_config.py; expected the course's root folder "
            "(the one with solutions/ and exercises/): cd there or pass --root"
        )
    return root


def course_directory(root="."):
    """Read ``nbgrader_config.py`` in ``root`` and return nbgrader's ``CourseDirectory``.

    Parameters
    ----------
    root : path-like
        The course's root folder, the one with ``nbgrader_config.py``.

    Returns
    -------
    nbgrader.coursedir.CourseDirectory
    """
    root = config_folder(root)
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    if "root" not in config.CourseDirectory:
        coursedir.root = str(root)
    return coursedir


def submitted_students(coursedir, assignment):
    """Return the ids of the students with a submitted folder for ``assignment``, sorted."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    position = Path(pattern).parts.index("*")
    return sorted(Path(path).parts[position] for path in glob.glob(pattern) if Path(path).is_dir())


# ---------------------------------------------------------------------------------------------
# A class split across machines


def parse_shard(text):
    """Read a shard written ``K/N`` (the K-th of N, counted from 1); return ``(K, N)``.

    Examples
    --------
    >>> parse_shard("3/8")
    (3, 8)
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    shard, shards = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= shard <= shards:
        raise ValueError(
            f"shard {text!r}: expected K/N with 1 <= K <= N, e.g. 3/8 (Slurm: "
            "$SLURM_ARRAY_TASK_ID/8 with --array=1-8; a Kubernetes indexed Job counts from 0: "
            "$((JOB_COMPLETION_INDEX + 1))/8)"
        )
    return shard, shards


def shard_students(students, shard, shards):
    """Return the students that shard ``shard`` of ``shards`` grades, sorted.

    The ids are sorted and shard K takes every N-th one from the K-th on, so every machine
    computes the same split from the same submitted folders, and each student falls in
    exactly one shard.

    Examples
    --------
    >>> [shard_students(["eve", "bob", "dan", "amy", "cat"], k, 2) for k in (1, 2)]
    [['amy', 'cat', 'eve'], ['bob', 'dan']]
    """
    return [student for i, student in enumerate(sorted(students)) if i % shards == shard - 1]


def stopped_half_way(coursedir, assignment, student):
    """Whether an earlier run was cut off while it graded this student.

    nbgrader writes a student's autograded notebooks before it runs them, and makes them
    read-only (mode 444, its default) as its last step; a grading run that was killed (a
    machine or a job that died) leaves them writable, or leaves the folder without them.
    nbgrader itself would skip such a folder ("Skipping existing assignment").
    """
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    if not autograded.is_dir():
        return False
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    for notebook in submitted.glob("*.ipynb"):
        graded = autograded / notebook.name
        if not graded.is_file() or graded.stat().st_mode & 0o222:
            return True
    return False


def shown_url(db_url):
    """The gradebook's URL as messages show it: without its password.

    Examples
    --------
    >>> shown_url("postgresql://grader:secret@127.0.0.1:5432/course")
    'postgresql://grader:***@127.0.0.1:5432/course'
    """
    import sqlalchemy

    try:
        return sqlalchemy.engine.make_url(db_url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:  # not a URL: where its password is cannot be told
        return f"{db_url.partition(':')[0]}:***"


def _check_gradebook(db_url, assignment):
    """Raise :class:`GradingError` unless ``db_url`` holds an nbgrader gradebook.

    Opening nbgrader's ``Gradebook`` on an empty database creates its tables: two machines
    doing that at once collide, so the gradebook must be made first, by registering the
    assignments once.
    """
    import sqlalchemy

    register = f"run `nbgrader generate_assignment {assignment} --force` first"
    database = db_url.removeprefix("sqlite:///")
    if database != db_url:
        if not Path(database).is_file():
            raise GradingError(f"there is no gradebook at {database}; {register}")
        return
    try:
        engine = sqlalchemy.create_engine(db_url)
    except (ImportError, sqlalchemy.exc.ArgumentError) as error:
        # an ArgumentError's message repeats the URL, password included
        reason = error if isinstance(error, ImportError) else "not a URL SQLAlchemy reads"
        raise GradingError(
            f"cannot use the gradebook URL {shown_url(db_url)} ({reason}); for PostgreSQL, "
            "install the driver with `pip install -e '.[postgres]'` and write the URL as "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    try:
        with engine.connect() as connection:
            tables = sqlalchemy.inspect(connection).get_table_names()
    except sqlalchemy.exc.OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise GradingError(
            f"cannot reach the gradebook at {shown_url(db_url)}: {reason}; check the server "
            f"and the URL in {DB_URL_VARIABLE}"
        ) from None
    finally:
        engine.dispose()
    if "assignment" not in tables:
        raise GradingError(
            f"the database {shown_url(db_url)} holds no gradebook yet; register the "
            f"assignments once, from one machine, before grading: {register} with "
            f"{DB_URL_VARIABLE} set"
        )


def gradebook_assignments(coursedir):
    """Return the names of the assignments in the gradebook, sorted."""
    from nbgrader.api import Gradebook

    _check_gradebook(coursedir.db_url, "<assignment>")
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        return sorted(assignment.name for assignment in gradebook.assignments)


def assignment_notebooks(coursedir, assignment):
    """Return the names (without .ipynb) of the notebooks that the gradebook has for it."""
    from nbgrader.api import Gradebook, MissingEntry

    _check_gradebook(coursedir.db_url, assignment)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:
            known = sorted(a.name for a in gradebook.assignments)
            raise GradingError(
                f"assignment {assignment!r} is not in the gradebook (it has {known}); "
                f"run `nbgrader generate_assignment {assignment} --force` first (--force "
                "because exercises/ already holds it; the notebooks come out the same)"
            ) from None
        return sorted(notebook.name for notebook in found.notebooks)


# ---------------------------------------------------------------------------------------------
# Autograding a class


@dataclass
class StudentResult:
    """How autograding one student went."""

    student: str
    status: str
    """``graded``, ``skipped`` (graded before; --force regrades), ``failed`` or ``missing``."""
    seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    notes: list[str] = field(default_factory=list)
    log: Path | None = None
    assignment: str | None = None


SKIPPED_IMPORTS = ("rfc3987_syntax",)
"""Modules that grading's own processes never load: ``jsonschema`` (which nbformat and
nbgrader import) loads ``rfc3987_syntax`` for its "iri" format checkers, and that builds
about 35 Earley parsers as it is imported (1.2 s, python-jsonschema/jsonschema#1428). No
schema read while grading uses those formats; jsonschema leaves out a checker whose module
cannot be imported."""


def skip_unused_imports():
    """Keep :data:`SKIPPED_IMPORTS` out of this process (the ``mnist-course autograde``
    command and its workers, not a process that imports the package).

    Examples
    --------
    >>> import subprocess
    >>> code = ("from mnist_course.grading.autograde import skip_unused_imports; "
    ...     "skip_unused_imports(); import jsonschema, sys; print(sys.modules['rfc3987_syntax'])")
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    ['None']
    """
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)


def grading_environment(base=None):
    """Return the environment for nbgrader: this Python's tools first, the course importable.

    nbgrader runs ``alembic`` from PATH, and nbgrader's process, which runs the test cells,
    must import this package, keep TensorFlow off stderr and use
    :data:`mnist_course._quiet.ONE_THREAD`. (The student's process that grading starts gets
    an environment of its own: :func:`mnist_course.sandbox.student_process.child_environment`.)

    Examples
    --------
    >>> env = grading_environment({"PATH": "/usr/bin"})
    >>> env["PATH"].endswith(os.pathsep + "/usr/bin"), env["TF_CPP_MIN_LOG_LEVEL"]
    (True, '3')
    """
    env = dict(os.environ if base is None else base)
    tools = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(filter(None, [tools, env.get("PATH")]))
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    for name, value in {**QUIET_ENVIRONMENT, **ONE_THREAD}.items():
        env.setdefault(name, value)
    return env


class GradingPool:
    """``jobs`` worker processes, each one nbgrader that autogrades student after student.

    The workers are forked from one forkserver that imported nbgrader, the course's grading
    modules and, with ``keras``, Keras (:mod:`mnist_course.grading._forkserver`), so a run
    pays for those imports (about 2 and 3 s of CPU) once, not once per worker. Each worker
    loads the course's configuration, then grades each student it is given in a fork of
    itself (:class:`_ForkedGrader`) through nbgrader's Python API
    (``NbGraderAPI.autograde``, what ``nbgrader autograde --student`` runs), each notebook
    with a student's process of its own (the course's ``GradeOutside``). A process per
    student would pay for the imports every time. A fork starts as the worker was before any
    grading, so a student's grade does not depend on whom, or which exercise, the worker
    graded before (the checks' reference runs do depend on what their process ran).

    Call it as ``pool(assignment, student, force=..., then=...)`` -> ``(returncode, log)``;
    ``then`` is the assignment the worker will likely grade next (None: probably nothing),
    for which it forks ahead (see :func:`_grade_in_worker`). The workers start at once.
    """

    def __init__(self, root, *, jobs, timeout=None, keras=True):
        self._args = (str(Path(root).resolve()), timeout, grading_environment())
        self._jobs = jobs
        self._context = multiprocessing.get_context("forkserver")
        preload = [f"{__package__}._forkserver", *(["keras"] if keras else [])]
        self._context.set_forkserver_preload(preload)
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self):
        pool = concurrent.futures.ProcessPoolExecutor(
            self._jobs,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=self._args,
        )
        # each submission starts a worker while none is idle; the first of this process also
        # starts the forkserver, which takes this process's environment, so it is the
        # grading environment for as long as that takes
        with _environment(self._args[2]):
            for _ in range(self._jobs):
                pool.submit(int)
        return pool

    def __call__(self, assignment, student, *, force, then=None):
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(_grade_in_worker, assignment, student, force, then).result()
        except concurrent.futures.process.BrokenProcessPool as error:
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            return 1, f"[ERROR] the grading process ended ({error}); grade this student again"

    def close(self):
        self._pool.shutdown(cancel_futures=True)


@contextlib.contextmanager
def _environment(env):
    """This process's environment is ``env`` while the block runs, and as it was after."""
    kept = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(kept)


_API = None
"""The worker's nbgrader (``NbGraderAPI``), with the course's configuration."""

_AHEAD = None
"""The worker's grader forked ahead, waiting for the next student (a :class:`_ForkedGrader`)."""

_OPEN_FDS = set()
"""The worker's ends of the pipes to its forks, closed in each new fork."""

_IMPORTING = None
"""The worker's thread importing what its next forks need; it forks only once it has ended."""


def _start_worker(root, timeout, env):
    """Set up a grading worker: environment, folder, nbgrader with the course's config and
    the course's grading modules, for its forks to start with."""
    global _API
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    # the test cells run in this process's forks; the environment is the command's, whatever
    # the forkserver (started by an earlier pool of this process) was started with
    os.environ.clear()
    os.environ.update(env)
    os.chdir(root)
    quiet = os.open(os.devnull, os.O_WRONLY)  # nbgrader's log is captured per student
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    if timeout is not None:
        config.Execute.timeout = int(timeout)
    _API = NbGraderAPI(config=config)
    from ..sandbox import notebook_run  # noqa: F401
    from . import preprocessors  # noqa: F401


def _grade_in_worker(assignment, student, force, then=None):
    """Grade one student in the grader forked ahead (or a new fork) and, while it grades,
    fork the next one for ``then``, which starts its student's process at once.

    Keras usually comes imported from the forkserver. Where it does not (a pool whose first
    assignments did not use it started the forkserver), it is imported in the worker once an
    assignment to fork for uses it, in a thread started right after that fork (which imports
    it itself, while it waits), for the forks after it; the worker forks only once that
    thread has ended. Imported, not run
    (TensorFlow starts no thread and no runtime until it first computes), so each fork still
    starts as a fresh process that imported it would, without paying for it.
    """
    global _AHEAD, _IMPORTING
    from ..checks import uses_keras

    grader, _AHEAD = _AHEAD or _ForkedGrader(), None
    grader.send(assignment, student, force)
    if then is not None:
        preload = ("keras",) if uses_keras(then) else ()
        _AHEAD = _ForkedGrader(ahead=preload)
        _IMPORTING = threading.Thread(target=_import_all, args=(preload,))
        _IMPORTING.start()
    return grader.result()


def _import_all(names):
    for name in names:
        importlib.import_module(name)


class _ForkedGrader:
    """A fork of a grading worker that autogrades one student's assignment, then ends.

    Parameters
    ----------
    ahead : tuple of str, optional
        Start the student's process right away, importing these modules
        (:meth:`GradeOutside.start_student_process_ahead`), while it waits for its task;
        None starts it when the notebook is graded.
    """

    def __init__(self, ahead=None):
        if _IMPORTING is not None:
            _IMPORTING.join()  # no fork while a thread imports
        task_read, self._task = os.pipe()
        self._result, result_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the fork: it never returns
            for fd in [self._task, self._result, *_OPEN_FDS]:
                os.close(fd)
            _OPEN_FDS.clear()
            _serve_one(task_read, result_write, ahead)
        os.close(task_read)
        os.close(result_write)
        _OPEN_FDS.update((self._task, self._result))

    def send(self, assignment, student, force):
        """Give the fork its student; it starts grading."""
        _OPEN_FDS.discard(self._task)
        with os.fdopen(self._task, "w") as task:
            json.dump([assignment, student, force], task)

    def result(self):
        """Wait for the fork to end; return ``(returncode, log)`` of its autograde run."""
        _OPEN_FDS.discard(self._result)
        with os.fdopen(self._result) as result:
            text = result.read()
        _, status = os.waitpid(self.pid, 0)
        try:
            returncode, log = json.loads(text)
        except ValueError:
            how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "no result"
            return 1, f"[ERROR] the grading process ended ({how}); grade this student again"
        return returncode, log


def _serve_one(task_fd, result_fd, ahead):
    """In a fork: start the student's process ahead, wait for the task, grade, answer, end."""
    import traceback

    from ..sandbox.student_process import close_all
    from .preprocessors import GradeOutside

    try:
        if ahead is not None:
            with contextlib.suppress(Exception):  # else the notebook starts its own, and says why
                GradeOutside(config=_API.config).start_student_process_ahead(ahead)
            for name in ahead:  # what the checks will need, if the worker had not imported it
                importlib.import_module(name)
        with os.fdopen(task_fd) as task:
            text = task.read()
        if text:  # empty: the worker ended before giving a task
            assignment, student, force = json.loads(text)
            try:
                result = _API.autograde(assignment, student, force=force, create=True)
                log = result.get("log", "") + result.get("error", "")
                answer = (0 if result["success"] else 1), log
            except Exception:
                answer = 1, f"[ERROR] grading failed:\n{traceback.format_exc()}"
            with os.fdopen(result_fd, "w") as out:
                json.dump(answer, out)
    finally:
        close_all()
        os._exit(0)


def read_outcome(student, returncode, output):
    """Turn an nbgrader autograde run's exit status and log into a :class:`StudentResult`.

    Examples
    --------
    >>> read_outcome("bob", 0, "[AutogradeApp | WARNING] Skipping existing assignment").status
    'skipped'
    >>> read_outcome("eve", 1, "[AutogradeApp | ERROR] No notebooks found, ...").notes
    ['No notebooks found, ...']
    >>> read_outcome("ann", 0, "[INFO] The student's code runs contained by rlimits only "
    ...     "(bubblewrap not found)").notes
    ["the student's code ran with rlimits only (bubblewrap not found), not in a sandbox"]
    """
    if returncode == 0:
        status = "skipped" if "Skipping existing assignment" in output else "graded"
        result = StudentResult(student, status)
    else:
        errors = re.findall(r"\[(?:AutogradeApp \| )?ERROR\] (.*)", output)
        generic = ("There was an error processing", "Please see", "Traceback")
        reasons = [line for line in errors if not line.startswith(generic)]
        if not reasons:
            tail = [line for line in output.strip().splitlines() if line.strip()][-1:]
            reasons = tail or [f"nbgrader exited with status {returncode}"]
        return StudentResult(student, "failed", notes=reasons[-3:])
    missing_cells = re.findall(r"Missing grade cell (\S+) encountered", output)
    if missing_cells:
        result.notes.append(f"test cells put back: {', '.join(missing_cells)}")
    timeouts = output.count(TIMEOUT_MESSAGE)
    if timeouts:
        result.notes.append(f"{timeouts} cell(s) ran past the timeout and were stopped")
    containment = re.search(r"The student's code runs contained by rlimits only \((.*)\)", output)
    if containment:
        result.notes.append(
            f"the student's code ran with rlimits only ({containment.group(1)}), not in a sandbox"
        )
    restarts = output.count(RESTART_MESSAGE)
    if restarts:
        result.notes.append(f"the student's process died {restarts} time(s) and was restarted")
    return result


def autograde_student(assignment, student, *, coursedir, expected, grader, force=False, log_dir):
    """Autograde one student with ``grader``; return a :class:`StudentResult`.

    A run that fails with a :data:`TRANSIENT_ERRORS` message (a busy gradebook) is repeated
    up to :data:`RETRIES` times. A student whose earlier grading was cut off
    (:func:`stopped_half_way`) is graded again as with ``force``.
    """
    from .screen import notebook_problems, tampering

    folder = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    missing = notebook_problems(folder, expected)
    problems = list(missing)
    for name in expected:
        cells = tampering(Path(folder) / f"{name}.ipynb")
        if cells:
            problems.append(
                f"{name}.ipynb: answer code reaches the checks or the import system "
                f"({'; '.join(cells)}): look at it by hand"
            )
    resumed = not force and stopped_half_way(coursedir, assignment, student)
    if resumed:
        problems.append("an earlier run stopped while grading this student: graded again")
    start = time.perf_counter()
    for attempt in range(RETRIES + 1):
        returncode, output = grader(assignment, student, force=force or resumed or attempt > 0)
        if returncode == 0 or not any(error in output for error in TRANSIENT_ERRORS):
            break
    result = read_outcome(student, returncode, output)
    result.seconds = time.perf_counter() - start
    result.assignment = assignment
    if attempt:
        result.notes.append(f"run {attempt + 1} times (the gradebook was busy)")
    result.notes[:0] = problems
    if len(missing) == len(expected) and result.status == "failed":
        result.status = "missing"
    log_dir.mkdir(parents=True, exist_ok=True)
    result.log = log_dir / f"{student}.log"
    result.log.write_text(f"autograde {assignment} --student {student}\n{output}")
    return result


def read_scores(coursedir, assignment, results):
    """Fill in the score and maximum score of each graded or skipped student from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for result in results:
            if result.status not in ("graded", "skipped"):
                continue
            try:
                submission = gradebook.find_submission(assignment, result.student)
            except MissingEntry:
                continue
            result.score, result.max_score = submission.score, submission.max_score


def autograde_class(
    assignment,
    *,
    root=".",
    students=None,
    jobs=None,
    force=False,
    timeout=None,
    shard=None,
    grader=None,
    on_result=None,
):
    """Autograde every submission of an assignment, ``jobs`` students at a time.

    ``jobs`` worker processes (a :class:`GradingPool`) each run nbgrader's autograde for one
    student after another; they share the gradebook that nbgrader_config.py names. With
    ``shard``, this machine grades only its share of the class (:func:`shard_students`).

    Parameters
    ----------
    assignment : str
        The assignment's name, e.g. ``"ex01_data"``.
    root : path-like, default "."
        The course's root folder (with nbgrader_config.py).
    students : list of str, optional
        Whom to grade; default every student with a submitted folder for the assignment.
    jobs : int, optional
        How many students to grade at once; default the number of CPUs.
    force : bool, default False
        Grade again students that were graded before (nbgrader's ``--force``).
    timeout : float, optional
        Seconds a cell may run (``Execute.timeout``); default nbgrader_config.py's value.
    shard : tuple of int, optional
        ``(K, N)``: grade only the K-th of N shards of ``students`` (K from 1).
    grader : callable, optional
        ``grader(assignment, student, force=...) -> (returncode, log)``; default a
        :class:`GradingPool` of ``jobs`` workers.
    on_result : callable, optional
        Called with each :class:`StudentResult` as soon as that student is done, one call
        at a time (a report printed from it keeps its lines whole).

    Returns
    -------
    list of StudentResult
        One per student, in the order of ``students`` (sorted ids by default, and with
        ``shard``); empty for a shard without students.
    """
    return autograde_course(
        [assignment],
        root=root,
        students=students,
        jobs=jobs,
        force=force,
        timeout=timeout,
        shard=shard,
        grader=grader,
        on_result=on_result,
    )[assignment]


def autograde_course(
    assignments,
    *,
    root=".",
    students=None,
    jobs=None,
    force=False,
    timeout=None,
    shard=None,
    grader=None,
    on_result=None,
):
    """Autograde several assignments with one pool of workers.

    As :func:`autograde_class` for each assignment, but the workers (and what they loaded:
    nbgrader, Keras) serve them all: the tasks, every student of the first assignment, then
    of the next, ..., go to the workers in that order, ``jobs`` at a time, so one student's
    exercises are graded at once too. Every assignment is checked before any is graded (it is
    in the gradebook and has submissions).

    Parameters
    ----------
    assignments : list of str, optional
        The assignments' names, e.g. ``["ex01_data", "ex02_model"]``; default every
        assignment of the gradebook that has submissions, by name.
    root, students, jobs, force, timeout, shard, grader, on_result
        As for :func:`autograde_class`.

    Returns
    -------
    dict
        ``{assignment: [StudentResult, ...]}``, in the order of ``assignments``.
    """
    jobs = max(1, jobs or os.cpu_count() or 1)
    pool = None
    if grader is None:  # its workers start (importing nbgrader) while this process looks up
        from ..checks import uses_keras

        keras = assignments is None or any(uses_keras(name) for name in assignments)
        grader = pool = GradingPool(config_folder(root), jobs=jobs, timeout=timeout, keras=keras)
    try:
        coursedir = course_directory(root)
        return _autograde_course(
            coursedir, assignments, students, jobs, force, shard, grader, on_result
        )
    finally:
        if pool is not None:
            pool.close()


def _autograde_course(coursedir, assignments, students, jobs, force, shard, grader, on_result):
    if assignments is None:
        assignments = [
            name for name in gradebook_assignments(coursedir) if submitted_students(coursedir, name)
        ]
        if not assignments:
            folder = coursedir.format_path(coursedir.submitted_directory, "<student>", "<name>")
            raise GradingError(
                f"no submissions of any assignment found; expected folders like {folder}"
            )
    classes = {}
    for assignment in assignments:
        expected = assignment_notebooks(coursedir, assignment)
        whom = students
        if whom is None:
            whom = submitted_students(coursedir, assignment)
            if not whom:
                folder = coursedir.format_path(
                    coursedir.submitted_directory, "<student>", assignment
                )
                raise GradingError(
                    f"no submissions of {assignment!r} found; expected folders like {folder} "
                    "(nbgrader collect or zip_collect puts them there)"
                )
        if shard is not None:
            whom = shard_students(whom, *shard)
        classes[assignment] = (expected, whom)
    # every student of every assignment, in this order, ``jobs`` at a time: a worker that
    # is done takes the next task, of whichever assignment; it forks ahead for the one it
    # will likely take after that
    tasks = [(assignment, student) for assignment, (_, whom) in classes.items() for student in whom]

    def then(index):
        return tasks[index + jobs][0] if index + jobs < len(tasks) else None

    reporting = threading.Lock()

    def grade(index):
        assignment, student = tasks[index]
        expected = classes[assignment][0]
        log_dir = Path(coursedir.root) / Path(coursedir.autograded_directory).parent
        bound = grader
        if isinstance(grader, GradingPool):
            bound = functools.partial(grader, then=then(index))
        result = autograde_student(
            assignment,
            student,
            coursedir=coursedir,
            expected=expected,
            grader=bound,
            force=force,
            log_dir=log_dir / "logs" / assignment,
        )
        read_scores(coursedir, assignment, [result])
        if on_result is not None:
            with reporting:
                on_result(result)
        return result

    results = {assignment: [] for assignment in classes}
    if tasks:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(tasks))) as threads:
            for result in threads.map(grade, range(len(tasks))):
                results[result.assignment].append(result)
    return results
