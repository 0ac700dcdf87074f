"""What nbgrader runs inside its own process: the course's two preprocessors.

nbgrader_config.py names them, and nbgrader loads and runs them while it grades a notebook
or writes its feedback (in ``nbgrader autograde``, or in a worker of
:class:`mnist_course.grading.autograde.GradingPool`):

- :class:`RestartingExecute`, nbgrader's ``Execute`` that restarts a kernel which a timed-out
  cell keeps busy (a loop that catches ``KeyboardInterrupt``), so that the hang costs only the
  points of the cells that hang, and skips the course's demonstration cells that the student
  left as released (they call the student's functions to show them, and decide no points);
- :class:`ClearHiddenTestsAndTracebacks`, nbgrader's ``ClearHiddenTests`` that also shortens
  the traceback of a test cell with hidden tests, which would otherwise print them in the
  feedback.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import Bool, Float, Unicode

from ..checks._reference import CACHE_VARIABLE
from ..notebook import ANSWER, OWN, SETUP, cell_kind

RESTART_MESSAGE = "restarting it and re-running"
"""Part of the log line :class:`RestartingExecute` writes when it restarts a kernel."""

REPLAYED = (SETUP, ANSWER, OWN)
"""The kinds of cells re-run after a restart: every code cell but the test cells."""


def demonstration_sources(notebook):
    """The sources of a released notebook's demonstration cells: its unlocked code cells
    without nbgrader metadata (``print(x.shape)``, a short training run to look at), which
    call the student's functions to show what they do and decide no points.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell("print(normalize(x).max())")])
    >>> demonstration_sources(nb)
    frozenset({'print(normalize(x).max())'})
    """
    return frozenset(
        cell.source for cell in notebook.cells if cell_kind(cell) == OWN and cell.source.strip()
    )


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

    A demonstration cell (see :func:`demonstration_sources`) that the student left exactly as
    released is not run: it shows the student's functions at work (ex05's runs five seeds of
    both activations, about half a minute) and no test cell reads what it computes; test
    cells call the student's functions with the checks' own inputs. A cell the student wrote
    or changed runs as always. ``skip_unchanged_demonstrations = False`` runs every cell.
    """

    interrupt_grace = Float(
        3.0, help="Seconds a kernel has to answer after a timed-out cell is interrupted."
    ).tag(config=True)

    skip_unchanged_demonstrations = Bool(
        True,
        help="Skip the released notebook's demonstration cells that the student left unchanged.",
    ).tag(config=True)

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self._replay_sources = []
        self._kernel_hung = False

    reference_cache = Unicode(
        "grading/references",
        help="Folder, relative to the course's root, where the grading kernels keep the "
        "course's reference runs (mnist_course.checks._reference.stored); empty for none. "
        "The environment variable MNIST_COURSE_REFERENCE_CACHE, where set, wins.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        from nbgrader.coursedir import CourseDirectory

        self._skipped_sources = frozenset()
        self._kernel_environment = None
        if resources and "nbgrader" in resources:
            coursedir = CourseDirectory(config=self.config)
            if self.skip_unchanged_demonstrations:
                released = released_notebook(coursedir, resources)
                if released is not None:
                    self._skipped_sources = demonstration_sources(released)
            if self.reference_cache and CACHE_VARIABLE not in os.environ:
                folder = str(Path(coursedir.root) / self.reference_cache)
                self._kernel_environment = {**os.environ, CACHE_VARIABLE: folder}
        return super().preprocess(nb, resources, km=km)

    async def async_start_new_kernel(self, **kwargs):
        if getattr(self, "_kernel_environment", None) is not None:
            kwargs.setdefault("env", self._kernel_environment)
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

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
        if cell_kind(cell) == OWN and cell.source in getattr(self, "_skipped_sources", ()):
            return cell
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
        elif cell_kind(cell) in REPLAYED and cell.source.strip():
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
