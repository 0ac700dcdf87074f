"""The grading side: start the student's process, call its functions, read back data.

:class:`StudentProcess` starts :mod:`mnist_course.sandbox.child` under bubblewrap where it
works (no network, its own process ids, no capabilities, a read-only view of the Python
environment and the course package, a scratch folder as the only writable place, nothing
else of the filesystem), and with rlimits everywhere. Each call has a time limit, enforced
here: past it the child's whole process group is killed and the next call starts a new
child that runs the cells again. Results come back as data (:mod:`.wire`); a check compares
them in this process, which has run none of the student's code. In a grading worker the
child is forked from a zygote that imported Keras once (:func:`use_zygote`,
:mod:`mnist_course.sandbox.zygote`), under the same bubblewrap and limits.
"""

from __future__ import annotations

import atexit
import functools
import json
import multiprocessing.util
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

from .._quiet import ONE_THREAD, QUIET_ENVIRONMENT, SMALL_PAGES
from . import wire

CHILD = "mnist_course.sandbox.child"
BUBBLEWRAP = "bubblewrap"
GiB = 2**30

ETC = ["/etc/ssl", "/etc/ca-certificates", "/etc/fonts", "/etc/ld.so.cache", "/etc/localtime"]
"""The few files of /etc the child may read (certificates, fonts, the linker's cache)."""

SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"]
"""System folders, read-only; on a merged-/usr system the others are links into /usr."""


GRACE = 5.0
"""Seconds a cell past its time limit has to stop by itself before its process is killed."""

DIED_IN_CELLS = "the notebook's cells "

PRELOADABLE = ("keras",)
"""What a child may import ahead, in a thread, while the student's cells run."""

_OPEN = weakref.WeakSet()
"""The processes not yet closed; stopped when the grading process exits."""

_AHEAD = None
"""The child started ahead (:meth:`StudentProcess.start_ahead`), not yet taken."""

_ZYGOTE = None
"""The zygote that forks this process's children under bubblewrap (:func:`use_zygote`)."""


@atexit.register
def close_all():
    """Stop every student's process of this process not yet closed (and one started ahead).

    Run at exit; a process that ends with ``os._exit`` (a grading worker's fork) calls it."""
    for process in list(_OPEN):
        process.close()


def use_zygote(preload=("keras",)):
    """From now on, fork this process's students' processes under bubblewrap from one
    :class:`~mnist_course.sandbox.zygote.Zygote` that imported ``preload``, started now (a
    grading worker calls it once; its forks share it). Returns ``""``, or why there is none
    (no bubblewrap, not Linux): then each process starts fresh, as it does without."""
    global _ZYGOTE
    from . import zygote

    works, reason = bubblewrap_status()
    if works:
        works, reason = zygote.available()
    if not works:
        return reason
    if _ZYGOTE is not None:
        _ZYGOTE.close()
    folder = Path(tempfile.mkdtemp(prefix="student-zygote-"))
    scratch = folder / "scratch"
    scratch.mkdir()
    env = child_environment(scratch, "/tmp")
    _ZYGOTE = zygote.Zygote(bubblewrap_command(scratch), scratch, env, preload)
    # at exit, a pool's worker's too (multiprocessing runs its finalizers there, not atexit's)
    multiprocessing.util.Finalize(None, _remove_zygote, args=(_ZYGOTE, folder), exitpriority=10)
    return ""


def _remove_zygote(zygote, folder):
    """Stop the zygote and remove its folder (at the exit of the process that started it)."""
    zygote.close()
    shutil.rmtree(folder, ignore_errors=True)


def _stop_zygote(zygote):
    """Forget the zygote that failed to fork: this process's children start fresh from now."""
    global _ZYGOTE
    if _ZYGOTE is zygote:
        _ZYGOTE = None


class StudentCodeError(Exception):
    """A call into the student's process did not return a value; ``str()`` says why."""


class StudentRaised(StudentCodeError):
    """The student's function ``function`` raised: ``type_name`` and ``message`` are its
    exception's."""

    def __init__(self, name, type_name, message):
        self.function, self.type_name, self.message = name, type_name, message
        super().__init__(f"{name}() raised {type_name}: {message}")


class CallTimedOut(StudentCodeError):
    """The call ran past its time limit; the student's process was stopped."""


