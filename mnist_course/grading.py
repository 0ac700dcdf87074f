"""Grading with nbgrader: autograde a class in parallel, and two preprocessors that make it fair.

nbgrader grades one student at a time. :func:`autograde_class` grades ``jobs`` students at
once, in ``jobs`` worker processes that each run nbgrader's autograde for one student after
another, over the course's one gradebook, and reports each student: graded (with the score),
skipped (already graded), failed (with nbgrader's reason) or missing notebooks. It never
writes into the submitted folder.

nbgrader_config.py names the two preprocessors:

- :class:`RestartingExecute`, nbgrader's ``Execute`` that restarts a kernel which a timed-out
  cell keeps busy (a loop that catches ``KeyboardInterrupt``), so that the hang costs only the
  points of the cells that hang;
- :class:`ClearHiddenTestsAndTracebacks`, nbgrader's ``ClearHiddenTests`` that also shortens
  the traceback of a test cell with hidden tests, which would otherwise print them in the
  feedback.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import difflib
import glob
import multiprocessing
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import Float

from ._quiet import QUIET_ENVIRONMENT

TRANSIENT_ERRORS = ("database is locked", "Address already in use")
"""Failures of an nbgrader run that say nothing about the submission: the run is repeated."""

RETRIES = 2
"""How many times a run that failed with a :data:`TRANSIENT_ERRORS` message is repeated."""

ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
"""One TensorFlow thread per grading kernel: ``jobs`` kernels share the cores without
crowding each other, and a grade does not depend on how many cores the machine has."""

RESTART_MESSAGE = "restarting it and re-running"
"""Part of the log line :class:`RestartingExecute` writes when it restarts a kernel."""


class GradingError(Exception):
    """The course or the assignment cannot be graded as asked; the message says why."""


# ---------------------------------------------------------------------------------------------
# nbgrader preprocessors


class RestartingExecute(Execute):
    """nbgrader's ``Execute`` for which a hanging cell, or one that kills the kernel, costs
    only its own points.

    When a cell runs past ``Execute.timeout``, nbgrader interrupts the kernel and goes on. A
    loop that catches ``KeyboardInterrupt`` (or ``BaseException``) ignores the interrupt, so
    the kernel stays busy and every later cell times out too. This preprocessor checks whether
    the kernel answers within ``interrupt_grace`` seconds of the interrupt; if not, it
    restarts the kernel and re-runs, silently, the cells that had finished, except test cells,
    so that the notebook goes on from the state it had before the hanging cell. The hanging
    cell scores 0 as before. A cell that kills the kernel (``os._exit``, a crash) gets an error
    output and the same restart, where nbgrader would stop grading the whole notebook.
    """

    interrupt_grace = Float(
        3.0, help="Seconds a kernel has to answer after a timed-out cell is interrupted."
    ).tag(config=True)

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self._replay_sources = []
        self._kernel_hung = False

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        if not await self._kernel_answers(self.interrupt_grace):
            self._kernel_hung = True
        return reply

    async def _kernel_answers(self, seconds):
        """Whether the kernel replies to a kernel_info request within ``seconds``."""
        msg_id = await ensure_async(self.kc.kernel_info())
        return await self._reply_arrives(msg_id, seconds)

    async def _reply_arrives(self, msg_id, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        try:
            cell = await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        except DeadKernelError:
            cell.outputs.append(
                new_output(
                    "error",
                    ename="DeadKernelError",
                    evalue="the kernel died while running this cell",
                    traceback=["DeadKernelError: the kernel died while running this cell"],
                )
            )
            await self._restart_and_replay(cell_index, "died")
            return cell
        if self._kernel_hung:
            self._kernel_hung = False
            await self._restart_and_replay(cell_index, "did not stop when interrupted")
        elif cell.cell_type == "code" and cell.source.strip() and not _is_test_cell(cell):
            self._replay_sources.append(cell.source)
        return cell

    execute_cell = run_sync(async_execute_cell)

    async def _restart_and_replay(self, cell_index, why):
        self.log.error(
            "The kernel %s (cell %d): %s the %d cells before it",
            why,
            cell_index,
            RESTART_MESSAGE,
            len(self._replay_sources),
        )
        await ensure_async(self.km.restart_kernel(now=True))
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        for source in self._replay_sources:
            msg_id = await ensure_async(
                self.kc.execute(source, silent=True, store_history=False, stop_on_error=False)
            )
            if not await self._reply_arrives(msg_id, self.timeout or 30):
                self.log.error("A cell hung again while re-running; restarting without it")
                await ensure_async(self.km.restart_kernel(now=True))
                await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
                return


def _is_test_cell(cell):
    nbgrader = cell.metadata.get("nbgrader", {})
    return bool(nbgrader.get("grade")) and not nbgrader.get("solution")


class ClearHiddenTestsAndTracebacks(ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests`` that also keeps hidden tests out of tracebacks.

    IPython prints the lines around a failing line, so a failing visible check shows the
    hidden tests below it. In a cell that had hidden tests, each traceback is cut to its last
    line, the error and its message (``CheckFailed: normalize(x) ... expected ...``).
    """

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = self.begin_test_delimeter in cell.get("source", "")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden and cell.cell_type == "code":
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# ---------------------------------------------------------------------------------------------
# The course's folders


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
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise GradingError(
            f"{root} has no nbgrader_config.py; expected the course's root folder "
            "(the one with solutions/ and exercises/): cd there or pass --root"
        )
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


