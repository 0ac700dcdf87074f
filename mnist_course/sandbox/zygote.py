"""A warm start for a grading worker's student processes: one contained process that imported
Keras once, and forks each student's process from itself.

Importing TensorFlow and Keras costs a student's process about 2.5 s of CPU, and grading
starts one for every notebook that uses Keras: six of the course's nine exercises. A grading
worker (:class:`mnist_course.grading.pool.GradingPool`) instead starts one :class:`Zygote`:
``python -m mnist_course.sandbox.zygote`` under bubblewrap, as a student's process is
(:func:`~mnist_course.sandbox.student_process.bubblewrap_command`), which imports Keras and
then only forks. Each fork becomes a student's process (:func:`mnist_course.sandbox.child.main`,
the same code as a fresh one runs, with the same limits, which it sets on itself before any
of the student's code runs); the fork imported nothing of its own, and TensorFlow has started
no thread or runtime in the zygote (importing it starts none), so each fork starts as a fresh
process would.

What keeps one student's process from reaching another's, though they share the zygote's
sandbox (its folders, its process ids):

- one at a time: before it forks, the zygote kills the process it forked before, waits for
  it to end, and empties every place it could write: the scratch folder and ``/tmp`` (around
  the sandbox's binds), and the sandbox's System V IPC objects; the rest of the sandbox, its
  root and ``/dev`` included, is read-only. A student's process cannot start processes of its
  own (seccomp), so nothing of it is left. What cannot be emptied stops the zygote, and the
  worker goes back to starting each process fresh;
- not dumpable (``PR_SET_DUMPABLE`` 0, kept by a fork): with no capabilities, a process of the
  sandbox cannot trace, or read or write the memory of, the zygote or a student's process;
- no writable shared memory: the zygote refuses to start if it holds a writable shared
  mapping, which a fork could write and the next one read.

The worker's side talks to the zygote over a socket: it sends the new process's pipes and
log file and receives a pidfd, with which it kills the process; when the process has ended,
the zygote sends its exit status. Linux only (pidfds, Linux 5.3 and later); elsewhere, and
where the zygote cannot start, each student's process starts fresh, as outside a worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

ZYGOTE = "mnist_course.sandbox.zygote"

WIPED = ("/tmp", "/dev/shm")
"""The places of the sandbox other than the scratch folder where a student's process may be
able to write, emptied with it before each fork where they are writable (the rest of the
sandbox is read-only: :func:`~mnist_course.sandbox.student_process.bubblewrap_command`)."""

START_TIMEOUT = 120.0
"""Seconds the worker waits for the zygote's first fork (the zygote imports Keras first)."""

FORK_TIMEOUT = 30.0
"""Seconds the worker waits for any later fork."""


class ZygoteError(Exception):
    """The zygote did not fork a process (it failed to start or has stopped); ``str()`` says
    why. The caller starts the process fresh instead."""


def available():
    """``(True, "")`` where a zygote can work (Linux with pidfds), else ``(False, reason)``."""
    if not sys.platform.startswith("linux"):
        return False, f"no zygote on {sys.platform}"
    if not hasattr(os, "pidfd_open") or not hasattr(signal, "pidfd_send_signal"):
        return False, "no pidfd in this Python"
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError as error:
        return False, f"no pidfd in this kernel ({error.strerror})"
    return True, ""


# ---------------------------------------------------------------------------------------------
# The worker's side