class ProcessDied(StudentCodeError):
    """The student's process ended during the call (it exited, crashed or hit a limit)."""


class RefusedValue(StudentCodeError):
    """The call returned (or was given) a value that cannot cross as data."""


class NoSuchFunction(StudentCodeError):
    """The cells define no function by that name."""


def _package_folder():
    return Path(__file__).resolve().parents[1]


def _read_only_paths():
    """The Python environment and the course package: what the child may read."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parents[1]}
    paths.add(_package_folder())
    paths = {path.resolve() for path in paths} - {Path("/usr")}
    return sorted(str(path) for path in paths)


def bubblewrap_command(scratch, *, tmp_size=512 * 2**20):
    """bwrap's arguments (up to ``--``) for a child that sees only what it needs."""
    command = ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL"]
    # the fresh /tmp first: a bind that came before it would be hidden under it (an
    # environment or a course checked out under /tmp, as in a CI clone)
    command += ["--dev", "/dev", "--proc", "/proc", "--size", str(tmp_size), "--tmpfs", "/tmp"]
    for path in SYSTEM:
        if os.path.islink(path):
            command += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            command += ["--ro-bind", path, path]
    for path in ETC + _read_only_paths():
        command += ["--ro-bind-try", path, path]
    command += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    command += ["--bind", str(scratch), str(scratch)]
    # the root and /dev are tmpfs that bwrap made the folders of its binds in (the course's
    # folder among them, on the import path): read-only once they are made, so /tmp and the
    # scratch folder are all the child can write
    command += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", str(scratch), "--"]
    return command


@functools.cache
def bubblewrap_status():
    """``(True, "")`` if bubblewrap runs here, else ``(False, reason)``; probed once."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap not found"
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as scratch:
        try:
            probe = subprocess.run(
                [*bubblewrap_command(scratch), "true"], capture_output=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bubblewrap did not start: {error}"
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        return False, f"bubblewrap did not start: {reason[-1]}"
    return True, ""


def child_environment(scratch, tmp):
    """The child's whole environment: no variable of this process reaches it."""
    return {
        **QUIET_ENVIRONMENT,
        **ONE_THREAD,
        **SMALL_PAGES,
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONPATH": str(_package_folder().parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "LANG": "C.UTF-8",
        "HOME": str(scratch),
        "TMPDIR": str(tmp),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(Path(scratch) / ".matplotlib"),
        "KERAS_HOME": str(Path(scratch) / ".keras"),
    }


