"""Run a notebook as grading does: the student's cells in the student's process, the checks here.

:class:`NotebookRun` goes through a notebook's code cells in order. The setup, answer and
own cells run in a contained child (:class:`~mnist_course.sandbox.StudentProcess`), as they
would in a kernel; each test cell runs in this process, which has run none of the student's
code, with every name it uses from the notebook bound to a :class:`StudentFunction` that
calls the student's function in the child. Arguments and results cross as data, so whatever
the student's code patches in its own process (numpy, Keras, IPython, the checks) cannot
change how a check judges what it returns, and the test cell's source, hidden tests included,
never enters the student's process.

Both the grader (``mnist_course.grading.preprocessors.GradeOutside``, inside nbgrader) and
``pytest exercises`` (``mnist_course.selfcheck``) run notebooks through this class, so a
visible check decides the same in both.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import importlib
import io
from dataclasses import dataclass, field

import numpy as np

from .._cells import compile_cell, python_source
from .._errors import CheckFailed
from ..notebook import TEST
from . import watch as watches
from . import wire
from .student_process import GiB, StudentCodeError, StudentProcess, StudentRaised

MODULES = {"mnist_course": "mnist_course", "np": "numpy", "numpy": "numpy"}
"""What a test cell finds already imported, as the setup cells name them."""

OUTPUT_LIMIT = 20_000
"""Characters of a test cell's printed output kept."""


@dataclass
class CellResult:
    """What one cell did: what it printed and, if it failed, the error's name and message.

    A test cell that failed also keeps the exception itself in ``exception``, for a caller
    that words its own message (the self-check tells a :class:`CheckFailed` from the
    student's ``NotImplementedError`` or a call that timed out).
    """

    output: str = ""
    error: tuple[str, str] | None = None
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self):
        return self.error is None


@functools.cache
def _raised_type(type_name):
    """An exception type that is both :class:`StudentRaised` and the builtin of that name.

    A check that catches ``ValueError`` from the student's function (a numpy shape error
    turned into a hint) still catches it when the function ran in the child.
    """
    builtin = getattr(builtins, type_name, None)
    if not (
        isinstance(builtin, type)
        and issubclass(builtin, Exception)
        and not issubclass(builtin, StudentCodeError)
    ):
        return StudentRaised
    try:
        return type(type_name, (StudentRaised, builtin), {"__module__": "student"})
    except TypeError:  # a builtin whose layout cannot be mixed in (none of the usual ones)
        return StudentRaised


def _update_model(before, after):
    """Give the parent's model what the student's function did to its copy: compiled the same
    way, with the same weights (the optimizer's state is not copied)."""
    if getattr(after, "compiled", False):
        config = after.get_compile_config()
        if not getattr(before, "compiled", False) or before.get_compile_config() != config:
            before.compile_from_config(config)
    before.set_weights(after.get_weights())


def _apply(before, after):
    """Do to the grader's argument ``before`` what the student's function did to its copy,
    which came back as ``after``: an array's contents copied in (``np.copyto``), a list's
    items (slice assignment), a dict's (cleared and updated), a model's weights and
    compilation. An argument and what came back of different kinds are left alone."""
    model = wire.keras_classes()[0]
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if before.shape != after.shape and before.size == after.size:
            with contextlib.suppress(AttributeError, ValueError):  # a view that cannot be
                before.shape = after.shape  # reshaped in place keeps its shape
        if before.shape == after.shape:
            if not before.flags.writeable:  # as numpy says when the function writes to it
                raise ValueError("assignment destination is read-only (an argument of the call)")
            np.copyto(before, after, casting="unsafe")
    elif isinstance(before, list) and isinstance(after, list):
        before[:] = after
    elif isinstance(before, dict) and isinstance(after, dict):
        before.clear()
        before.update(after)
    elif model is not None and isinstance(before, model) and isinstance(after, model):
        _update_model(before, after)


class StudentFunction:
    """Stands for the student's function ``name``: calling it calls it in the child.

    What the function changes in its arguments comes back and is done to the caller's own
    (an array changed in place, a list appended to, a dict updated, a Keras model trained or
    compiled), so a check sees its arguments as it would had the function run here. The
    student's exception arrives as a :class:`StudentRaised` that is also the builtin exception
    of its name (``ValueError``).
    """

    def __init__(self, process, name):
        self._process = process
        self._watch = None
        self._record = None
        self.__name__ = self.__qualname__ = name

    @contextlib.contextmanager
    def watching(self, factory, *params):
        """While the block runs, each call runs inside the watch ``factory(function,
        *params)`` in the student's process (see :mod:`mnist_course.sandbox.watch`); yields
        the list that collects what the watch records, call after call."""
        self._watch = {"name": watches.name_of(factory), "params": list(params)}
        self._record = []
        try:
            yield self._record
        finally:
            self._watch = self._record = None

    def other(self, name):
        """The student's function ``name`` from the same notebook, or None if it has none."""
        if self._process.names.get(name) != "function":
            return None
        return StudentFunction(self._process, name)

    def __repr__(self):
        return f"<the student's function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        try:
            result, new_args, new_kwargs, record = self._process.exchange(
                self.__name__, args, kwargs, watch=self._watch
            )
        except StudentRaised as error:
            if error.type_name == "CheckFailed":  # a watch's failure (a seal) in the child
                raise CheckFailed(error.message) from None
            raise _raised_type(error.type_name)(
                self.__name__, error.type_name, error.message
            ) from None
        if self._record is not None and isinstance(record, list):
            self._record.extend(tuple(item) if isinstance(item, list) else item for item in record)
        for before, after in [
            *zip(args, new_args, strict=False),
            *((kwargs[key], new_kwargs.get(key)) for key in kwargs),
        ]:
            if after is None:
                continue
            try:
                _apply(before, after)
            except ValueError as error:  # the function wrote to an array it may not change
                raise _raised_type("ValueError")(self.__name__, "ValueError", str(error)) from None
        return result