def assignment_notebooks(coursedir, assignment):
    """Return the names (without .ipynb) of the notebooks that the gradebook has for it."""
    from nbgrader.api import Gradebook, MissingEntry

    database = coursedir.db_url.removeprefix("sqlite:///")
    if database != coursedir.db_url and not Path(database).is_file():
        raise GradingError(
            f"there is no gradebook at {database}; "
            f"run `nbgrader generate_assignment {assignment} --force` first"
        )
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


def notebook_problems(folder, expected):
    """Say which expected notebooks are missing from a submitted folder, and what is there.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "ex01_data (1).ipynb").write_text("{}")
    >>> notebook_problems(folder, ["ex01_data"])  # doctest: +NORMALIZE_WHITESPACE
    ['ex01_data.ipynb is missing (it scores 0); ex01_data (1).ipynb was submitted instead:
      if it is the same notebook renamed, rename it to ex01_data.ipynb and grade again
      with --force']
    """
    found = sorted(path.stem for path in Path(folder).glob("*.ipynb"))
    extra = [name for name in found if name not in expected]
    problems = []
    for name in expected:
        if name in found:
            continue
        problem = f"{name}.ipynb is missing (it scores 0)"
        guess = difflib.get_close_matches(name, extra, n=1, cutoff=0.5)
        if guess:
            problem += (
                f"; {guess[0]}.ipynb was submitted instead: if it is the same notebook "
                f"renamed, rename it to {name}.ipynb and grade again with --force"
            )
        problems.append(problem)
    return problems


TAMPERING = re.compile(
    r"\bimportlib\b|\bbuiltins\b|__import__|\bsys\.modules\b|\bmnist_course\.checks\b"
    r"|\b(?:np|numpy|keras|tf|tensorflow|mnist_course)(?:\.\w+)+\s*=(?!=)"
)
"""Code that has no place in an answer: it reaches the checks, the import system or a library."""