class StudentProcess:
    """A child process that ran the notebook's cells, and calls into it.

    Parameters
    ----------
    cells : list of str
        The sources of the notebook's setup and answer cells, in order (magics allowed).
    timeout : float
        Seconds one call may take; past it the child is killed and the call fails.
    cell_timeout : float, optional
        Seconds one cell may run (``timeout`` by default): past it the cell is stopped,
        recorded in ``cell_errors``, and the next cell runs. A cell that catches the stop
        (``GRACE`` seconds more) or ends the child is killed with the child, never run again,
        and the next cell runs in a new child after the cells before it.
    start_timeout : float
        Seconds all the cells may take together; past it the child is killed.
    memory : int
        Bytes of address space the child may use (``RLIMIT_AS``).
    cpu_seconds : int
        CPU seconds the child may use in all (``RLIMIT_CPU``), a backstop.
    file_size : int
        Largest file the child may write (``RLIMIT_FSIZE``).
    max_message : int
        Largest message (a result or the arguments of a call) in bytes.
    sandbox : {"auto", "bubblewrap", "rlimits"}
        Containment: bubblewrap where it works ("auto"), required, or rlimits only.
    preload : sequence of str
        Modules of :data:`PRELOADABLE` that the child starts importing in a thread before
        the cells run (``("keras",)`` where the checks will pass it models).

    Examples
    --------
    >>> with StudentProcess(["def double(x):\\n    return 2 * x"]) as student:
    ...     student.call("double", 21)
    42
    """

    def __init__(
        self,
        cells,
        *,
        timeout=60.0,
        cell_timeout=None,
        start_timeout=300.0,
        memory=4 * GiB,
        cpu_seconds=3600,
        file_size=256 * 2**20,
        max_message=wire.MAX_MESSAGE_BYTES,
        sandbox="auto",
        preload=(),
    ):
        self.cells = list(cells)
        self.timeout, self.start_timeout = timeout, start_timeout
        self.cell_timeout = timeout if cell_timeout is None else cell_timeout
        self.max_message = max_message
        self.limits = {"memory": memory, "cpu_seconds": cpu_seconds, "file_size": file_size}
        self.limits["preload"] = [name for name in preload if name in PRELOADABLE]
        self.cell_errors = []
        self.cell_outputs = []
        self.names = {}
        if sandbox not in ("auto", BUBBLEWRAP, "rlimits"):
            raise ValueError(f"sandbox={sandbox!r}; expected 'auto', 'bubblewrap' or 'rlimits'")
        works, reason = bubblewrap_status() if sandbox != "rlimits" else (False, "asked for")
        if sandbox == BUBBLEWRAP and not works:
            raise RuntimeError(f"sandbox='bubblewrap' but {reason}")
        self.containment = BUBBLEWRAP if works else f"rlimits only ({reason})"
        self._process = None
        self._folder = None
        self._stopped = {}

    def __enter__(self):
        if not self._take_ahead():
            self._folder = Path(tempfile.mkdtemp(prefix="student-"))
        _OPEN.add(self)
        try:
            self._start()
        except StudentCodeError as error:  # each call says so again, after a fresh start
            self.cell_errors = [(None, str(error))]
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stop the child and remove its scratch folder."""
        _OPEN.discard(self)
        self._kill()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def start_ahead(self):
        """Start the child now, with no cell run, for the next :class:`StudentProcess` of this
        process that has the same limits and containment to take (one at a time).

        A grading worker calls it while another notebook is graded, so that the child's start
        and its imports (``preload``) overlap that work. The child taken is as fresh as one
        started then: it has run nothing and waits for its cells. An earlier one not taken is
        stopped. With a zygote (:func:`use_zygote`) it starts nothing: a fork takes no time
        to start, and the zygote forks one child at a time.
        """
        global _AHEAD
        if _AHEAD is not None:
            _AHEAD.close()
        if self._zygote() is not None:  # a fork starts at once: nothing to start ahead
            return self
        self._folder = Path(tempfile.mkdtemp(prefix="student-"))
        _OPEN.add(self)
        self._popen()
        _AHEAD = self
        return self

    def _limits_key(self):
        """What a child started ahead must share with this one to be taken (not ``preload``:
        importing ahead changes what the child has loaded, never what the cells compute)."""
        limits = {name: value for name, value in self.limits.items() if name != "preload"}
        return limits, self.cell_timeout, self.max_message, self.containment

    def _take_ahead(self):
        """Take the child started ahead if it matches; return whether one was taken."""
        global _AHEAD
        ahead, _AHEAD = _AHEAD, None
        if ahead is None:
            return False
        if ahead._limits_key() != self._limits_key() or ahead._process.poll() is not None:
            ahead.close()
            return False
        _OPEN.discard(ahead)
        self._folder, self._process = ahead._folder, ahead._process
        ahead._folder = ahead._process = None
        return True

    @property
    def forked(self):
        """Whether the child running now was forked by the zygote (:func:`use_zygote`)."""
        return hasattr(self._process, "kill_all")

    @property
    def scratch(self):
        """The child's working folder, the only place it can write (under bubblewrap); a
        child forked by the zygote has the zygote's."""
        zygote = self._zygote()
        return zygote.scratch if zygote is not None else self._folder / "scratch"

    def call(self, name, /, *args, **kwargs):
        """Call the student's function ``name``; return its result, as data.

        Raises :class:`StudentCodeError` (a subclass saying which) when it does not return.
        """
        return self._call(name, args, kwargs, arguments=False)

    def call_with_arguments(self, name, /, *args, **kwargs):
        """Like :meth:`call`, but return ``(result, args, kwargs)`` after the call: each
        argument the call changed in place (a numpy array's contents, a list's or a dict's
        items, a Keras model trained or compiled) comes back as the function left it; an
        argument the call did not change comes back as None, since the caller has it already."""
        return self._call(name, args, kwargs, arguments=True)

    def exchange(self, name, args, kwargs, *, watch=None):
        """One call as a grading check makes it: returns ``(result, args, kwargs, record)``,
        the arguments as :meth:`call_with_arguments` gives them. ``watch`` (``{"name": ...,
        "params": [...]}``, see :mod:`mnist_course.sandbox.watch`) runs around the call in the
        child; ``record`` is what it recorded (None without a watch)."""
        options = {} if watch is None else {"watch": watch}
        answer = self._call(name, args, kwargs, arguments=True, **options)
        record = None
        if watch is not None:
            try:
                answer, record = answer
            except (TypeError, ValueError):
                raise RefusedValue(f"{name}() sent back its watch's record unreadably") from None
        try:
            result, new_args, new_kwargs = answer
        except (TypeError, ValueError):
            raise RefusedValue(f"{name}() sent back its arguments unreadably") from None
        if not isinstance(new_args, list) or not isinstance(new_kwargs, dict):
            raise RefusedValue(f"{name}() sent back its arguments unreadably")
        return result, new_args, new_kwargs, record

    def run_cells(self, cells):
        """Run more cells after those run so far, in the same namespace (as a kernel would).

        Returns ``(errors, outputs)`` for these cells only: ``errors`` as in
        :attr:`cell_errors` (numbered among all the cells), ``outputs`` what each printed.
        After a restart (a call that timed out or crashed), all the cells run again.
        """
        cells = list(cells)
        first = len(self.cells)
        self.cells += cells
        if self._process is None:
            self._start()
            errors = [error for error in self.cell_errors if error[0] is None or error[0] >= first]
            return errors, self.cell_outputs[first:]
        deadline = time.monotonic() + self.start_timeout
        errors, outputs = self._run_range(first, len(self.cells), deadline)
        self.cell_errors += errors
        self.cell_outputs += outputs
        return errors, outputs

    def value(self, name):
        """The value the cells bound to ``name``, as data (NoSuchFunction if there is none)."""
        return self._request(f"reading {name}", *wire.encode(None), kind="value", name=name)

    def output(self, limit=4000):
        """The end of what the child printed (its stdout and stderr)."""
        path = self._folder / "output.log"
        with open(path, "rb") as log:
            log.seek(max(0, path.stat().st_size - limit))
            return log.read().decode(errors="replace")

    def _call(self, name, args, kwargs, *, arguments, **options):
        tree, blobs = wire.encode(
            (list(args), kwargs), limit=self.max_message, scratch=self._folder, what="passed"
        )
        return self._request(
            f"{name}()", tree, blobs, kind="call", name=name, arguments=arguments, **options
        )

    def _request(self, what, tree, blobs, **header):
        """Send one request (a call, or a value to read) and return the child's answer as
        data; any other answer raises the :class:`StudentCodeError` that says why."""
        if self._process is None:
            self._start()
        deadline = time.monotonic() + self.timeout
        try:
            self._send(tree, blobs, deadline, **header)
            reply, blobs = self._receive(deadline)
        except TimeoutError:
            self._kill()
            raise CallTimedOut(
                f"{what} took longer than {self.timeout:g} s and was stopped"
            ) from None
        except (EOFError, BrokenPipeError):
            raise ProcessDied(f"{what} {self._death()}") from None
        except wire.ProtocolError as error:
            self._kill()
            raise RefusedValue(f"{what} sent back what the checks cannot read: {error}") from None
        kind, message = reply.get("kind"), str(reply.get("message", ""))[:4000]
        if kind == "raised":
            raise StudentRaised(header.get("name", what), str(reply.get("type")), message)
        if kind == "missing":
            raise NoSuchFunction(message)
        if kind == "refused":
            raise RefusedValue(message)
        if kind != "result":
            self._kill()
            raise RefusedValue(f"{what} answered with an unknown message {kind!r}")
        try:
            return wire.decode(reply["value"], blobs, scratch=self._folder)
        except wire.ProtocolError as error:
            raise RefusedValue(f"{what} returned what the checks cannot read: {error}") from None

    def _start(self):
        """Start the child and run all the cells in it."""
        self._launch()
        deadline = time.monotonic() + self.start_timeout
        self.cell_errors, self.cell_outputs = self._run_range(0, len(self.cells), deadline)

    def _launch(self):
        """Start the child (or use the one started ahead), with no cell run yet."""
        if self._process is None:
            self._popen()
        if SELECT_ON_PIPES:  # elsewhere threads wait in blocking reads and writes
            for stream in (self._process.stdin, self._process.stdout):
                os.set_blocking(stream.fileno(), False)
        self._exchange_cells([], time.monotonic() + self.start_timeout)

    def _zygote(self):
        """The zygote that forks this child, or None (each child starts fresh)."""
        return _ZYGOTE if self.containment == BUBBLEWRAP else None

    def _popen(self):
        """Start the child process; it imports ``preload`` and waits for its cells."""
        from .zygote import ZygoteError

        limits = {**self.limits, "max_message": self.max_message}
        limits["cell_timeout"] = self.cell_timeout
        zygote = self._zygote()
        if zygote is not None:
            try:
                with open(self._folder / "output.log", "ab") as log:
                    self._process = zygote.spawn({**limits, "scratch": str(zygote.scratch)}, log)
                return
            except ZygoteError as error:  # a fresh process from now on, and the log says why
                _stop_zygote(zygote)
                with open(self._folder / "output.log", "a") as log:
                    print(f"Started afresh: {error}", file=log)
        scratch, tmp = self._folder / "scratch", self._folder / "scratch" / "tmp"
        scratch.mkdir(exist_ok=True)
        tmp.mkdir(exist_ok=True)
        limits["scratch"] = str(scratch)
        command = [sys.executable, "-m", CHILD, json.dumps(limits)]
        if self.containment == BUBBLEWRAP:
            command = bubblewrap_command(scratch) + command
            tmp = Path("/tmp")
        with open(self._folder / "output.log", "ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=child_environment(scratch, tmp),
                cwd=scratch,
                start_new_session=True,
            )

    def _run_range(self, start, stop, deadline):
        """Run ``self.cells[start:stop]`` one at a time; return their ``(errors, outputs)``.

        A cell that runs past ``cell_timeout`` without stopping (it caught the time limit) or
        that ends the child is stopped: it gets an error, the child starts again with the
        cells before it, and the next cell runs, as after a kernel's restart. A cell stopped
        once is not run again when the cells run again. Past ``deadline`` for them all, the
        child is killed and :class:`CallTimedOut` raised.
        """
        errors, outputs = [], []
        for index in range(start, stop):
            if index in self._stopped:
                self._exchange_cells([""], deadline)  # keeps the child's count of cells
                errors.append((index, self._stopped[index]))
                outputs.append("")
                continue
            cell_deadline = min(deadline, time.monotonic() + self.cell_timeout + GRACE)
            try:
                cell_errors, cell_outputs = self._exchange_cells([self.cells[index]], cell_deadline)
            except CallTimedOut:
                if time.monotonic() >= deadline:
                    raise
                stopped = (
                    f"TimeoutError: did not finish within {self.cell_timeout:g} s and was stopped"
                )
            except ProcessDied as error:
                stopped = f"ProcessDied: this cell {str(error).removeprefix(DIED_IN_CELLS)}"
            else:
                errors += cell_errors
                outputs += cell_outputs
                continue
            self._stopped[index] = stopped
            errors.append((index, stopped))
            outputs.append("")
            self._launch()
            self._run_range(0, index + 1, deadline)  # what the cells before it defined
        return errors, outputs

    def _exchange_cells(self, cells, deadline, kind="cells"):
        """Send cells to run; return their ``(errors, outputs)`` and keep the names defined."""
        try:
            self._send(*wire.encode(cells), deadline, kind=kind)
            header, blobs = self._receive(deadline)
        except TimeoutError:
            self._kill()
            raise CallTimedOut(
                f"the notebook's cells took longer than {self.start_timeout:g} s to run"
            ) from None
        except (EOFError, BrokenPipeError):
            raise ProcessDied(f"{DIED_IN_CELLS}{self._death()}") from None
        except wire.ProtocolError as error:
            self._kill()
            raise RefusedValue(f"the notebook's cells sent what cannot be read: {error}") from None
        errors = wire.decode(header["value"], blobs) if header.get("kind") == "ready" else None
        outputs, names = header.get("outputs"), header.get("names")
        if (
            not isinstance(errors, list)
            or not all(isinstance(e, list) and len(e) == 2 for e in errors)
            or not isinstance(outputs, list)
            or not all(isinstance(text, str) for text in outputs)
            or not isinstance(names, dict)
        ):
            self._kill()
            raise RefusedValue("the notebook's cells sent an unexpected answer")
        self.names = {str(name): str(kind) for name, kind in names.items()}
        outputs = [text[:30_000] for text in outputs[: len(cells)]]
        outputs += [""] * (len(cells) - len(outputs))
        return [tuple(error) for error in errors], outputs

    def _send(self, tree, blobs, deadline, **header):
        fd = self._process.stdin.fileno()
        for frame in wire.frames(tree, blobs, **header):
            if not SELECT_ON_PIPES:
                _write_within(fd, frame, deadline)
                continue
            view = memoryview(frame)
            while view:
                _wait(fd, deadline, write=True)
                view = view[os.write(fd, view) :]

    def _receive(self, deadline):
        fd = self._process.stdout.fileno()
        reader = None if SELECT_ON_PIPES else self._pipe_reader()

        def read_exact(size):
            data = bytearray()
            while len(data) < size:
                if reader is None:
                    _wait(fd, deadline)
                    chunk = os.read(fd, min(size - len(data), 2**20))
                else:
                    chunk = reader.read(size - len(data), deadline)
                if not chunk:
                    raise EOFError
                data += chunk
            return bytes(data)

        return wire.read_message(read_exact, limit=self.max_message)

    def _pipe_reader(self):
        """The thread that reads this child's output where select() cannot wait on a pipe."""
        if getattr(self, "_reader_of", None) is not self._process:
            self._reader, self._reader_of = (
                _PipeReader(self._process.stdout.fileno()),
                self._process,
            )
        return self._reader

    def _death(self):
        """Why the child is gone (it is waited for and forgotten; the next call restarts it)."""
        try:
            code = self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        self._kill()
        if code is not None and (code < 0 or (self.containment == BUBBLEWRAP and code > 128)):
            number = -code if code < 0 else code - 128
            try:
                how = f"killed by signal {signal.Signals(number).name}"
            except ValueError:
                how = f"killed by signal {number}"
        else:
            how = f"exit code {code}"
        lines = self.output().strip().splitlines()
        last = f"; its last output: {lines[-1][:300]}" if lines else ""
        return f"stopped the student's process ({how}){last}"

    def _kill(self):
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if hasattr(process, "kill_all"):  # forked by the zygote
                process.kill_all()
            elif hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGKILL)
            else:  # no process groups (Windows): the child alone
                process.kill()
        except ProcessLookupError:
            pass
        process.wait()
        for stream in (process.stdin, process.stdout):
            stream.close()


