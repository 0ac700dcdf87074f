"""The student's process: only data crosses, the limits hold, and the sandbox hides the course."""

import functools
import io
import os
import pickle
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import ROOT, skip_or_fail_in_ci

from mnist_course.sandbox import (
    CallTimedOut,
    NoSuchFunction,
    ProcessDied,
    RefusedValue,
    StudentProcess,
    StudentRaised,
    bubblewrap_status,
    wire,
)
from mnist_course.sandbox.student_process import bubblewrap_command

BWRAP, WHY_NOT = bubblewrap_status()


def needs_bubblewrap(test):
    """Run ``test`` where bubblewrap works; skip it elsewhere, but fail it in CI (CI=true;
    .ci/run installs Debian's bubblewrap), where a skip would hide a sandbox that broke."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        if not BWRAP:
            skip_or_fail_in_ci(f"bubblewrap cannot run here: {WHY_NOT}")
        return test(*args, **kwargs)

    return run


CELLS = [
    "%xmode Minimal\n%matplotlib inline\nimport os, time, uuid\nimport numpy as np",
    "TOKEN = uuid.uuid4().hex  # new each time the cells run",
    """\
def identity(value):
    return value

def token():
    return TOKEN

def zeros(n):
    return np.zeros(n)

def fail():
    raise ValueError("x_train has shape (3,); expected (60000, 784)")

class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")

def fail_badly():
    raise Unprintable()

def hang():
    while True:
        try:
            time.sleep(1)
        except BaseException:
            pass

def crash():
    os._exit(3)

def segfault():
    import ctypes
    ctypes.string_at(0)

def allocate(gib):
    return len(bytearray(int(gib * 2**30)))

def returns(kind):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch pickled",))
    return {"set": {1}, "function": identity, "evil": Evil(), "objects": np.array([None])}[kind]

def environment():
    return dict(os.environ)

def read(path):
    with open(path) as file:
        return file.read()

def write(path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as file:
        file.write("written by the student")
    return os.path.exists(path)

def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return "connected"
    except OSError as error:
        return type(error).__name__

def lift_memory_limit():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    return "lifted"

import socket
numpy_allclose = np.allclose
np.allclose = lambda *args, **kwargs: True  # a patch in the student's process only
""",
]

VALUES = [
    None,
    True,
    -3,
    2**70,
    2.5,
    float("inf"),
    "été",
    [],
    [1, [2, "x"]],
    (1, (2.0, None)),
    {"loss": [0.5, 0.25], 3: ("a",), (1, 2): None},
    np.arange(12, dtype=np.float32).reshape(3, 4),
    np.zeros((2, 0), dtype=np.uint8),
    np.array([True, False]),
    np.float64(0.875),
    np.int64(7),
    {"x": np.ones((2, 2)), "y": [np.int32(1)]},
]


def same(a, b):
    """Equal values of the same types, arrays included (dtype and shape too)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b or (a != a and b != b)


@pytest.fixture(scope="module")
def student():
    """One student's process for the tests that leave it running."""
    with StudentProcess(CELLS, timeout=30) as process:
        yield process


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
@pytest.mark.sandbox
def test_plain_values_and_arrays_cross_both_ways_unchanged(student, value):
    assert same(student.call("identity", value), value)


def test_the_wire_itself_round_trips_without_a_process():
    tree, blobs = wire.encode(VALUES)
    header, read = wire.read_message(io.BytesIO(b"".join(wire.frames(tree, blobs))).read)
    assert same(wire.decode(header["value"], read), VALUES)


@pytest.mark.parametrize(
    ("kind", "named"),
    [("set", "builtins.set"), ("function", "function"), ("evil", "Evil"), ("objects", "dtype")],
)
@pytest.mark.sandbox
def test_other_types_are_refused_with_their_name(student, kind, named):
    with pytest.raises(RefusedValue, match=named) as refused:
        student.call("returns", kind)
    if kind != "objects":
        assert "the checks accept numpy arrays, numbers, strings" in str(refused.value)
    assert not (student.scratch / "pickled").exists()
    assert student.call("identity", 1) == 1  # the process still serves


@pytest.mark.sandbox
def test_the_parent_refuses_to_pass_what_is_not_data(student):
    with pytest.raises(wire.UnsupportedValue, match="passed a builtins.set"):
        student.call("identity", {1, 2})


def test_a_pickled_payload_is_never_unpickled():
    ran = []

    class Payload:
        def __reduce__(self):
            return (ran.append, ("code ran",))

    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload()], dtype=object), allow_pickle=True)
    pickled = pickle.dumps(Payload())
    for tree, blobs in [({"a": 0}, [buffer.getvalue()]), ({"s": 0}, [pickled])]:
        with pytest.raises(wire.ProtocolError):
            wire.decode(tree, blobs)
    assert ran == []