def _names(tree):
    """The names a cell reads without assigning them first (roughly: any it reads)."""
    read, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else stored).add(node.id)
    return read - stored


class _Output(io.StringIO):
    def text(self):
        value = self.getvalue()
        if len(value) > OUTPUT_LIMIT:
            return value[:OUTPUT_LIMIT] + f"\n... ({len(value) - OUTPUT_LIMIT} more characters)"
        return value


class NotebookRun:
    """One notebook's run: the student's cells in a child, the test cells in this process.

    Parameters
    ----------
    timeout : float
        Seconds one cell of the student's, or one call of a student's function, may take.
    sandbox : {"auto", "bubblewrap", "rlimits"}
        Passed to :class:`StudentProcess`.
    memory : int
        Bytes of address space the student's process may use.
    preload : sequence of str
        What the student's process imports ahead while its cells run (``("keras",)``).

    Examples
    --------
    >>> with NotebookRun(timeout=30) as run:
    ...     run.student_cells(["def double(x):\\n    return 2 * x"])[0].passed
    ...     run.test_cell("assert double(21) == 42").passed
    ...     run.test_cell("assert double(1) == 3").error[0]
    True
    True
    'AssertionError'
    """

    def __init__(self, *, timeout=120.0, sandbox="auto", memory=4 * GiB, preload=()):
        self.process = StudentProcess(
            [],
            timeout=timeout,
            cell_timeout=timeout,
            sandbox=sandbox,
            memory=memory,
            preload=preload,
        )
        self._count = 0

    @property
    def containment(self):
        """``"bubblewrap"`` or ``"rlimits only (why)"``: how the student's process is contained."""
        return self.process.containment

    def __enter__(self):
        self.process.__enter__()
        return self

    def __exit__(self, *exc_info):
        self.process.close()

    def student_cells(self, sources):
        """Run cells in the student's process; one :class:`CellResult` per cell."""
        sources = list(sources)
        first = self._count
        self._count += len(sources)
        results = [CellResult() for _ in sources]
        try:
            errors, outputs = self.process.run_cells(sources)
        except StudentCodeError as error:
            for result in results:
                result.error = (type(error).__name__, str(error))
            return results
        for result, output in zip(results, outputs, strict=False):
            result.output = output
        for index, message in errors:
            if index is None:
                for result in results:
                    result.error = ("StudentCodeError", message)
            elif 0 <= index - first < len(results):
                name, _, rest = message.partition(": ")
                if not rest or not name.isidentifier():
                    name, rest = "TimeoutError", message
                results[index - first].error = (name, rest)
        return results

    def namespace(self, source):
        """The names a test cell runs with: the usual modules, and what it uses of the
        notebook's (functions as :class:`StudentFunction`, other values as data)."""
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        used = _names(ast.parse(python_source(source)))
        for name in sorted(used):
            if name in MODULES:
                namespace[name] = importlib.import_module(MODULES[name])
                continue
            kind = self.process.names.get(name)
            if kind == "function":
                namespace[name] = StudentFunction(self.process, name)
            elif kind == "value":
                with contextlib.suppress(StudentCodeError):
                    namespace[name] = self.process.value(name)
        return namespace

    def run(self, cells):
        """Run a notebook's code cells in order, as grading does; yield ``(cell, CellResult)``.

        ``cells`` are objects with ``kind`` and ``source`` (or ``(kind, source)`` pairs, kinds
        from :mod:`mnist_course.notebook`): the student's cells up to a test cell run in the
        student's process, in one batch, then the test cell here; after the last test cell,
        the remaining cells of the student's run too. Every cell's result is yielded, the
        student's cells when their batch has run. Which cells run is
        :func:`mnist_course.notebook.cells_to_run`'s to say, and where a test cell's source
        comes from, the caller's (the gradebook, in grading).
        """
        pending = []
        for cell in cells:
            kind, source = (cell.kind, cell.source) if hasattr(cell, "kind") else cell
            if kind != TEST:
                pending.append((cell, source))
                continue
            yield from self._run_batch(pending)
            pending = []
            yield cell, self.test_cell(source)
        yield from self._run_batch(pending)

    def _run_batch(self, pending):
        if pending:
            results = self.student_cells([source for _, source in pending])
            yield from zip([cell for cell, _ in pending], results, strict=True)

    def test_cell(self, source):
        """Run a test cell here, the student's functions called in the child."""
        output = _Output()
        result = CellResult()
        try:
            code = compile_cell("<test cell>", source)
            namespace = self.namespace(source)
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
                exec(code, namespace)
        except KeyboardInterrupt:
            raise
        except StudentRaised as error:
            result.error = (error.type_name, str(error))
            result.exception = error
        except BaseException as error:  # a check fails, or the student's function did not return
            result.error = (type(error).__name__, _message(error))
            result.exception = error
        result.output = output.text()
        return result


def _message(error):
    try:
        return str(error)
    except Exception:
        return "(its message could not be read)"