SELECT_ON_PIPES = os.name == "posix"
"""Whether ``select()`` can wait on a pipe: on POSIX systems; on Windows it waits on sockets
only, so there a thread reads the child's output and another writes each message."""


class _PipeReader:
    """A pipe read by a thread of its own, so that a read can wait with a deadline."""

    def __init__(self, fd):
        self._chunks = queue.Queue()
        self._buffer = bytearray()
        threading.Thread(target=self._pump, args=(fd,), daemon=True).start()

    def _pump(self, fd):
        try:
            while chunk := os.read(fd, 2**20):
                self._chunks.put(chunk)
        except OSError:  # the pipe was closed: the child is gone
            pass
        self._chunks.put(b"")

    def read(self, size, deadline):
        """At most ``size`` bytes; ``b""`` at the pipe's end; TimeoutError past ``deadline``."""
        if not self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                chunk = self._chunks.get(timeout=min(left, threading.TIMEOUT_MAX))
            except queue.Empty:
                raise TimeoutError from None
            if not chunk:
                self._chunks.put(b"")  # the end stays the end for the next read
                return b""
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def _write_within(fd, data, deadline):
    """Write all of ``data`` to ``fd`` from a thread; TimeoutError past ``deadline`` (the
    caller then kills the child, which ends the write)."""
    done, failed = threading.Event(), []

    def write():
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError as error:
            failed.append(error)
        done.set()

    threading.Thread(target=write, daemon=True).start()
    if not done.wait(min(max(0.0, deadline - time.monotonic()), threading.TIMEOUT_MAX)):
        raise TimeoutError
    if failed:
        raise failed[0]


def _wait(fd, deadline, *, write=False):
    """Wait until ``fd`` can be read (or written); TimeoutError past ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
    if not any(ready):
        raise TimeoutError
