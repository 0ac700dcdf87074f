"""The zygote: student's processes forked from one warm, contained process are as fresh, as
contained and as separate from each other as processes started afresh."""

import json
import os
import socket
import subprocess
import sys

import pytest
from helpers import ROOT, skip_or_fail_in_ci
from test_sandbox import CELLS, READ_ONLY_PLACES

from mnist_course.sandbox import ProcessDied, StudentProcess, StudentRaised, bubblewrap_status
from mnist_course.sandbox import student_process as sp
from mnist_course.sandbox import zygote as zygote_module

BWRAP, WHY_NOT = bubblewrap_status()
ZYGOTE_WORKS, ZYGOTE_WHY_NOT = zygote_module.available()

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def started_zygote():
    """One zygote (with Keras imported) for this module's tests; made current by ``zygote``."""
    if not (BWRAP and ZYGOTE_WORKS):
        skip_or_fail_in_ci(f"no zygote here: {WHY_NOT or ZYGOTE_WHY_NOT}")
    saved = sp._ZYGOTE
    assert sp.use_zygote(("keras",)) == ""
    started, sp._ZYGOTE = sp._ZYGOTE, saved
    yield started
    started.close()


@pytest.fixture
def zygote(started_zygote, monkeypatch):
    """The module's zygote forks this test's student's processes (and no other test's)."""
    monkeypatch.setattr(sp, "_ZYGOTE", started_zygote)
    return started_zygote


@pytest.fixture
def forked(zygote):
    """A student's process of the course's sandbox tests, forked by the zygote."""
    with StudentProcess(CELLS, timeout=30) as process:
        assert type(process._process).__name__ == "ZygoteChild", process.output()
        yield process


PROBE = [
    "import os, sys, ctypes, importlib.util, numpy as np",
    "PRELOADED = set(sys.modules)",
    """\
def probe():
    libc = ctypes.CDLL(None)
    return {
        "keras imported before the cells": "keras" in PRELOADED,
        "dumpable": libc.prctl(3, 0, 0, 0, 0),
        "random": float(np.random.rand()),
        "files": [name for place in (".", "/tmp") for name in os.listdir(place)],
        "segments": open("/proc/sysvipc/shm").read().splitlines()[1:],
        "planted module": importlib.util.find_spec("planted_module") is not None,
        "pid": os.getpid(),
        "parent": os.getppid(),
    }

def plant():
    os.makedirs("locked/inside")
    for path in ["answers.py", "locked/inside/x", "/tmp/left.txt"]:
        with open(path, "w") as file:
            file.write("from another student")
    os.chmod("locked/inside", 0)
    os.chmod("locked", 0)
    assert ctypes.CDLL(None).shmget(1234, 4096, 0o1600) >= 0  # IPC_CREAT | 0600
    for folder in os.environ["PYTHONPATH"].split(os.pathsep):  # imported before site-packages
        try:
            with open(os.path.join(folder, "planted_module.py"), "w") as file:
                file.write("SEEN = True")
        except OSError:  # read-only: nothing to plant there
            pass
    return [name for place in (".", "/tmp") for name in os.listdir(place)]

def read(path):
    with open(path, "rb") as file:
        return len(file.read(16))
""",
]
PLANTED = ("answers.py", "locked", "left.txt")


def test_forked_processes_start_as_fresh_ones_each_with_nothing_of_the_last(zygote):
    """Keras is imported before any cell; numpy's generator is seeded anew; what the last
    process wrote anywhere it could (scratch, /tmp, even a folder it locked, a System V
    shared memory segment, a module beside the course on the import path, where that is
    writable) is gone; and the last process has ended."""
    with StudentProcess(PROBE, preload=("keras",)) as first:
        assert first.forked, first.output()
        seen = first.call("probe")
        planted = first.call("plant")
        assert set(PLANTED) <= set(planted)
        with StudentProcess(PROBE) as second:
            again = second.call("probe")
            with pytest.raises(ProcessDied):  # one at a time: the first was stopped
                first.call("probe")
    assert seen["keras imported before the cells"] and again["keras imported before the cells"]
    assert seen["dumpable"] == again["dumpable"] == 0
    assert seen["random"] != again["random"]
    assert seen["parent"] == again["parent"] and seen["pid"] != again["pid"]
    leftovers = [name for name in again["files"] if name in PLANTED]
    assert leftovers == []
    assert again["segments"] == []
    assert not again["planted module"]


