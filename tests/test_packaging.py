"""Packaging: ranges in pyproject.toml, exact versions in constraints.txt, a student's install
set that resolves on each platform, and a wheel that carries MNIST."""

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
import zipfile

import pytest
from helpers import ROOT
from packaging.markers import default_environment
from packaging.requirements import Requirement

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

NOT_FOR_STUDENTS = {
    "selenium": "a browser driver",
    "psycopg": "a database driver",
    "psycopg-binary": "a database driver",
    "psycopg2": "a database driver",
    "psycopg2-binary": "a database driver",
    "ruff": "a linter",
    "nbgrader": "the instructor's grading tool",
    "mkdocs": "the website's builder",
}
"""Packages a student's install must not bring, and what each is."""

STUDENT_PLATFORMS = {
    # name: (pip's --platform tags, the environment markers a Python there reports); pip
    # widens a macOS tag to older releases itself, not a manylinux one
    "macOS arm64": (
        ("macosx_14_0_arm64",),
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    ),
    "Windows": (
        ("win_amd64",),
        {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
    ),
    "Linux": (
        tuple(
            f"{tag}_x86_64"
            for tag in (
                *(f"manylinux_2_{minor}" for minor in range(28, 4, -1)),
                *("manylinux2014", "manylinux2010", "manylinux1"),  # 2_17, 2_12, 2_5
            )
        ),
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    ),
}

PYTHONS = ("3.11", "3.12", "3.13")


def _name(requirement):
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _requirements():
    """Every requirement of the package and its extras, less an extra's use of another."""
    groups = PROJECT["optional-dependencies"].values()
    extras = [r for group in groups for r in group if not r.startswith("mnist-course[")]
    return PROJECT["dependencies"] + extras


def _constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = re.fullmatch(r"([\w.-]+)==([\w.]+)", line).groups()
            pins[_name(name)] = version
    return pins


def test_every_dependency_is_a_compatible_range_not_a_pin():
    for requirement in _requirements():
        specifier = Requirement(requirement).specifier
        operators = {spec.operator for spec in specifier}
        assert operators == {">=", "<"}, f"{requirement}: expected a range >=low,<high"


def test_constraints_pin_every_dependency_within_its_range():
    pins = _constraints()
    for requirement in map(Requirement, _requirements()):
        name = _name(str(requirement))
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {requirement}"
        if "binary" in requirement.extras:
            assert pins.get(f"{name}-binary") == pins[name], f"{name}-binary is not pinned alike"


def test_python_311_to_313_are_supported():
    assert PROJECT["requires-python"] == ">=3.11,<3.14"
    classifiers = [c for c in PROJECT.get("classifiers", []) if "Python :: 3." in c]
    assert classifiers == [f"Programming Language :: Python :: {v}" for v in PYTHONS]


def test_environment_yml_installs_the_course_with_the_constraints():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- -c constraints\.txt$", text, re.M), text
    assert re.search(r"^\s+- -e \.$", text, re.M), text
    assert "python>=3.11,<3.14" in text


def _student_requirements(markers):
    """The base install's requirements whose markers hold on a platform, markers removed.

    pip evaluates a requirement's markers against the Python that runs it, not against
    ``--platform``, so the top level's markers (TensorFlow's build) are decided here."""
    chosen = []
    for requirement in map(Requirement, PROJECT["dependencies"]):
        if requirement.marker is None or requirement.marker.evaluate(markers):
            requirement.marker = None
            chosen.append(str(requirement))
    return chosen


@pytest.mark.parametrize("platform", STUDENT_PLATFORMS)
def test_students_tensorflow_is_the_build_with_wheels_there(platform):
    markers = {**default_environment(), **STUDENT_PLATFORMS[platform][1]}
    names = {_name(r) for r in _student_requirements(markers)}
    expected = "tensorflow" if platform.startswith("macOS") else "tensorflow-cpu"
    assert expected in names and {"tensorflow", "tensorflow-cpu"} - {expected} - names


def _pypi_reachable():
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def registry():
    """Skip without PyPI; in CI (CI=true), which reaches it, fail instead."""
    if not _pypi_reachable():
        if os.environ.get("CI"):
            pytest.fail("PyPI is not reachable from CI")
        pytest.skip("PyPI is not reachable")


@pytest.mark.registry
@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", STUDENT_PLATFORMS)
def test_students_install_resolves_with_wheels_only(registry, platform, python, tmp_path):
    """pip resolves the student's set at the constraints' versions from wheels alone for the
    platform and Python, and the set brings no browser driver, database driver or linter.

    Markers of the dependencies' own requirements are evaluated by pip for this machine (a
    limit of ``--platform``); the top level's are evaluated for the target."""
    tags, markers = STUDENT_PLATFORMS[platform]
    markers = {**default_environment(), **markers, "python_version": python}
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--only-binary=:all:",
            *(f"--platform={tag}" for tag in tags),
            f"--python-version={python}",
            "--implementation=cp",
            f"--target={tmp_path / 'target'}",
            f"--report={report}",
            "-c",
            str(ROOT / "constraints.txt"),
            *_student_requirements(markers),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    installed = {
        _name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    tensorflow = "tensorflow" if platform.startswith("macOS") else "tensorflow-cpu"
    pins = _constraints()
    for name in ("numpy", "keras", tensorflow, "matplotlib", "jupyterlab", "pytest"):
        assert installed.get(name) == pins[name], f"{name}: {installed.get(name)}"
    unwanted = {name: what for name, what in NOT_FOR_STUDENTS.items() if name in installed}
    assert not unwanted, f"a student's install brings {unwanted}"


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
