"""What nbgrader runs inside its own process: the course's two preprocessors.

nbgrader_config.py names them, and nbgrader loads and runs them while it grades a notebook
or writes its feedback (in ``nbgrader autograde``, or in a worker of
:class:`mnist_course.grading.pool.GradingPool`):

- :class:`GradeOutside`, in place of nbgrader's ``Execute``: the student's cells run in a
  contained child process, the test cells here, so the points are decided by code that runs
  in no process that ran the student's code, and no test (hidden or visible) enters one;
- :class:`ClearHiddenTestsAndTracebacks`, nbgrader's ``ClearHiddenTests`` that also shortens
  the traceback of a test cell with hidden tests, which would otherwise print them in the
  feedback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import Bool, Float, Unicode

from .._quiet import ONE_THREAD, use_small_pages
from ..checks._reference import CACHE_VARIABLE
from ..notebook import TEST, cells_to_run, demonstration_digests
from ..sandbox.student_process import GiB

TIMEOUT_MESSAGE = "ran past the time limit and was stopped"
"""Part of the log line :class:`GradeOutside` writes for a cell or call that timed out; the
class's report counts them (:func:`mnist_course.grading.autograde.read_outcome`)."""

RESTART_MESSAGE = "the student's process was started again"
"""Part of the log line :class:`GradeOutside` writes when the student's process had died."""


def released_notebook(coursedir, resources):
    """The released notebook that a submission was made from, or None where there is none.

    It is ``<root>/<release_directory>/<assignment>/<notebook>.ipynb`` of the course that
    nbgrader is grading (``exercises/`` here).
    """
    names = resources.get("nbgrader", {})
    if not {"assignment", "notebook"} <= set(names):
        return None
    path = (
        Path(coursedir.root)
        / coursedir.release_directory
        / names["assignment"]
        / f"{names['notebook']}.ipynb"
    )
    return nbformat.read(path, as_version=4) if path.is_file() else None


