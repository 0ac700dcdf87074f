"""The grading workers: processes that each run nbgrader for one student, then end.

:class:`GradingPool` is what :func:`mnist_course.grading.autograde.autograde_course` hands
each student to: a :class:`concurrent.futures.ProcessPoolExecutor` whose workers are forked
from one forkserver that imported nbgrader and Keras once
(:mod:`mnist_course.grading._forkserver`), a fresh worker for each student
(``max_tasks_per_child=1``). A worker's state is one :class:`_Worker`, made by the
executor's initializer in the worker, which is also the one place that sets a worker's
environment (:func:`grading_environment`, computed by the pool). This module also says what
grading's own processes never import (:func:`skip_unused_imports`).

Why this design: it replaced (issue 21, 7 December 2026) one in which each worker forked a
grader per student by hand (``os.fork``), the next one forked ahead while a student was
graded so that its student's process started early, with four module globals. Both were
measured back to back in one run on one course (commit 4370cae, ``bench_grading.py
--compare-pools 2 --rounds 3 --students 0``): one student over all nine exercises,
``mnist-course autograde --jobs 2``, the two pools in turn, on the shared 2-core machine
(load average 0.94 at the start, 2.2 to 2.7 during the runs). Wall seconds per student,
the hand-made forks then this pool: 106.5 / 103.0, 94.6 / 100.1, 93.8 / 79.3; means 98.3
and 94.1 s, ratio **0.958** (CPU 0.951), within the 10% the issue allowed, so the plainer
design stays. The student's process it starts first (:meth:`_Worker.grade`) overlaps
nbgrader's set-up of the notebook only, not the student before.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import multiprocessing
import os
import sys
import threading
from pathlib import Path

from .._quiet import ONE_THREAD, QUIET_ENVIRONMENT

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
    """``jobs`` worker processes that run nbgrader, a fresh process for each student.

    A :class:`concurrent.futures.ProcessPoolExecutor` with ``max_tasks_per_child=1`` on a
    forkserver that imported nbgrader, the course's grading modules and, with ``keras``,
    Keras (:mod:`mnist_course.grading._forkserver`): a run pays for those imports (about 2
    and 3 s of CPU) once, not once per worker. Each worker grades one student's assignment
    and ends; the executor forks the next one from the forkserver. A fork of a process that
    imported and never computed is as fresh as a new process that imported them, so a
    student's grade does not depend on whom, or which exercise, was graded before (the
    checks' reference runs do depend on what their process ran).

    A worker sets itself up in :class:`_Worker` (environment, folder, nbgrader with the
    course's configuration), then grades through nbgrader's Python API
    (``NbGraderAPI.autograde``, what ``nbgrader autograde --student`` runs), each notebook
    with a student's process of its own (the course's ``GradeOutside``).

    Call it as ``pool(assignment, student, force=...)`` -> ``(returncode, log)``. A worker
    that dies breaks the executor: the students it was grading get an error that says to
    grade them again, and the next call gets a new executor.
    """

    def __init__(self, root, *, jobs, timeout=None, keras=True):
        self._jobs = jobs
        self._setup = (str(Path(root).resolve()), timeout, grading_environment())
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(
            [f"{__package__}._forkserver", *(["keras"] if keras else [])]
        )
        self._lock = threading.Lock()
        self._executor = self._new_executor()

    def _new_executor(self):
        return concurrent.futures.ProcessPoolExecutor(
            self._jobs,
            mp_context=self._context,
            initializer=_Worker.start,
            initargs=self._setup,
            max_tasks_per_child=1,
        )

    def __call__(self, assignment, student, *, force):
        with self._lock:
            executor = self._executor
        try:
            return executor.submit(_Worker.grade, assignment, student, force).result()
        except concurrent.futures.process.BrokenProcessPool as error:
            with self._lock:
                if self._executor is executor:
                    self._executor = self._new_executor()
            return 1, f"[ERROR] the grading process ended ({error}); grade this student again"

    def close(self):
        self._executor.shutdown(cancel_futures=True)


class _Worker:
    """A worker process of :class:`GradingPool`: nbgrader with the course's configuration.

    :meth:`start` (the executor's initializer) makes the one instance of its process, the
    only state a worker keeps; :meth:`grade` is the task the pool sends it.
    """

    current = None
    """This worker's instance (set in the worker process only, by :meth:`start`)."""

    def __init__(self, root, timeout, env):
        from multiprocessing.util import Finalize

        from nbgrader.apps import NbGraderAPI
        from traitlets.config.loader import PyFileConfigLoader

        from ..sandbox.student_process import close_all

        # the one place a worker's environment is set: the command's grading environment,
        # whatever the forkserver (started by an earlier pool of this process) had
        os.environ.clear()
        os.environ.update(env)
        os.chdir(root)
        quiet = os.open(os.devnull, os.O_WRONLY)  # nbgrader's log is captured per student
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
        if timeout is not None:
            config.Execute.timeout = int(timeout)
        self.api = NbGraderAPI(config=config)
        # a worker ends with os._exit, which runs no atexit hook: stop its students' processes
        Finalize(None, close_all, exitpriority=0)

    @classmethod
    def start(cls, root, timeout, env):
        cls.current = cls(root, timeout, env)

    @classmethod
    def grade(cls, assignment, student, force):
        """Autograde one student's assignment in this worker; ``(returncode, log)``."""
        import traceback

        from ..checks import uses_keras
        from .preprocessors import GradeOutside

        api = cls.current.api
        # the student's process starts (and imports Keras) while nbgrader sets up the notebook
        preload = ("keras",) if uses_keras(assignment) else ()
        with contextlib.suppress(Exception):  # else the notebook starts its own, and says why
            GradeOutside(config=api.config).start_student_process_ahead(preload)
        try:
            result = api.autograde(assignment, student, force=force, create=True)
        except Exception:
            return 1, f"[ERROR] grading failed:\n{traceback.format_exc()}"
        return (0 if result["success"] else 1), result.get("log", "") + result.get("error", "")