def test_a_forked_process_cannot_read_the_zygotes_memory(zygote):
    """Not dumpable: with no capabilities, a process of the sandbox cannot read (or write,
    or trace) the memory of the zygote that the next student's process is forked from."""
    with StudentProcess(PROBE) as process:
        assert process.forked, process.output()
        parent = process.call("probe")["parent"]
        with pytest.raises(StudentRaised, match="PermissionError"):
            process.call("read", f"/proc/{parent}/mem")
        assert process.call("read", "/proc/self/status") == 16  # its own, it reads


def test_a_hang_and_a_crash_in_a_forked_process_are_handled_as_in_a_fresh_one(forked):
    token = forked.call("token")
    with pytest.raises(sp.CallTimedOut):
        forked.timeout = 2
        forked.call("hang")
    forked.timeout = 30
    assert forked.call("token") != token  # a new fork ran the cells again
    with pytest.raises(ProcessDied, match="exit code 3"):
        forked.call("crash")
    with pytest.raises(ProcessDied, match="SIGSEGV"):
        forked.call("segfault")
    assert forked.call("identity", [1, 2]) == [1, 2]


def test_a_forked_process_is_contained_as_a_fresh_one(forked, tmp_path):
    """The same sandbox: no network, only its scratch folder writable, the course and the
    grading process out of sight, its limits for good, no process of its own."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert forked.call("connect", server.getsockname()[1]) != "connected"
    outside = tmp_path / "grading" / "forged.txt"
    forked.call("write", str(outside))
    assert not outside.exists()
    assert forked.call("write", "notes.txt")
    assert (forked.scratch / "notes.txt").read_text() == "written by the student"
    with pytest.raises(StudentRaised, match="Read-only file system"):
        forked.call("write", os.path.join(sys.prefix, "planted.py"))
    for path in READ_ONLY_PLACES:  # what is not emptied between forks cannot be written
        with pytest.raises(StudentRaised, match="Read-only file system"):
            forked.call("write", path)
    with pytest.raises(StudentRaised, match="FileNotFoundError"):
        forked.call("read", str(ROOT / "README.md"))
    with pytest.raises(StudentRaised, match="FileNotFoundError"):
        forked.call("read", f"/proc/{os.getpid()}/environ")
    with pytest.raises(StudentRaised, match="ValueError|PermissionError"):
        forked.call("lift_memory_limit")
    with pytest.raises(StudentRaised, match="MemoryError"):
        forked.call("allocate", 6)  # past the 4 GiB limit
    assert forked.call("allocate", 0.25) == 2**28


def test_a_forked_process_cannot_start_processes(zygote):
    cells = [
        "import os, subprocess",
        "def start():\n    try:\n        subprocess.run(['true'])\n"
        "    except OSError as error:\n        return str(error)\n    return 'started'",
    ]
    with StudentProcess(cells) as process:
        assert type(process._process).__name__ == "ZygoteChild"
        assert process.call("start") == "[Errno 1] Operation not permitted"


def test_when_the_zygote_stops_each_process_starts_afresh_and_the_log_says_why(tmp_path):
    if not (BWRAP and ZYGOTE_WORKS):
        skip_or_fail_in_ci(f"no zygote here: {WHY_NOT or ZYGOTE_WHY_NOT}")
    saved = sp._ZYGOTE
    try:
        assert sp.use_zygote(()) == ""
        stopped = sp._ZYGOTE
        stopped._process.kill()
        stopped._process.wait()
        with StudentProcess(CELLS) as process:
            assert type(process._process).__name__ == "Popen"
            assert "Started afresh: the zygote has stopped" in process.output()
            assert process.call("identity", 5) == 5
        assert sp._ZYGOTE is None
    finally:
        stopped.close()
        sp._ZYGOTE = saved


def test_the_zygote_refuses_to_run_outside_a_sandbox(tmp_path):
    """It empties /tmp before each fork: started by mistake outside bubblewrap's namespaces,
    it must stop before it does anything."""
    kept = tmp_path / "kept.txt"
    kept.write_text("an instructor's file")
    config = f'{{"scratch": "{tmp_path}", "preload": []}}'
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours, theirs:
        done = subprocess.run(
            [sys.executable, "-m", zygote_module.ZYGOTE, config],
            stdin=theirs,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
        )
    assert done.returncode != 0
    assert "not in a sandbox" in done.stderr
    assert kept.read_text() == "an instructor's file"


def test_a_fork_of_the_process_that_started_the_zygote_uses_it():
    """As a grading worker starts the zygote and each grader forked from the worker uses it."""
    if not (BWRAP and ZYGOTE_WORKS):
        skip_or_fail_in_ci(f"no zygote here: {WHY_NOT or ZYGOTE_WHY_NOT}")
    script = (
        "import os\n"
        "from mnist_course.sandbox import StudentProcess, student_process as sp\n"
        "assert sp.use_zygote(('keras',)) == ''\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    with StudentProcess(['import keras', 'def f():\\n    return 1']) as p:\n"
        "        print(type(p._process).__name__, p.call('f'), flush=True)\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ZygoteChild", "1"]


def test_the_zygote_serves_on_when_a_worker_stops_waiting_for_its_fork(zygote, tmp_path):
    """A grader that stopped waiting (killed, or timed out) before the zygote answered: the
    fork is stopped, and the next process is forked as usual."""
    process = StudentProcess(CELLS)
    limits = {**process.limits, "max_message": process.max_message, "cell_timeout": 30}
    limits["scratch"] = str(zygote.scratch)
    stdin_read, stdin_write = os.pipe()
    stdout_read, stdout_write = os.pipe()
    reply, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    reply.close()  # gone before the answer comes
    with open(tmp_path / "log", "ab") as log:
        request = json.dumps({"limits": limits}).encode()
        fds = [stdin_read, stdout_write, log.fileno(), theirs.fileno()]
        socket.send_fds(zygote._socket, [request], fds)
    for fd in (stdin_read, stdout_write, stdin_write, stdout_read):
        os.close(fd)
    theirs.close()
    with StudentProcess(CELLS) as process:
        assert process.forked
        assert process.call("identity", 7) == 7


def test_the_zygote_and_its_folder_are_gone_when_a_pool_worker_ends(tmp_path):
    """A grading pool's worker ends through multiprocessing, which runs no atexit handler:
    the zygote it started, and the zygote's folder, must not outlive it."""
    if not (BWRAP and ZYGOTE_WORKS):
        skip_or_fail_in_ci(f"no zygote here: {WHY_NOT or ZYGOTE_WHY_NOT}")
    script = (
        "import concurrent.futures, multiprocessing\n"
        "from mnist_course.sandbox import student_process as sp\n"
        "def start():\n"
        "    assert sp.use_zygote(()) == ''\n"
        "    return str(sp._ZYGOTE.scratch.parent), sp._ZYGOTE._process.pid\n"
        "if __name__ == '__main__':\n"
        "    context = multiprocessing.get_context('fork')\n"
        "    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:\n"
        "        print(*pool.submit(start).result())\n"
    )
    (tmp_path / "script.py").write_text(script)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(tmp_path / "script.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    folder, pid = done.stdout.split()
    assert not os.path.exists(folder)
    assert not os.path.exists(f"/proc/{pid}")
