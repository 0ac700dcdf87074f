"""The student's process: run the notebook's setup and answer cells, then serve calls.

Started by :class:`mnist_course.sandbox.StudentProcess` as ``python -m
mnist_course.sandbox.child LIMITS_JSON``. It limits itself first (memory, CPU time, file
size, no core files, and no new processes where Linux's seccomp allows), before any of the
student's code runs; under bubblewrap it has no capability that could raise those limits
again. It then reads the cells from its standard input, runs them in one namespace as a
kernel would (IPython magics transformed, a cell that raises or runs past its time is
recorded and the next one runs), and answers each call with the function's result as data
(:mod:`mnist_course.sandbox.wire`). The student's code runs with the builtins, trace and
profile functions as it left them; this module's code with Python's own.

Everything this process sends is data that the grading process reads and judges; nothing
here decides a grade.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import hashlib
import importlib
import json
import os
import platform
import struct
import sys
import threading
import traceback
import types
from builtins import len as own_len
from builtins import str as own_str

import numpy

from mnist_course._cells import Shell, TimeLimit, compile_cell, set_alarm

try:
    import resource
except ImportError:  # Windows: the grading process's time limits still hold
    resource = None
from mnist_course.sandbox import watch, wire
from mnist_course.sandbox.student_process import PRELOADABLE

CELL = "<cell {}>"


def limit_resources(limits):
    """Set soft and hard rlimits: address space, CPU seconds, file size, core files.

    Returns the names of those this system could not set (all of them without ``resource``).
    """
    unset = []
    for name, value in [
        ("RLIMIT_AS", limits["memory"]),
        ("RLIMIT_CPU", limits["cpu_seconds"]),
        ("RLIMIT_FSIZE", limits["file_size"]),
        ("RLIMIT_CORE", 0),
    ]:
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError):  # no resource module, or macOS's RLIMIT_AS
            unset.append(name)
    return unset


# Linux's numbers for the calls that start a process: (audit arch, clone, fork, vfork, clone3)
SYSCALLS = {
    "x86_64": (0xC000003E, 56, 57, 58, 435),
    "aarch64": (0xC00000B7, 220, None, None, 435),
}
CLONE_THREAD = 0x10000


def _no_new_processes_filter(arch, clone, fork, vfork, clone3):
    """A seccomp program (classic BPF) that refuses every call that would start a process
    (fork, vfork, clone without CLONE_THREAD; clone3 says ENOSYS, so that threads fall back
    to clone) and any system call of another architecture's ABI; it allows all else."""
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    load, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    denied = [number for number in (fork, vfork) if number is not None]
    # (code, jump if true, jump if false, k), jumps counted from the next instruction
    program = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, eperm), (load, 0, 0, 0)]
    if arch == SYSCALLS["x86_64"][0]:  # the x32 ABI's numbers have bit 30 set
        program += [(jge, 0, 1, 0x40000000), (ret, 0, 0, eperm)]
    for number in denied:
        program += [(jeq, 0, 1, number), (ret, 0, 0, eperm)]
    program += [(jeq, 0, 1, clone3), (ret, 0, 0, enosys)]
    program += [(jeq, 0, 3, clone), (load, 0, 0, 16), (jset, 1, 0, CLONE_THREAD)]
    program += [(ret, 0, 0, eperm), (ret, 0, 0, allow)]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program)