class GradeOutside(Execute):
    """Grade a notebook without a kernel: the student's cells run in a contained child
    process, the test cells in nbgrader's process (:class:`mnist_course.sandbox.NotebookRun`).

    Code cells run in order. Setup, answer and own cells run in the student's process (under
    bubblewrap where it works, rlimits always); each test cell runs here, as the gradebook
    holds it (hidden tests included), with the student's functions called in that process and
    their results read back as data. So nothing the student's code does in its own process
    (an IPython hook, a patched numpy, a replaced check) changes how a check judges, and no
    test source, hidden or visible, ever reaches the student's process. A cell in the
    notebook that claims to be a test cell but is not one of the gradebook's is not run.

    Each test cell gets its outputs: what the check printed and, when it failed, an error
    (``CheckFailed: ...``), which nbgrader scores as 0. A student's cell that raised gets its
    error too, so the feedback says which cell did not run. A cell or a call that runs past
    ``Execute.timeout`` is stopped (the student's process is killed and the next call starts
    it again, re-running the cells so far); it costs the checks that needed it.

    A demonstration cell (see :func:`mnist_course.notebook.demonstration_digests`) that the
    student left exactly as
    released is not run: it shows the student's functions at work and no test cell reads what
    it computes. ``skip_unchanged_demonstrations = False`` runs every cell.
    """

    skip_unchanged_demonstrations = Bool(
        True,
        help="Skip the released notebook's demonstration cells that the student left unchanged.",
    ).tag(config=True)

    reference_cache = Unicode(
        "grading/references",
        help="Folder, relative to the course's root, where the checks keep the course's "
        "reference runs (mnist_course.checks._reference.stored); empty for none. The "
        "environment variable MNIST_COURSE_REFERENCE_CACHE, where set, wins.",
    ).tag(config=True)

    sandbox = Unicode(
        "auto",
        help="How the student's process is contained: 'auto' (bubblewrap where it works, "
        "else rlimits only, said in the log), 'bubblewrap' (required) or 'rlimits'.",
    ).tag(config=True)

    memory_gib = Float(4.0, help="GiB of address space the student's process may use.").tag(
        config=True
    )

    def notebook_run(self, preload=()):
        """The :class:`~mnist_course.sandbox.NotebookRun` that grades a notebook, not started."""
        from ..sandbox.notebook_run import NotebookRun

        return NotebookRun(
            timeout=self.timeout or 120,
            sandbox=self.sandbox,
            memory=int(self.memory_gib * GiB),
            preload=preload,
        )

    def start_student_process_ahead(self, preload=("keras",)):
        """Start the student's process of the next notebook this process grades, now (see
        :meth:`mnist_course.sandbox.StudentProcess.start_ahead`): a grading worker calls it
        while it waits for its next student, so that the process has started and imported
        ``preload`` by the time the notebook's cells are sent."""
        self.notebook_run(preload).process.start_ahead()

    def preprocess(self, nb, resources=None, km=None):
        from nbgrader.coursedir import CourseDirectory

        resources = resources if resources is not None else {}
        # The checks' reference runs train here, the student's runs in the child, which always
        # has one TensorFlow thread: the same here (before TensorFlow starts in this process),
        # or a run compared with the course's would differ in its last digits. Set while the
        # notebook is graded, then put back as it was.
        environment = dict(ONE_THREAD)
        # numpy imported already (nbgrader's process, or a grading worker's forkserver), so
        # switched here: the checks' copies of the training set wait no seconds in the kernel
        use_small_pages()
        skipped = frozenset()
        coursedir = CourseDirectory(config=self.config)
        if "nbgrader" in resources:
            if self.skip_unchanged_demonstrations:
                released = released_notebook(coursedir, resources)
                if released is not None:
                    skipped = frozenset(demonstration_digests(released))
            if self.reference_cache and CACHE_VARIABLE not in os.environ:
                environment[CACHE_VARIABLE] = str(Path(coursedir.root) / self.reference_cache)
        with _environment(environment):
            self._grade(nb, resources, skipped)
        return nb, resources

    def _grade(self, nb, resources, skipped):
        tests = self._gradebook_tests(resources)
        keras_import = self._import_keras_early(resources)
        preload = ("keras",) if self._checks_use_keras(resources) else ()
        with self.notebook_run(preload) as run:
            forked = ", forked from the worker's zygote" if run.process.forked else ""
            self.log.info("The student's code runs contained by %s%s", run.containment, forked)
            for cell in nb.cells:  # a cell that does not run shows no outputs
                if cell.cell_type == "code":
                    cell.outputs = []
            run_cells = []
            for item in cells_to_run(nb, skipped):
                if item.kind == TEST:
                    item = replace(item, source=self._test_source(item.cell, tests))
                if item.source is not None:
                    run_cells.append(item)
            for item, result in run.run(run_cells):
                self._record(item, result)
        if keras_import is not None:
            keras_import.join()

    def _checks_use_keras(self, resources):
        from ..checks import uses_keras

        assignment = resources.get("nbgrader", {}).get("assignment")
        return bool(assignment) and uses_keras(assignment)

    def _import_keras_early(self, resources):
        """Start importing Keras in a thread when this exercise's checks will need it, so
        that it loads while the student's cells run (about 3 s of a grading process's start);
        the student's process is told to do the same (``NotebookRun(preload=...)``)."""
        if "keras" in sys.modules or not self._checks_use_keras(resources):
            return None
        thread = threading.Thread(target=importlib.import_module, args=("keras",), daemon=True)
        thread.start()
        return thread

    def _gradebook_tests(self, resources):
        """``{grade_id: source}`` of the gradebook's test cells, or None outside nbgrader."""
        names = resources.get("nbgrader", {})
        if not {"db_url", "notebook", "assignment"} <= set(names):
            return None
        from nbgrader.api import Gradebook

        with Gradebook(names["db_url"]) as gradebook:
            source = gradebook.find_notebook(names["notebook"], names["assignment"])
            graded = {cell.name for cell in source.grade_cells}
            solutions = {cell.name for cell in source.solution_cells}
            return {
                cell.name: cell.source
                for cell in source.source_cells
                if cell.name in graded and cell.name not in solutions
            }

    def _test_source(self, cell, tests):
        """The source to run for a test cell: the gradebook's, or None (and an error output)
        for a cell that only claims to be a test cell."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if tests is None:
            return cell.source
        if grade_id in tests:
            return tests[grade_id]
        self.log.error("Cell %r is not a test cell of this exercise: not run", grade_id)
        cell.outputs = [_error("NotATestCell", "this cell is not one of the exercise's tests")]
        return None

    def _record(self, item, result):
        """Give a cell its outputs, and say in the log how a test cell went."""
        name = item.cell.metadata.get("nbgrader", {}).get("grade_id", "(own)")
        if item.kind == TEST:
            self.log.info(
                "Test cell %s: %s",
                name,
                "passed" if result.passed else f"failed ({result.error[0]})",
            )
        self._log_stop(name, result)
        item.cell.outputs = _outputs(result)

    def _log_stop(self, name, result):
        """Say in the log when the student's code ran past its time or its process died."""
        if result.error is None:
            return
        kind, message = result.error
        if kind in ("CallTimedOut", "TimeoutError"):
            self.log.error("Cell %s %s: %s", name, TIMEOUT_MESSAGE, message)
        elif kind == "ProcessDied":
            self.log.error("Cell %s: %s; %s", name, message, RESTART_MESSAGE)


@contextlib.contextmanager
def _environment(variables):
    """Set environment variables of this process while the block runs, then put them back."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _error(name, message):
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def _outputs(result):
    outputs = []
    if result.output:
        outputs.append(new_output("stream", name="stdout", text=result.output))
    if result.error is not None:
        outputs.append(_error(*result.error))
    return outputs


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