@pytest.mark.sandbox
def test_reading_results_never_calls_pickle(student, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle was called")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    for value in VALUES:
        assert same(student.call("identity", value), value)


def test_a_message_larger_than_the_limit_is_refused_before_it_is_read():
    forged = (2**62).to_bytes(8, "big")
    with pytest.raises(wire.ProtocolError, match="more than 1 MB"):
        wire.read_message(io.BytesIO(forged).read, limit=2**20)


@pytest.mark.sandbox
def test_a_result_larger_than_the_limit_is_refused_with_a_message():
    with StudentProcess(CELLS, max_message=2**20) as process:
        with pytest.raises(RefusedValue, match=r"zeros\(\) returned more than 1 MB of data"):
            process.call("zeros", 2**18)  # 2 MB of float64
        assert process.call("zeros", 2).shape == (2,)
        with pytest.raises(wire.UnsupportedValue, match="passed more than 1 MB"):
            process.call("identity", np.zeros(2**18))


@pytest.mark.sandbox
def test_the_students_exception_arrives_as_a_message(student):
    with pytest.raises(StudentRaised) as raised:
        student.call("fail")
    assert raised.value.type_name == "ValueError"
    assert "x_train has shape (3,)" in raised.value.message
    assert "in fail(), cell 2" in str(raised.value)
    with pytest.raises(StudentRaised, match=r"Unprintable: \(its message could not be read\)"):
        student.call("fail_badly")


@pytest.mark.sandbox
def test_a_name_that_is_not_a_function_says_so(student):
    with pytest.raises(NoSuchFunction, match=r"no function build_mlp\(\) \(found nothing"):
        student.call("build_mlp")
    with pytest.raises(NoSuchFunction, match="found a str"):
        student.call("TOKEN")


@pytest.mark.sandbox
def test_magics_are_transformed_and_the_cells_ran(student):
    assert student.cell_errors == []
    assert len(student.call("token")) == 32


@pytest.mark.sandbox
def test_a_cell_that_raises_or_hangs_is_recorded_and_the_next_cells_still_run():
    cells = ["x = 1 / 0", "while True:\n    pass", *CELLS]
    with StudentProcess(cells, cell_timeout=1) as process:
        assert process.call("identity", 5) == 5
    (first, divided), (second, hung) = process.cell_errors
    assert (first, second) == (0, 1)
    assert divided.startswith("ZeroDivisionError: division by zero (in <module>(), cell 0")
    assert hung == "did not finish within 1 s"


@pytest.mark.sandbox
def test_a_cell_that_swallows_the_time_limit_or_exits_costs_only_itself():
    swallow = (
        "while True:\n    try:\n        time.sleep(0.2)\n    except BaseException:\n        pass"
    )
    cells = [*CELLS, swallow, "AFTER = 1", "os._exit(4)", "AFTER += 1"]
    started = time.monotonic()
    with StudentProcess(cells, cell_timeout=1) as process:
        assert process.call("identity", 5) == 5
        assert process.value("AFTER") == 2
        stopped = process.cell_errors
        assert process.run_cells(["AFTER += 1"]) == ([], [""])
        assert process.value("AFTER") == 3
    assert time.monotonic() - started < 30
    n = len(CELLS)
    assert stopped == [
        (n, "TimeoutError: did not finish within 1 s and was stopped"),
        (n + 2, "ProcessDied: this cell stopped the student's process (exit code 4)"),
    ]


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
@pytest.mark.sandbox
def test_the_student_cannot_start_processes_but_threads_run(sandbox):
    cells = [
        "import os, subprocess, threading",
        """\
def start(how):
    try:
        if how == "fork":
            if os.fork() == 0:
                os._exit(0)
        else:
            subprocess.run(["true"])
    except OSError as error:
        return str(error)
    return "started"

def thread():
    done = []
    worker = threading.Thread(target=done.append, args=[1])
    worker.start()
    worker.join()
    return done
""",
    ]
    with StudentProcess(cells, sandbox=sandbox) as process:
        assert process.call("start", "fork") == "[Errno 1] Operation not permitted"
        assert process.call("start", "subprocess") == "[Errno 1] Operation not permitted"
        assert process.call("thread") == [1]
        assert "may start others" not in process.output()


@pytest.mark.sandbox
def test_a_replaced_builtin_stays_the_students_and_results_still_cross():
    """``builtins.len`` replaced in a cell is the student's for the student's functions; the
    child's own code (encoding a result) runs with Python's, and tracing stays the student's."""
    cells = [
        *CELLS,
        "import builtins, sys\nbuiltins.len = lambda value: 60000\n"
        "builtins.isinstance = lambda value, kind: True\nprint(len('abc'))",
        "calls = []\nsys.settrace(lambda frame, event, arg: calls.append(event))",
        "def size(value):\n    return len(value)",
        "def traced():\n    return bool(calls)",
    ]
    with StudentProcess(cells) as process:
        assert process.cell_errors == []
        assert process.cell_outputs[len(CELLS)] == "60000\n"
        assert process.call("size", [1, 2]) == 60000
        assert process.call("traced") is True
        assert np.array_equal(process.call("zeros", 3), np.zeros(3))
        assert process.call("identity", {"a": (1, 2)}) == {"a": (1, 2)}


@pytest.mark.sandbox
def test_a_patch_in_the_students_process_does_not_change_the_parents_judgment(student):
    returned = student.call("identity", np.zeros(3))
    assert not np.allclose(returned, np.ones(3))


@pytest.mark.sandbox
def test_no_variable_of_the_grading_process_reaches_the_child(monkeypatch):
    monkeypatch.setenv("MNIST_COURSE_DB_URL", "postgresql://grader:secret@localhost/gradebook")
    monkeypatch.setenv("SOME_PASSWORD", "secret")
    with StudentProcess(CELLS) as process:
        environment = process.call("environment")
        scratch = str(process.scratch)
    assert "MNIST_COURSE_DB_URL" not in environment and "SOME_PASSWORD" not in environment
    assert environment["HOME"] == scratch and environment["MPLBACKEND"] == "Agg"
    assert environment["TF_ENABLE_ONEDNN_OPTS"] == "0"
    # one thread for TensorFlow and numpy: the student's process shares the cores
    assert environment["TF_NUM_INTRAOP_THREADS"] == environment["OPENBLAS_NUM_THREADS"] == "1"
    # and numpy asks for no huge pages, which can stall it for seconds in the kernel
    assert environment["NUMPY_MADVISE_HUGEPAGE"] == "0"


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
@pytest.mark.sandbox
def test_a_hang_is_stopped_and_the_next_call_runs_the_cells_again(sandbox):
    with StudentProcess(CELLS, timeout=2, sandbox=sandbox) as process:
        first = process.call("token")
        with pytest.raises(CallTimedOut, match=r"hang\(\) took longer than 2 s"):
            process.call("hang")
        again = process.call("token")
    assert len(again) == 32 and again != first


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
@pytest.mark.sandbox
def test_a_crash_is_reported_and_the_next_call_works(sandbox):
    with StudentProcess(CELLS, sandbox=sandbox) as process:
        with pytest.raises(ProcessDied, match=r"crash\(\) stopped .* \(exit code 3\)"):
            process.call("crash")
        with pytest.raises(ProcessDied, match="killed by signal SIGSEGV"):
            process.call("segfault")
        assert process.call("identity", "still here") == "still here"


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
@pytest.mark.sandbox
def test_a_memory_bomb_is_stopped_by_the_limit(sandbox):
    with StudentProcess(CELLS, memory=2**30, sandbox=sandbox) as process:
        with pytest.raises(StudentRaised, match="MemoryError"):
            process.call("allocate", 1.5)
        assert process.call("allocate", 0.25) == 2**28


@pytest.mark.sandbox
def test_without_bubblewrap_the_rlimits_still_hold_and_say_so(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    bubblewrap_status.cache_clear()
    try:
        process = StudentProcess(CELLS, memory=2**30)
    finally:
        monkeypatch.undo()
        bubblewrap_status.cache_clear()
    assert process.containment == "rlimits only (bubblewrap not found)"
    with process:
        with pytest.raises(StudentRaised, match="MemoryError"):
            process.call("allocate", 1.5)
        assert process.call("identity", [1]) == [1]


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
@pytest.mark.sandbox
def test_a_process_started_ahead_is_taken_fresh_by_the_next_with_the_same_limits(sandbox):
    ahead = StudentProcess([], timeout=30, sandbox=sandbox, preload=("keras",)).start_ahead()
    pid = ahead._process.pid
    # the next one with the same limits (preload aside) takes it and runs its cells in it
    with StudentProcess(CELLS, timeout=30, sandbox=sandbox) as taken:
        assert taken._process.pid == pid
        assert taken.call("identity", [1, 2]) == [1, 2]
        assert taken.names  # the cells ran in it, as in a process started then
        first = taken.call("token")
    assert not _alive(pid)  # closed with the one that took it
    # one that differs in a limit starts its own; the one ahead is stopped, not left waiting
    ahead = StudentProcess([], timeout=30, sandbox=sandbox).start_ahead()
    pid = ahead._process.pid
    with StudentProcess(CELLS, timeout=30, memory=2**30, sandbox=sandbox) as other:
        assert other._process.pid != pid
        assert other.call("token") != first
    assert not _alive(pid)


@pytest.mark.sandbox
def test_a_preloaded_module_is_whole_before_the_first_cell_runs():
    """The preload imports Keras in a thread while the process waits for its cells; a cell
    that used TensorFlow while that import was still under way could meet it half made."""
    first = (
        "import sys\n"
        "keras_module = sys.modules.get('keras')\n"
        "whole = keras_module is not None and hasattr(keras_module, 'Sequential')\n"
        "def seen():\n    return whole\n"
    )
    with StudentProcess([first], timeout=60, preload=("keras",)) as process:
        assert process.call("seen") is True


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


FOREVER = "import threading, time\nthreading.Thread(target=lambda: time.sleep(3600)).start()"
"""A cell that keeps the child alive after its pipes close, as a thread left running would."""


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
@pytest.mark.sandbox
def test_the_child_is_stopped_when_the_grading_process_exits_without_closing(sandbox):
    script = (
        "from mnist_course.sandbox import StudentProcess\n"
        f"process = StudentProcess([{FOREVER!r}], sandbox={sandbox!r}).__enter__()\n"
        "print(process._process.pid)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout)
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)


@needs_bubblewrap
@pytest.mark.sandbox
def test_under_bubblewrap_the_network_is_unreachable(student):
    assert student.containment == "bubblewrap"
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert student.call("connect", port) != "connected"
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # open to the parent


@needs_bubblewrap
@pytest.mark.sandbox
def test_under_bubblewrap_only_the_scratch_folder_is_writable(student, tmp_path):
    outside = tmp_path / "course" / "grading" / "forged.txt"
    student.call("write", str(outside))  # it lands in the child's own empty /tmp
    assert not outside.exists()
    assert student.call("write", "notes.txt")
    assert (student.scratch / "notes.txt").read_text() == "written by the student"
    with pytest.raises(StudentRaised, match="Read-only file system"):
        student.call("write", os.path.join(sys.prefix, "planted.py"))
    for path in READ_ONLY_PLACES:  # the sandbox's own folders, the course's on the import path
        with pytest.raises(StudentRaised, match="Read-only file system"):
            student.call("write", path)


READ_ONLY_PLACES = [
    "/planted.txt",
    "/etc/planted.txt",
    "/dev/planted.txt",
    "/dev/shm/planted.txt",
    *([] if ROOT.is_relative_to("/tmp") else [str(ROOT / "planted.py")]),
]
"""Places bubblewrap makes folders in (the root and /dev are its tmpfs) that the child cannot
write: a file there would outlive the child in a sandbox that forks the next one. The
course's folder is on the import path; under /tmp (a CI clone) it is in the child's /tmp,
which the zygote empties between forks (``tests/test_zygote.py`` plants a module there)."""


@needs_bubblewrap
@pytest.mark.sandbox
def test_under_bubblewrap_the_course_and_other_submissions_cannot_be_read(student, tmp_path):
    secret = tmp_path / "grading" / "hidden_tests.txt"
    secret.parent.mkdir()
    secret.write_text("the hidden tests")
    with pytest.raises(StudentRaised, match="FileNotFoundError"):
        student.call("read", str(secret))
    for path in [ROOT / "solutions" / "ex01_data" / "ex01_data.ipynb", ROOT / "README.md"]:
        assert path.exists()
        with pytest.raises(StudentRaised, match="FileNotFoundError"):
            student.call("read", str(path))


@needs_bubblewrap
@pytest.mark.sandbox
def test_under_bubblewrap_the_grading_process_is_out_of_sight(student):
    """Its environment (a gradebook's password, say) cannot be read through /proc either."""
    assert os.getpid() > 100
    with pytest.raises(StudentRaised, match="FileNotFoundError"):
        student.call("read", f"/proc/{os.getpid()}/environ")


@needs_bubblewrap
@pytest.mark.sandbox
def test_under_bubblewrap_the_child_cannot_lift_its_limits(student):
    with pytest.raises(StudentRaised, match="ValueError|PermissionError"):
        student.call("lift_memory_limit")


KERAS_CELLS = [
    "%xmode Minimal\nimport keras\nimport numpy as np\nimport mnist_course",
    """\
def build(units):
    return mnist_course.build_mlp(hidden_units=(units,), seed=0)

def predict(model, x):
    return model.predict(x, verbose=0)

def fit(model, x, y, epochs):
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
""",
]


@pytest.fixture(scope="module")
def keras_student():
    """A student's process that imports Keras and TensorFlow (under bubblewrap where it works)."""
    with StudentProcess(KERAS_CELLS, timeout=120) as process:
        yield process


@pytest.mark.sandbox
def test_keras_models_and_histories_cross_as_saved_files(keras_student):
    import keras

    assert keras_student.cell_errors == []
    model = keras_student.call("build", 16)
    assert isinstance(model, keras.Model) and model.count_params() == 784 * 16 + 16 + 17 * 10
    x = np.random.default_rng(0).random((8, 784), dtype=np.float32)
    # the parent's model goes in, the child's predictions come back, as the parent computes them
    np.testing.assert_allclose(keras_student.call("predict", model, x), model(x), atol=1e-6)


@pytest.mark.sandbox
def test_a_model_changed_by_the_call_comes_back_changed(keras_student):
    import keras

    model = keras_student.call("build", 8)
    x = np.random.default_rng(1).random((32, 784), dtype=np.float32)
    y = np.arange(32) % 10
    history, args, kwargs = keras_student.call_with_arguments("fit", model, x, y, epochs=2)
    assert isinstance(history, keras.callbacks.History)
    assert len(history.history["loss"]) == 2 and history.params["epochs"] == 2
    trained = args[0]
    assert trained.optimizer is not None
    assert not np.allclose(trained.get_weights()[0], model.get_weights()[0])
    # what the call did not change does not travel back: the caller has it
    assert args[1:] == [None, None] and kwargs == {"epochs": None}
    _, args, _ = keras_student.call_with_arguments("predict", trained, x)
    assert args == [None, None]


def test_a_model_with_code_from_outside_keras_is_refused(tmp_path):
    import keras

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    data = wire.save_model(model, tmp_path)
    with pytest.raises(Exception, match="[Ll]ambda|safe_mode|outside"):
        wire.load_model(data, tmp_path)
    assert list(tmp_path.iterdir()) == []  # the file it was read from is gone


@pytest.mark.full_data
def test_the_courses_own_train_runs_in_the_sandbox_and_the_parent_judges_the_model():
    """ex05's flow, out of process: the parent compiles the model, the child trains it, the
    parent measures the loss of the model that comes back."""
    from mnist_course import training
    from mnist_course.checks._inputs import train_subset
    from mnist_course.checks._reference import eager_loss, reference_model
    from mnist_course.notebook import ANSWER, SETUP, cells_to_run, read_notebook_json

    notebook = read_notebook_json(ROOT / "solutions" / "ex05_training" / "ex05_training.ipynb")
    code = [cell.source for cell in cells_to_run(notebook) if cell.kind in (SETUP, ANSWER)]
    x_train, y_train = train_subset(2000)
    model = training.compile_model(reference_model(0), steps_per_execution=1)
    with StudentProcess(code, timeout=120) as process:
        assert process.cell_errors == []
        runs = [
            process.call_with_arguments("train", model, x_train, y_train, epochs=2, seed=0)
            for _ in range(2)
        ]
    (history, (trained, *_), _), (again, _, _) = runs
    assert len(history.history["loss"]) == 2 and trained.steps_per_execution == 1
    assert eager_loss(trained, x_train, y_train) < eager_loss(model, x_train, y_train)
    np.testing.assert_allclose(again.history["loss"], history.history["loss"], rtol=1e-6)


def test_the_fresh_tmp_is_mounted_before_the_binds_so_a_course_under_tmp_stays_visible(tmp_path):
    # a bind made before --tmpfs /tmp would vanish under it: a CI clone lives in /tmp
    command = bubblewrap_command(tmp_path)
    tmpfs = command.index("--tmpfs")
    binds = [
        i for i, word in enumerate(command) if word in ("--ro-bind", "--ro-bind-try", "--bind")
    ]
    assert binds and tmpfs < min(binds)


IN_PLACE_CELLS = [
    "import numpy as np",
    """\
def scale(x):
    x *= 2
    return None

def scale_copy(x):
    return x * 2

def append(items, value):
    items.append(value)
    items[0] = "changed"

def update(table, **more):
    table.update(more)
    del table["gone"]

def shape_in_place(x):
    x.shape = (x.size,)
""",
]


@pytest.fixture(scope="module")
def in_place_run():
    from mnist_course.sandbox.notebook_run import NotebookRun

    with NotebookRun(timeout=60) as run:
        assert all(result.passed for result in run.student_cells(IN_PLACE_CELLS))
        yield run


def _check_cell(run, source):
    result = run.test_cell(source)
    assert result.passed, result.error


@pytest.mark.sandbox
def test_an_array_changed_in_place_comes_back_into_the_checks_own(in_place_run):
    _check_cell(
        in_place_run,
        """\
x = np.arange(6, dtype=np.float64).reshape(2, 3)
original = x.copy()
assert scale(x) is None
assert np.array_equal(x, 2 * original), x
rows = np.zeros((4, 3))
scale(rows[1:3])  # a view: the write reaches its base, as in one process
assert rows[1:3].sum() == 0 and rows.sum() == 0
part = np.ones((4, 3))
scale(part[1:3])
assert part.sum() == 12 + 2 * 6 - 6, part
kept = np.ones(3)
scale_copy(kept)
assert np.array_equal(kept, np.ones(3))
""",
    )


@pytest.mark.sandbox
def test_a_list_appended_to_comes_back(in_place_run):
    _check_cell(
        in_place_run,
        """\
items = ["first", 2]
alias = items
append(items, np.int64(3))
assert alias is items and items == ["changed", 2, 3], items
""",
    )


@pytest.mark.sandbox
def test_a_dict_updated_comes_back(in_place_run):
    _check_cell(
        in_place_run,
        """\
table = {"gone": 1, "kept": [1, 2]}
update(table, added=np.zeros(2))
assert sorted(table) == ["added", "kept"] and table["kept"] == [1, 2], table
assert np.array_equal(table["added"], np.zeros(2))
""",
    )


@pytest.mark.sandbox
def test_only_what_the_call_changed_crosses_back_and_read_only_arrays_stay(in_place_run):
    process = in_place_run.process
    x, items = np.ones(3), [1]
    _, args, kwargs = process.call_with_arguments("scale_copy", x)
    assert args == [None] and kwargs == {}
    _, args, kwargs = process.call_with_arguments("append", items, value=5)
    assert args[0] == ["changed", 5] and kwargs == {"value": None} and items == [1]
    _check_cell(
        in_place_run,
        """\
frozen = np.ones(3)
frozen.setflags(write=False)
try:
    scale(frozen)
except ValueError as error:
    assert "read-only" in str(error)
else:
    raise AssertionError("a read-only array was written to")
assert np.array_equal(frozen, np.ones(3))
grid = np.zeros((2, 2))
shape_in_place(grid)
assert grid.shape == (4,)
""",
    )


@pytest.mark.sandbox
def test_a_model_trained_by_the_students_function_is_the_checks_own_after(keras_student):
    from mnist_course.sandbox.notebook_run import StudentFunction

    model = keras_student.call("build", 8)
    untrained = [weights.copy() for weights in model.get_weights()]
    x = np.random.default_rng(2).random((32, 784), dtype=np.float32)
    y = np.arange(32) % 10
    history = StudentFunction(keras_student, "fit")(model, x, y, epochs=1)
    assert len(history.history["loss"]) == 1
    assert model.compiled and not np.allclose(model.get_weights()[0], untrained[0])


# --- watches: a check's context around a call, run in the student's process ----------------


@pytest.mark.sandbox
def test_a_watch_runs_around_the_call_in_the_students_process_and_its_record_comes_back(
    in_place_run,
):
    """ex08's seed record: the student's process records what the student's function passed
    to the course's functions, and the check reads it here."""
    run = in_place_run
    run.student_cells(
        [
            "import mnist_course\n"
            "def seeded(n):\n"
            "    for seed in range(n):\n"
            "        mnist_course.build_mlp(hidden_units=(2,), seed=seed)\n"
            "    return n\n"
        ]
    )
    _check_cell(
        run,
        "from mnist_course.checks.ex08_experiments import _seeds_passed\n"
        "with _seeds_passed(seeded) as calls:\n"
        "    assert seeded(2) == 2\n"
        "assert calls == [('build_mlp', 0), ('build_mlp', 1)], calls\n",
    )


@pytest.mark.sandbox
def test_a_watch_that_fails_the_call_fails_the_check_with_its_message(in_place_run):
    """ex07's seal: a function that reads the test set while sealed fails with the seal's
    message, raised in the student's process and said here as a check's failure."""
    run = in_place_run
    run.student_cells(
        ["import mnist_course\ndef peeks():\n    return len(mnist_course.load_mnist()[1][0])\n"]
    )
    result = run.test_cell(
        "from mnist_course.checks.ex07_overfitting import sealed_test_set\n"
        "with sealed_test_set(peeks, 'peeks()'):\n"
        "    peeks()\n"
    )
    kind, message = result.error
    assert kind == "CheckFailed" and "(its test set) while choosing" in message, result.error


@pytest.mark.sandbox
def test_a_call_can_name_only_the_courses_marked_watches(student):
    """The student's process finds a watch by name among the course's marked ones only: not
    any function of the course, and nothing outside it."""
    for name in ("os:system", "mnist_course.data:load_mnist", "mnist_course.checks:nothing"):
        with pytest.raises(RefusedValue, match="watch"):
            student.exchange("identity", [1], {}, watch={"name": name, "params": []})