def forbid_new_processes():
    """Install a seccomp filter: from now on this process (and its threads) cannot start a
    process; threads still start. Returns ``""``, or why the filter could not be installed
    (another system or architecture), for the log."""
    numbers = SYSCALLS.get(platform.machine())
    if sys.platform != "linux" or numbers is None:
        return f"no seccomp filter on {sys.platform} {platform.machine()}"
    program = _no_new_processes_filter(*numbers)
    code = ctypes.create_string_buffer(program, len(program))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Program(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0 or libc.prctl(
        pr_set_seccomp, seccomp_mode_filter, ctypes.addressof(fprog), 0, 0
    ):
        return f"no seccomp filter: {os.strerror(ctypes.get_errno())}"
    return ""


class StudentState:
    """What the student's code may change in this process and the protocol relies on: the
    builtins and the trace and profile functions.

    Between :meth:`enter` and :meth:`leave` they are as the student's code last left them (a
    replaced ``len`` stays replaced for the student's functions, as in a kernel); otherwise
    Python's own, so that encoding a result never calls the student's replacements. Both
    methods use no builtin by name: they run while either version is in place.
    """

    def __init__(self):
        self.namespace = vars(builtins)
        self.own = self.namespace.copy()
        self.student = self.namespace.copy()
        self.trace = self.profile = None

    def enter(self):
        self.namespace.clear()
        self.namespace.update(self.student)
        sys.setprofile(self.profile)
        sys.settrace(self.trace)

    def leave(self):
        self.trace, self.profile = sys.gettrace(), sys.getprofile()
        sys.settrace(None)
        sys.setprofile(None)
        self.student = self.namespace.copy()
        self.namespace.clear()
        self.namespace.update(self.own)


STATE = StudentState()


def _compile(index, source):
    return compile_cell(CELL.format(index), source)


def where(error):
    """Where in the cells the error happened: ``" (in f(), cell 2, line 3: x = 1 / 0)"``."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith("<cell ")
    ]
    if not frames:
        return ""
    frame = frames[-1]
    cell = frame.filename[len("<cell ") : -1]
    return f" (in {frame.name}(), cell {cell}, line {frame.lineno}: {(frame.line or '').strip()})"


OUTPUT_LIMIT = 20_000
"""Characters of a cell's printed output kept for the grader's copy of the notebook."""


class CellOutput:
    """Where ``print`` writes while a cell runs: the first ``OUTPUT_LIMIT`` characters kept.

    ``write`` runs while the student's builtins are in place: it uses Python's own.
    """

    def __init__(self):
        self.parts, self.size = [], 0

    def write(self, text):
        text = own_str(text)
        if self.size < OUTPUT_LIMIT:
            self.parts.append(text[: OUTPUT_LIMIT - self.size])
        self.size += own_len(text)
        return own_len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def text(self):
        more = self.size - OUTPUT_LIMIT
        return "".join(self.parts) + (f"\n... ({more} more characters)" if more > 0 else "")


def run_cells(cells, namespace, cell_timeout, *, first=0, outputs=None):
    """Run each cell's source in ``namespace``; return ``[(index, message)]`` of the failures.

    Cells are numbered from ``first``; with ``outputs`` (a list), what each cell printed is
    appended to it.
    """
    errors = []
    for index, source in enumerate(cells, start=first):
        captured = CellOutput()
        saved = sys.stdout, sys.stderr
        if outputs is not None:
            sys.stdout = sys.stderr = captured
        try:
            code = _compile(index, source)
            STATE.enter()
            try:
                set_alarm(cell_timeout)
                try:
                    exec(code, namespace)
                finally:
                    set_alarm(0)
            finally:
                STATE.leave()
        except TimeLimit:
            errors.append((index, f"did not finish within {cell_timeout:g} s"))
        except BaseException as error:  # the student's code may raise anything
            errors.append((index, f"{type(error).__name__}: {_text(error)}{where(error)}"))
        finally:
            set_alarm(0)
            sys.stdout, sys.stderr = saved
        if outputs is not None:
            outputs.append(captured.text())
    return errors


def names(namespace):
    """The names the cells defined, each ``"function"`` (callable, not a class) or ``"value"``."""
    found = {}
    for name, value in list(namespace.items()):
        if name.startswith("__"):
            continue
        try:
            if isinstance(value, types.ModuleType):
                continue
            found[name] = "function" if callable(value) and not isinstance(value, type) else "value"
        except BaseException:  # a value whose __class__ lies may raise anything
            continue
    return found


def ran(cells, namespace, cell_timeout, first):
    """Run cells and describe what happened: the ``ready`` message, as bytes."""
    outputs = []
    errors = run_cells(cells, namespace, cell_timeout, first=first, outputs=outputs)
    return _frames(
        kind="ready",
        value=[list(error) for error in errors],
        outputs=outputs,
        names=names(namespace),
    )


def serve(read, write, namespace, scratch, limit, cell_timeout, count):
    """Answer calls (and run more cells) until the parent closes the pipe or asks to stop."""
    while True:
        try:
            header, blobs = wire.read_message(read, limit=limit)
        except EOFError:
            return
        kind = header.get("kind")
        if kind == "cells":
            cells = wire.decode(header["value"], blobs)
            write(ran(cells, namespace, cell_timeout, count))
            count += len(cells)
        elif kind == "value":
            write(_value(header["name"], namespace, scratch, limit))
        elif kind == "call":
            write(_answer(header, blobs, namespace, scratch, limit))
        else:
            return


def _value(name, namespace, scratch, limit):
    if name not in namespace:
        return _frames(kind="missing", message=f"the notebook defines no {name}")
    try:
        return _frames(kind="result", value=namespace[name], scratch=scratch, limit=limit)
    except wire.UnsupportedValue as error:
        return _frames(kind="refused", message=f"{name} {error}")
    except Exception as error:
        return _frames(kind="refused", message=f"{name} cannot be sent: {error}")


def _answer(header, blobs, namespace, scratch, limit):
    name = header["name"]
    function = namespace.get(name)
    if not callable(function) or isinstance(function, type):
        found = "nothing" if function is None else f"a {type(function).__name__}"
        return _frames(
            kind="missing",
            message=f"the notebook defines no function {name}() (found {found} by that name): "
            "keep the function's name as the exercise gives it",
        )
    try:
        args, kwargs = wire.decode(header["value"], blobs, scratch=scratch)
    except wire.ProtocolError as error:
        return _frames(kind="refused", message=f"the arguments of {name}() were refused: {error}")
    asked = header.get("watch")
    record = None
    if asked is not None:
        try:
            factory = watch.find(asked["name"])
            params = list(asked["params"])
        except (LookupError, KeyError, TypeError) as error:
            return _frames(kind="refused", message=f"{name}() was called with {error}")
    returning = bool(header.get("arguments"))
    if returning:
        before = _states(args, kwargs)
    try:
        with contextlib.ExitStack() as around:
            if asked is not None:
                record = around.enter_context(factory(function, *params))
            result = _student_call(function, args, kwargs)
    except BaseException as error:  # the student's code may raise anything
        return _frames(
            kind="raised", type=type(error).__name__, message=_text(error)[:4000] + where(error)
        )
    value = result
    if returning:
        value = (result, *_changed_arguments(args, kwargs, before))
    if asked is not None:
        value = (value, watch.plain(record))
    try:
        return _frames(kind="result", value=value, scratch=scratch, limit=limit)
    except wire.UnsupportedValue as error:
        return _frames(kind="refused", message=f"{name}() {error}")
    except Exception as error:  # e.g. a model that Keras cannot save
        return _frames(kind="refused", message=f"{name}() returned what cannot be sent: {error}")


UNKNOWN = "unknown"
"""The state of an argument whose digest could not be taken: it is sent back, as if changed."""

MAX_DEPTH = 20
"""How deep a list or dict argument is followed for its digest; deeper counts as unknown."""


def _state(value):
    """A digest of what a call could change in place in ``value``: a numpy array's contents,
    a list's or a dict's items (followed into nested lists, dicts and arrays), a Keras model's
    weights and compilation; None for a value the call cannot change (a number, a string,
    a tuple) or that the protocol does not carry."""
    if not isinstance(value, numpy.ndarray | list | dict) and _model_class(value) is None:
        return None
    try:
        digest = hashlib.sha256()
        _digest(value, digest, 0)
        return digest.hexdigest()
    except BaseException:  # what the student's code changed (or numpy) may raise anything
        return UNKNOWN


def _model_class(value):
    model = wire.keras_classes()[0]
    return model if model is not None and isinstance(value, model) else None


def _digest(value, digest, depth):
    """Feed ``digest`` with the state of ``value``, tagged by kind so that kinds differ."""
    if depth > MAX_DEPTH:
        raise RecursionError("too deeply nested")
    if isinstance(value, numpy.ndarray | numpy.generic):
        array = numpy.ascontiguousarray(value)
        digest.update(f"a{array.dtype.str}{array.shape}".encode())
        digest.update(array.reshape(-1).view(numpy.uint8).data)
    elif isinstance(value, list | tuple):
        digest.update(f"{'l' if isinstance(value, list) else 't'}{own_len(value)}[".encode())
        for item in list.copy(value) if isinstance(value, list) else tuple(value):
            _digest(item, digest, depth + 1)
        digest.update(b"]")
    elif isinstance(value, dict):
        digest.update(f"d{own_len(value)}{{".encode())
        for key, item in list(dict.items(value)):
            _digest(key, digest, depth + 1)
            _digest(item, digest, depth + 1)
        digest.update(b"}")
    elif value is None or type(value) in (bool, int, float, str):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif _model_class(value) is not None:
        for weights in value.get_weights():
            _digest(numpy.asarray(weights), digest, depth + 1)
        compiled = bool(getattr(value, "compiled", False))
        digest.update(own_str(compiled).encode())
        if compiled:
            config = value.get_compile_config()
            digest.update(json.dumps(config, sort_keys=True, default=own_str).encode())
    else:  # anything else cannot cross; a new one counts as a change, and is refused
        digest.update(f"o{type(value).__module__}.{type(value).__qualname__}@{id(value)};".encode())


def _states(args, kwargs):
    return [_state(value) for value in args], {key: _state(value) for key, value in kwargs.items()}


def _changed_arguments(args, kwargs, before):
    """The arguments to send back after the call: each one the call changed in place (an
    array's contents, a list's or a dict's items, a model trained or compiled) as the call
    left it, None in place of anything else; the grading process has the rest already."""
    states, keyword_states = before

    def changed(value, state):
        if state is None:
            return None
        after = _state(value)
        return value if UNKNOWN in (state, after) or after != state else None

    return (
        [changed(value, state) for value, state in zip(args, states, strict=True)],
        {key: changed(value, keyword_states[key]) for key, value in kwargs.items()},
    )


def _student_call(function, args, kwargs):
    STATE.enter()
    try:
        return function(*args, **kwargs)
    finally:
        STATE.leave()


def _text(error):
    """``str(error)``, or a placeholder when the exception's own ``__str__`` fails."""
    try:
        return str(error)
    except BaseException:  # the student's __str__ may raise anything
        return "(its message could not be read)"


def _frames(*, kind, value=None, scratch=None, limit=wire.MAX_MESSAGE_BYTES, **fields):
    tree, blobs = wire.encode(value, scratch=scratch, limit=limit, what="returned")
    return b"".join(wire.frames(tree, blobs, kind=kind, **fields))


def _preload(name):
    """Import a module ahead; a failure is the student's cells' to meet when they import it."""
    try:
        importlib.import_module(name)
    except BaseException:  # whatever it is, the cells that import the module will say it
        pass


def main(limits):
    """Limit this process, keep the protocol's pipes from the student's prints, run, serve."""
    unset = limit_resources(limits)
    if unset:
        print(f"The student's process has no {', '.join(unset)} here", file=sys.stderr)
    why_not = forbid_new_processes()
    if why_not:
        print(f"The student's process may start others ({why_not})", file=sys.stderr)
    inbox = os.fdopen(os.dup(0), "rb")
    outbox = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)  # print() goes to the log, not into the protocol

    def read(size):
        data = inbox.read(size)
        if len(data) < size:
            raise EOFError
        return data

    def write(data):
        outbox.write(data)
        outbox.flush()

    preloading = [
        threading.Thread(target=_preload, args=(name,), daemon=True)
        for name in limits.get("preload", ())
        if name in PRELOADABLE
    ]
    for thread in preloading:
        thread.start()
    scratch = limits["scratch"]
    limit = limits["max_message"]
    header, blobs = wire.read_message(read, limit=limit)
    cells = wire.decode(header["value"], blobs)
    # the import ends before any cell runs: TensorFlow used while another thread is still
    # importing it can meet it half made (a TypeError from its C++ bindings at model.fit,
    # seen in grading), and the cells' own time limit does not pay for it
    for thread in preloading:
        thread.join()
    module = types.ModuleType("__main__")
    module.__dict__.update(get_ipython=Shell, display=lambda *args, **kwargs: None)
    sys.modules["__main__"] = module
    write(ran(cells, module.__dict__, limits["cell_timeout"], 0))
    serve(read, write, module.__dict__, scratch, limit, limits["cell_timeout"], len(cells))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