class Zygote:
    """The contained process that forks a worker's student processes (see the module).

    Parameters
    ----------
    command : list of str
        bubblewrap's arguments for a student's process with ``scratch`` as its folder, up to
        ``--`` (:func:`~mnist_course.sandbox.student_process.bubblewrap_command`).
    scratch : pathlib.Path
        The scratch folder that every forked process writes in, emptied between them.
    env : dict
        The environment of every forked process.
    preload : sequence of str
        Modules the zygote imports before it forks (``("keras",)``).
    """

    def __init__(self, command, scratch, env, preload=("keras",)):
        self.scratch = Path(scratch)
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = json.dumps({"scratch": str(scratch), "preload": list(preload)})
        self._log = self.scratch.parent / "zygote.log"
        with theirs, open(self._log, "ab") as log:
            self._process = subprocess.Popen(
                [*command, sys.executable, "-m", ZYGOTE, config],
                stdin=theirs,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
                cwd=scratch,
                start_new_session=True,
            )
        self._owner = os.getpid()
        self._started = False

    def spawn(self, limits, log):
        """Fork a student's process that runs ``child.main(limits)`` with ``log`` (an open
        file) as its stderr; return it as a :class:`ZygoteChild`. Raises :class:`ZygoteError`."""
        if os.getpid() == self._owner and self._process.poll() is not None:
            raise ZygoteError(f"the zygote has stopped ({self._why()})")
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        reply, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            request = json.dumps({"limits": limits}).encode()
            fds = [stdin_read, stdout_write, log.fileno(), theirs.fileno()]
            try:
                socket.send_fds(self._socket, [request], fds)
            except OSError as error:
                raise ZygoteError(f"the zygote has stopped ({error.strerror})") from None
        finally:
            for fd in (stdin_read, stdout_write):
                os.close(fd)
            theirs.close()
        reply.settimeout(FORK_TIMEOUT if self._started else START_TIMEOUT)
        try:
            message, fds, _, _ = socket.recv_fds(reply, 4096, 1)
        except (OSError, TimeoutError) as error:
            message, fds = b"", []
            why = str(error) or type(error).__name__
        else:
            why = self._why()
        if not message or not fds:
            for fd in (*fds, stdin_write, stdout_read):
                os.close(fd)
            reply.close()
            raise ZygoteError(f"the zygote did not fork ({why})")
        self._started = True
        reply.settimeout(None)
        pid = json.loads(message)["pid"]
        return ZygoteChild(pid, fds[0], reply, stdin_write, stdout_read)

    def _why(self):
        """The zygote's last line of output, or that it wrote none."""
        try:
            lines = self._log.read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1][:300] if lines else "it wrote nothing"

    def close(self):
        """Stop the zygote (and the process it forked last); only its starter does."""
        self._socket.close()
        if os.getpid() == self._owner and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


class ZygoteChild:
    """A student's process forked by the zygote, as much of ``subprocess.Popen`` as
    :class:`~mnist_course.sandbox.StudentProcess` uses: ``stdin``, ``stdout``, ``poll``,
    ``wait``; and :meth:`kill_all` in place of killing a process group.

    ``pid`` is the process's id in the sandbox (for messages only); ``returncode`` is
    ``-signal`` for a process killed by a signal, as ``Popen`` gives it.
    """

    def __init__(self, pid, pidfd, reply, stdin_fd, stdout_fd):
        self.pid, self.returncode = pid, None
        self._pidfd, self._reply = pidfd, reply
        self.stdin = open(stdin_fd, "wb", buffering=0)  # noqa: SIM115 (closed by the caller)
        self.stdout = open(stdout_fd, "rb", buffering=0)  # noqa: SIM115

    def poll(self):
        """The exit status if the process has ended, else None."""
        return self.wait(timeout=0) if self.returncode is None else self.returncode

    def wait(self, timeout=None):
        """Wait for the process to end; return its status (``TimeoutExpired`` past timeout)."""
        if self.returncode is not None:
            return self.returncode
        ready, _, _ = select.select([self._reply], [], [], timeout)
        if not ready:
            if timeout == 0:
                return None
            raise subprocess.TimeoutExpired("student's process", timeout)
        try:
            message = self._reply.recv(4096)
        except OSError:
            message = b""
        # no status: the zygote is gone, and with it (its sandbox's first process) this one
        self.returncode = json.loads(message)["returncode"] if message else -signal.SIGKILL
        self._close()
        return self.returncode

    def kill_all(self):
        """Kill the process (it can start none of its own, so that is all of it)."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _close(self):
        for closing in (lambda: os.close(self._pidfd), self._reply.close):
            with contextlib.suppress(OSError):
                closing()


# ---------------------------------------------------------------------------------------------
# The zygote's side (inside the sandbox)


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    return libc


def not_dumpable():
    """Make this process (and the forks it makes) not dumpable: without capabilities, no
    process can trace it or read or write its memory. Returns ``""`` or why not."""
    pr_set_dumpable, pr_get_dumpable = 4, 3
    libc = _libc()
    if libc.prctl(pr_set_dumpable, 0, 0, 0, 0) != 0 or libc.prctl(pr_get_dumpable, 0, 0, 0, 0):
        return f"PR_SET_DUMPABLE failed: {os.strerror(ctypes.get_errno())}"
    return ""


def shared_writable_mappings():
    """The lines of /proc/self/maps that map memory both writable and shared."""
    with open("/proc/self/maps") as maps:
        return [line.strip() for line in maps if line.split()[1][1::2] == "ws"]


def threads():
    """How many threads this process has (a fork keeps only the one that forks)."""
    return len(os.listdir("/proc/self/task"))


def mount_points():
    """The folders of this process's mount namespace where something is mounted."""
    with open("/proc/self/mountinfo", "rb") as info:
        fields = [line.split()[4] for line in info]
    unescape = re.compile(rb"\\([0-7]{3})")  # a space is written \040, and so on
    return {
        unescape.sub(lambda octal: bytes([int(octal[1], 8)]), path).decode(errors="replace")
        for path in fields
    }


