"""Packaging: the wheel carries MNIST, and pip and conda pin the same versions."""

import re
import subprocess
import sys
import tomllib
import zipfile

import pytest
from helpers import ROOT

CONDA_NAMES = {"isal": "python-isal"}


PIN = r"([\w.-]+)(?:\[[\w,]+\])?==([\w.]+)"
"""A pinned requirement, with its extras if any: ``psycopg[binary]==3.3.9``."""


PYPI_ONLY_EXTRAS = {"site"}
"""Extras that environment.yml leaves to pip (it says so): the website's build tools."""


def _requirements(*, skip=()):
    """Every requirement of the package and its extras, less an extra's use of another."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = project["optional-dependencies"]
    extras = [r for name, group in groups.items() if name not in skip for r in group]
    return project["dependencies"] + [r for r in extras if not r.startswith("mnist-course[")]


def _pip_pins():
    requirements = _requirements(skip=PYPI_ONLY_EXTRAS)
    return dict(re.fullmatch(PIN, requirement).groups() for requirement in requirements)


def _conda_pins():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s+- ([\w.-]+)=([\w.]+)", line)
        if match:
            pins[match[1]] = match[2]
    return pins


def test_every_dependency_is_pinned_to_one_version():
    for requirement in _requirements():
        assert re.fullmatch(PIN, requirement), requirement


def test_environment_yml_pins_the_same_versions_as_pyproject():
    pip, conda = _pip_pins(), _conda_pins()
    expected = {CONDA_NAMES.get(name, name): version for name, version in pip.items()}
    assert {name: conda.get(name) for name in expected} == expected
    assert conda["python"] == "3.11"


@pytest.mark.full_data
def test_the_wheel_carries_the_four_mnist_files_their_checksums_and_the_subpackages(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("mnist_course-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "SHA256SUMS.raw",
        "README.md",
    ):
        assert f"mnist_course/mnist_data/{name}" in names
    modules = ("notebook", "grading/preprocessors", "selfcheck/checker", "selfcheck/plugin")
    for module in (*modules, "sandbox/parent", "sandbox/child", "sandbox/wire"):
        assert f"mnist_course/{module}.py" in names
