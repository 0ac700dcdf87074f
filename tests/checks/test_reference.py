"""The course's reference runs stored once per class (``_reference.stored``): used only with
the same key and intact, written whole."""

import json
import threading

import numpy as np
import pytest

from mnist_course.checks import _reference
from mnist_course.checks._reference import CACHE_VARIABLE, fingerprint, stored


class Runs:
    """A reference run that counts how often it really ran."""

    def __init__(self, value):
        self.value, self.count = value, 0

    def __call__(self):
        self.count += 1
        return self.value


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    return tmp_path


def test_without_a_folder_every_call_runs(monkeypatch):
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    run = Runs({"relu": 0.5})
    assert stored("run", {"seed": 0}, run) == stored("run", {"seed": 0}, run) == {"relu": 0.5}
    assert run.count == 2


def test_the_same_key_runs_once_and_gives_the_same_values(folder):
    run = Runs({"relu": 0.8125, "sigmoid": 1 / 3})
    first = stored("run", {"seed": 0}, run)
    assert stored("run", {"seed": 0}, run) == first == run.value
    assert run.count == 1
    assert [path.suffix for path in folder.iterdir()] == [".json"]  # no temporary file left


def test_other_arguments_or_data_run_again(folder):
    run = Runs([1.0])
    stored("run", {"seed": 0, "data": fingerprint(np.zeros(3))}, run)
    stored("run", {"seed": 1, "data": fingerprint(np.zeros(3))}, run)
    stored("run", {"seed": 0, "data": fingerprint(np.ones(3))}, run)
    assert run.count == 3


def test_an_entry_of_another_environment_is_not_used(folder, monkeypatch):
    """Another package, Keras, TensorFlow, backend, processor or data: another key."""
    run = Runs([1.0])
    stored("run", {}, run)
    environment = _reference._run_dependencies()
    monkeypatch.setattr(_reference, "_run_dependencies", lambda: {**environment, "keras": "0.0"})
    stored("run", {}, run)
    assert run.count == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: entry | {"value": [0.0]},  # changed without its digest
        lambda entry: entry | {"key": {**entry["key"], "name": "other"}},  # another key
        lambda entry: "half an entry",
    ],
)
def test_a_damaged_or_changed_entry_is_run_again_and_replaced(folder, damage):
    run = Runs([0.75])
    stored("run", {}, run)
    (path,) = folder.iterdir()
    entry = json.loads(path.read_text())
    damaged = damage(entry)
    path.write_text(json.dumps(damaged)[:20] if isinstance(damaged, str) else json.dumps(damaged))
    assert stored("run", {}, run) == [0.75]
    assert run.count == 2
    assert json.loads(path.read_text()) == entry


def test_numpy_results_come_back_as_plain_numbers_stored_or_not(folder):
    value = stored("run", {}, lambda: [float(np.float32(0.1))])
    assert value == stored("run", {}, lambda: None) == [float(np.float32(0.1))]


def test_graders_side_by_side_never_read_half_an_entry(folder):
    values = {f"epoch{i}": [float(j) for j in range(2000)] for i in range(4)}
    results, errors = [], []

    def grade():
        try:
            for _ in range(20):
                results.append(stored("run", {}, lambda: values))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=grade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(result == values for result in results)