def tampering(path):
    """Return the answer cells of a notebook whose code reaches the checks or the import system.

    Each test cell loads the checks anew, so patching ``mnist_course.checks`` gains nothing;
    code that patches the import machinery itself can still fool checks that run in the
    student's kernel. Such code has no place in an answer and is worth a look by hand.

    Examples
    --------
    >>> import tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> path = Path(tempfile.mkdtemp()) / "ex01_data.ipynb"
    >>> cell = new_code_cell("importlib.reload = lambda module: module")
    >>> cell.metadata["nbgrader"] = {"grade_id": "normalize", "solution": True}
    >>> nbformat.write(new_notebook(cells=[cell]), path)
    >>> tampering(path)
    ['cell normalize: importlib']
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable notebook is nbgrader's to report
        return []
    found = []
    for index, cell in enumerate(nb.cells):
        nbgrader = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (nbgrader and not nbgrader.get("solution")):
            continue  # nbgrader restores test and read-only cells
        match = TAMPERING.search(cell.source)
        if match:
            found.append(f"cell {nbgrader.get('grade_id', index)}: {match.group(0).strip()}")
    return found


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


def grading_environment(base=None):
    """Return the environment for nbgrader: this Python's tools first, the course importable.

    nbgrader runs ``alembic`` from PATH, and the grading kernel must import this package,
    keep TensorFlow off stderr (nbgrader fails any test cell that writes to stderr) and use
    :data:`ONE_THREAD`.

    Examples
    --------
    >>> env = grading_environment({"PATH": "/usr/bin"})
    >>> env["PATH"].endswith(os.pathsep + "/usr/bin"), env["TF_CPP_MIN_LOG_LEVEL"]
    (True, '3')
    """
    env = dict(os.environ if base is None else base)
    tools = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(filter(None, [tools, env.get("PATH")]))
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    for name, value in {**QUIET_ENVIRONMENT, **ONE_THREAD}.items():
        env.setdefault(name, value)
    return env


class GradingPool:
    """``jobs`` worker processes, each one nbgrader that autogrades student after student.

    Each worker loads nbgrader and the course's configuration once, then grades the students
    it is given through nbgrader's Python API (``NbGraderAPI.autograde``, what ``nbgrader
    autograde --student`` runs), each notebook in a fresh kernel. Starting nbgrader costs
    about 3 s of CPU; a process per student would pay that every time. Call it as
    ``pool(assignment, student, force=...)`` -> ``(returncode, log)``.
    """

    def __init__(self, root, *, jobs, timeout=None):
        self._args = (str(Path(root).resolve()), timeout, grading_environment())
        self._jobs = jobs
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self):
        return concurrent.futures.ProcessPoolExecutor(
            self._jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=self._args,
        )

    def __call__(self, assignment, student, *, force):
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(_grade_in_worker, assignment, student, force).result()
        except concurrent.futures.process.BrokenProcessPool as error:
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            return 1, f"[ERROR] the grading process ended ({error}); grade this student again"

    def close(self):
        self._pool.shutdown()


_API = None


def _start_worker(root, timeout, env):
    """Set up a grading worker: environment, folder, nbgrader with the course's config."""
    global _API
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    os.environ.update(env)  # the grading kernels inherit it
    os.chdir(root)
    quiet = os.open(os.devnull, os.O_WRONLY)  # nbgrader's log is captured per student
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    if timeout is not None:
        config.Execute.timeout = int(timeout)
    _API = NbGraderAPI(config=config)


def _grade_in_worker(assignment, student, force):
    result = _API.autograde(assignment, student, force=force, create=True)
    return (0 if result["success"] else 1), result.get("log", "") + result.get("error", "")


