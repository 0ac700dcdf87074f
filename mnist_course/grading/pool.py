"""The grading workers: a pool of processes that each run nbgrader for one student after another.

:class:`GradingPool` is what :func:`mnist_course.grading.autograde.autograde_course` hands
each student to. Its workers are forked from one forkserver that imported nbgrader and Keras
once (:mod:`mnist_course.grading._forkserver`), and each worker grades each student in a fork
of itself, started ahead while the worker grades the student before. This module sets the
environment grading runs in (:func:`grading_environment`) and what grading's own processes
never import (:func:`skip_unused_imports`). A worker's environment is set in one place,
:func:`_start_worker`; the module globals below exist in the workers only.

Why not the standard library's pool (issue 21, measured 7 December 2026): a
``ProcessPoolExecutor`` with ``max_tasks_per_child=1`` on the same forkserver, a fresh
worker per student that started its student's process just before nbgrader set up the
notebook (commit 8e44195), was as fast: one student over all nine exercises,
``mnist-course autograde --jobs 2``, the two pools in turn on one course
(``bench_grading.py --compare-pools 2 --rounds 3`` at commit 4370cae; load average 0.94 at
the start, 2.2 to 2.7 during the runs), 98.3 s a student here (106.5, 94.6, 93.8) against
94.1 s (103.0, 100.1, 79.3), ratio 0.958. But it did not give the same grades: of about
80 complete notebooks it graded, 3 lost points (ex06 in that run, its log lost with the
temporary course; ex07 and ex05 in a run of four students, both to ``TypeError:
TF_SetOpStackTrace(): incompatible function arguments`` in the student's process, at
``model.fit``); of about 45 that this pool graded in the same runs, none lost points (one
nbgrader run failed outright, ex01, its log lost too). The likely cause, not reproduced by
a small script alone: the student's process imports Keras in a thread (``preload``) while
the student's cells run, and a cell that uses TensorFlow before that import has ended can
meet it half done; started ahead, while the student before is graded, the process has
imported Keras by the time its cells come. So the fork ahead stays until the student's
process no longer races its own import (then measure again: ``bench_grading.py --baseline
DIR --alternate``). Since the same day it does not: the student's process ends its preload
before its first cell (:mod:`mnist_course.sandbox.child`). Measured again then, that pool
with the fix (8e44195 and the fix) against this one, ``bench_grading.py --baseline DIR
--alternate 2 --rounds 2`` (load average 2.1 at the start, 1.9 to 2.6 during the runs),
every student with full marks on both sides: 118.2 and 108.8 s a student there, 105.3 and
100.5 s here, 113.5 against 102.9 s: the standard library's pool took 10.3% more, beyond
the 10% the issue allowed, so this design stays.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import importlib
import json
import multiprocessing
import os
import sys
import threading
from pathlib import Path

from .._quiet import ONE_THREAD, QUIET_ENVIRONMENT, SMALL_PAGES

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
    >>> code = ("from mnist_course.grading.pool import skip_unused_imports; "
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
    :data:`mnist_course._quiet.ONE_THREAD` and :data:`~mnist_course._quiet.SMALL_PAGES`. (The
    student's process that grading starts gets an environment of its own:
    :func:`mnist_course.sandbox.student_process.child_environment`.)

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
    for name, value in {**QUIET_ENVIRONMENT, **ONE_THREAD, **SMALL_PAGES}.items():
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
    graded before (the checks' reference runs do depend on what their process ran). With
    ``keras``, each worker also starts a zygote
    (:func:`mnist_course.sandbox.student_process.use_zygote`), from which its forks fork
    their students' processes with Keras imported, instead of starting each afresh.

    Call it as ``pool(assignment, student, force=..., then=...)`` -> ``(returncode, log)``;
    ``then`` is the assignment the worker will likely grade next (None: probably nothing),
    for which it forks ahead (see :func:`_grade_in_worker`). The workers start at once.
    """

    def __init__(self, root, *, jobs, timeout=None, keras=True):
        self._args = (str(Path(root).resolve()), timeout, grading_environment(), keras)
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
        for _ in range(self._jobs):  # each submission starts a worker while none is idle
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


_API = None
"""The worker's nbgrader (``NbGraderAPI``), with the course's configuration."""

_AHEAD = None
"""The worker's grader forked ahead, waiting for the next student (a :class:`_ForkedGrader`)."""

_OPEN_FDS = set()
"""The worker's ends of the pipes to its forks, closed in each new fork."""

_IMPORTING = None
"""The worker's thread importing what its next forks need; it forks only once it has ended."""


def _start_worker(root, timeout, env, keras=True):
    """Set up a grading worker: environment, folder, nbgrader with the course's config and
    the course's grading modules, for its forks to start with; with ``keras``, the zygote
    that forks its students' processes with Keras imported
    (:func:`mnist_course.sandbox.student_process.use_zygote`)."""
    global _API
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    # the one place a worker's environment is set (the test cells run in its forks): the
    # command's grading environment, whatever the forkserver (started by an earlier pool of
    # this process) had
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

    if keras:
        from ..sandbox.student_process import use_zygote

        use_zygote(("keras",))


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