def empty(folder, mounts=frozenset()):
    """Remove everything in ``folder`` (not the folder), whatever its permissions say, but
    the folders in ``mounts`` and those on the way to them: the sandbox's read-only binds and
    the scratch folder, mounted where they are outside, which may be under ``/tmp`` (the
    course cloned there, say); the scratch folder is emptied by itself."""
    os.chmod(folder, stat.S_IRWXU)
    for entry in os.scandir(folder):
        if entry.path in mounts:
            continue
        if any(mount.startswith(entry.path + os.sep) for mount in mounts):
            empty(entry.path, mounts)
        elif entry.is_dir(follow_symlinks=False):
            empty(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


def remove_ipc_objects():
    """Remove the System V shared memory segments, message queues and semaphores of this
    sandbox's IPC namespace (what a process left there would outlive it)."""
    libc, ipc_rmid = _libc(), 0
    removers = {
        "shm": lambda ident: libc.shmctl(ident, ipc_rmid, None),
        "msg": lambda ident: libc.msgctl(ident, ipc_rmid, None),
        "sem": lambda ident: libc.semctl(ident, 0, ipc_rmid),
    }
    for kind, remove in removers.items():
        with open(f"/proc/sysvipc/{kind}") as table:
            idents = [int(line.split()[1]) for line in list(table)[1:] if line.strip()]
        for ident in idents:
            if remove(ident) != 0:
                raise OSError(ctypes.get_errno(), f"cannot remove System V {kind} {ident}")


def _become_child(requests, fds, limits):
    """In a fork: take the pipes and the log as 0, 1 and 2, and be the student's process."""
    stdin_read, stdout_write, log, reply = fds
    requests.close()
    os.close(reply)
    for fd, target in ((stdin_read, 0), (stdout_write, 1), (log, 2)):
        os.dup2(fd, target)
    for fd in (stdin_read, stdout_write, log):
        os.close(fd)
    code = 1
    try:
        import numpy

        from . import child

        # a fresh process seeds numpy's global generator from the system; a fork would
        # otherwise repeat the zygote's numbers in every student's process
        numpy.random.seed()
        child.main(limits)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    except BaseException:  # the child's own errors go to its log, as a fresh process's would
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _reap(child, *, kill=False):
    """Wait for the forked process ``(pid, pidfd, reply)`` to end (killed first, with
    ``kill``); send its status; close."""
    pid, pidfd, reply = child
    if kill:
        with contextlib.suppress(ProcessLookupError):  # it has ended already
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        reply.send(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
    reply.close()
    os.close(pidfd)


def serve(requests, scratch):
    """Fork one student's process per request, one at a time, until the socket closes."""
    child, mounts = None, mount_points()
    while True:
        waiting = [requests] + ([child[1]] if child else [])
        ready, _, _ = select.select(waiting, [], [])
        if child and child[1] in ready:  # the process ended by itself: say so
            _reap(child)
            child = None
        if requests not in ready:
            continue
        message, fds, _, _ = socket.recv_fds(requests, 2**16, 4)
        if not message:
            break
        if child:  # the worker's next process: the last one goes first
            _reap(child, kill=True)
            child = None
        empty(scratch)
        for folder in WIPED:
            if os.access(folder, os.W_OK):  # /dev/shm is read-only where /dev is
                empty(folder, mounts)
        remove_ipc_objects()
        limits = json.loads(message)["limits"]
        pid = os.fork()
        if pid == 0:
            _become_child(requests, fds, limits)
        for fd in fds[:3]:
            os.close(fd)
        reply = socket.socket(fileno=fds[3])
        child = (pid, os.pidfd_open(pid), reply)
        try:
            socket.send_fds(reply, [json.dumps({"pid": pid}).encode()], [child[1]])
        except OSError:  # the worker's side stopped waiting: so does its process
            _reap(child, kill=True)
            child = None
    if child:
        _reap(child, kill=True)


def main(config):
    """Import what the forks need, make sure forking is safe, then serve the worker."""
    import importlib

    if os.getpid() > 10:  # it empties /tmp: only in a sandbox's namespaces of its own
        sys.exit(f"The zygote stops: it runs as process {os.getpid()}, not in a sandbox")
    requests = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for name in config["preload"]:
        importlib.import_module(name)
    why_not = not_dumpable()
    if why_not:
        sys.exit(f"The zygote stops: {why_not}")
    shared = shared_writable_mappings()
    if shared:
        sys.exit(f"The zygote stops: it maps writable shared memory ({shared[0]})")
    if threads() != 1:
        sys.exit(f"The zygote stops: it has {threads()} threads, and a fork keeps one")
    started = time.monotonic()
    serve(requests, config["scratch"])
    print(f"The zygote served for {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