def read_outcome(student, returncode, output):
    """Turn an nbgrader autograde run's exit status and log into a :class:`StudentResult`.

    Examples
    --------
    >>> read_outcome("bob", 0, "[AutogradeApp | WARNING] Skipping existing assignment").status
    'skipped'
    >>> read_outcome("eve", 1, "[AutogradeApp | ERROR] No notebooks found, ...").notes
    ['No notebooks found, ...']
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
    timeouts = output.count("Timeout waiting for execute reply")
    if timeouts:
        result.notes.append(f"{timeouts} cell(s) ran past the timeout and scored 0")
    restarts = output.count(RESTART_MESSAGE)
    if restarts:
        result.notes.append(f"kernel restarted {restarts} time(s) after a hang")
    return result


def autograde_student(assignment, student, *, coursedir, expected, grader, force=False, log_dir):
    """Autograde one student with ``grader``; return a :class:`StudentResult`.

    A run that fails with a :data:`TRANSIENT_ERRORS` message (a busy gradebook) is repeated
    up to :data:`RETRIES` times.
    """
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
    start = time.perf_counter()
    for attempt in range(RETRIES + 1):
        returncode, output = grader(assignment, student, force=force or attempt > 0)
        if returncode == 0 or not any(error in output for error in TRANSIENT_ERRORS):
            break
    result = read_outcome(student, returncode, output)
    result.seconds = time.perf_counter() - start
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
    grader=None,
    on_result=None,
):
    """Autograde every submission of an assignment, ``jobs`` students at a time.

    ``jobs`` worker processes (a :class:`GradingPool`) each run nbgrader's autograde for one
    student after another; they share the gradebook that nbgrader_config.py names.

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
    grader : callable, optional
        ``grader(assignment, student, force=...) -> (returncode, log)``; default a
        :class:`GradingPool` of ``jobs`` workers.
    on_result : callable, optional
        Called with each :class:`StudentResult` as soon as that student is done.

    Returns
    -------
    list of StudentResult
        One per student, in the order of ``students`` (sorted ids by default).
    """
    coursedir = course_directory(root)
    expected = assignment_notebooks(coursedir, assignment)
    if students is None:
        students = submitted_students(coursedir, assignment)
        if not students:
            folder = coursedir.format_path(coursedir.submitted_directory, "<student>", assignment)
            raise GradingError(
                f"no submissions of {assignment!r} found; expected folders like {folder} "
                "(nbgrader collect or zip_collect puts them there)"
            )
    jobs = max(1, jobs or os.cpu_count() or 1)
    log_dir = Path(coursedir.root) / Path(coursedir.autograded_directory).parent / "logs"
    log_dir = log_dir / assignment

    jobs = min(jobs, len(students))
    pool = None
    if grader is None:
        grader = pool = GradingPool(coursedir.root, jobs=jobs, timeout=timeout)

    def grade(student):
        result = autograde_student(
            assignment,
            student,
            coursedir=coursedir,
            expected=expected,
            grader=grader,
            force=force,
            log_dir=log_dir,
        )
        read_scores(coursedir, assignment, [result])
        if on_result is not None:
            on_result(result)
        return result

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as threads:
            results = list(threads.map(grade, students))
    finally:
        if pool is not None:
            pool.close()
    return results


def format_result(result):
    """One line of the report for a student.

    Examples
    --------
    >>> print(format_result(StudentResult("alice", "graded", 12.3, 4.0, 6.0)))
    alice: graded, 4 of 6 points (12.3 s)
    """
    line = f"{result.student}: {result.status}"
    if result.score is not None:
        line += f", {result.score:g} of {result.max_score:g} points"
    line += f" ({result.seconds:.1f} s)"
    for note in result.notes:
        line += f"\n    {note}"
    if result.status in ("failed", "missing") and result.log is not None:
        log = result.log
        if log.is_relative_to(Path.cwd()):
            log = log.relative_to(Path.cwd())
        line += f"\n    nbgrader's log: {log}"
    return line


def format_summary(results, seconds):
    """The report's last line: how many students in each state, and the wall time.

    Examples
    --------
    >>> print(format_summary([StudentResult("a", "graded"), StudentResult("b", "failed")], 9.5))
    2 students in 9.5 s: 1 graded, 1 failed
    """
    counts = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    states = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"{len(results)} students in {seconds:.1f} s: {states}"


def main(args):
    """Run ``mnist-course autograde`` with parsed arguments; return the exit status."""
    start = time.perf_counter()
    results = autograde_class(
        args.assignment,
        root=args.root,
        students=args.student or None,
        jobs=args.jobs,
        force=args.force,
        timeout=args.timeout,
        on_result=lambda result: print(format_result(result), flush=True),
    )
    print()
    for result in results:
        if result.score is not None:
            print(f"{result.student:>20}  {result.score:g} / {result.max_score:g}")
    print(format_summary(results, time.perf_counter() - start))
    return 1 if any(result.status == "failed" for result in results) else 0


__all__ = [
    "ClearHiddenTestsAndTracebacks",
    "GradingError",
    "RestartingExecute",
    "StudentResult",
    "autograde_class",
    "course_directory",
]
