"""Packaging: ranges in pyproject.toml, exact versions in constraints.txt, a student's install
set that resolves on each platform, and a wheel that carries MNIST."""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT, import_or_fail_in_ci, skip_or_fail_in_ci
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
        skip_or_fail_in_ci("PyPI is not reachable")


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
    for module in (*modules, "sandbox/student_process", "sandbox/child", "sandbox/wire"):
        assert f"mnist_course/{module}.py" in names


BLOCK_GRADING_TOOLS = '''
import importlib.abc
import sys


class BlockGradingTools(importlib.abc.MetaPathFinder):
    """Tools a student's install does not have: importing one fails as if it were absent."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"nbgrader", "psycopg", "selenium", "ruff", "mkdocs"}:
            raise ModuleNotFoundError(f"No module named {name!r} (not in a student's install)")


sys.meta_path.insert(0, BlockGradingTools())
'''
"""A module the fresh environment imports at start (through a .pth file): without it the
grading tools of the test's own environment would be importable there."""


def _fresh_environment(folder):
    """A virtual environment outside the repository that sees this environment's packages
    (numpy, Keras, TensorFlow, JupyterLab, pytest) but not its course, nor the grading tools.

    Its own site-packages comes first on ``sys.path``; a .pth file there adds this
    environment's site-packages after it as a plain folder (so this environment's own .pth
    files, the editable install of the course among them, are not run)."""
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    paths = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (Path(site) / "_host_packages.pth").write_text("\n".join(sorted(paths)) + "\n")
    (Path(site) / "_block_grading_tools.py").write_text(BLOCK_GRADING_TOOLS)
    (Path(site) / "_block_grading_tools.pth").write_text("import _block_grading_tools\n")
    return python


@pytest.mark.registry
@pytest.mark.training
@pytest.mark.notebooks
def test_a_wheel_built_from_the_sdist_gives_a_student_a_working_course_folder(registry, tmp_path):
    """python -m build (an sdist, then the wheel from it); the wheel installed into a fresh
    environment outside the repository; there, mnist-course init, train and the self-check
    (with rlimits only: under bubblewrap the student's process would not see the packages
    this test lends the fresh environment)."""
    import_or_fail_in_ci("build", 'pip install -e ".[dev]"')
    dist = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (sdist,) = dist.glob("mnist_course-*.tar.gz")
    (wheel,) = dist.glob("mnist_course-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mnist_course/_course/exercises/conftest.py" in names
    assert "mnist_course/_course/exercises/ex01_data/ex01_data.ipynb" in names
    assert "mnist_course/_course/lessons/01_data_preparation.ipynb" in names
    assert not [name for name in names if "/_course/solutions" in name or "checkpoint" in name]

    python = _fresh_environment(tmp_path / "venv")
    # the fresh environment has no pip of its own: this one installs into it
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--ignore-installed",
            "-q",
            wheel,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # bubblewrap would show the student's process only the fresh environment, not the
    # packages it borrows from this one: a bwrap that cannot start leaves rlimits alone
    no_bwrap = tmp_path / "no-bwrap"
    no_bwrap.mkdir()
    (no_bwrap / "bwrap").write_text("#!/bin/sh\necho bubblewrap is off in this test >&2\nexit 1\n")
    (no_bwrap / "bwrap").chmod(0o755)
    env["PATH"] = f"{no_bwrap}{os.pathsep}{env['PATH']}"
    work = tmp_path / "student"
    work.mkdir()

    def run(*args, cwd=work, timeout=600):
        return subprocess.run(
            [python, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
        )

    where = run("-c", "import mnist_course; print(mnist_course.__file__)")
    assert where.stdout.startswith(str(tmp_path / "venv")), where.stdout + where.stderr
    blocked = run("-c", "import nbgrader")
    assert "not in a student's install" in blocked.stderr, blocked.stderr
    shown = run("-m", "mnist_course", "--version")
    assert shown.stdout.split() == ["mnist-course", _package_version()], shown.stdout

    init = run("-m", "mnist_course", "init", "course")
    assert init.returncode == 0, init.stderr
    folder = work / "course"
    assert (folder / "exercises/conftest.py").is_file()
    assert (folder / "lessons/01_data_preparation.ipynb").is_file()
    again = run("-m", "mnist_course", "init", "course")
    assert "0 files written" in again.stdout and "kept " in again.stdout, again.stdout

    train = run("-m", "mnist_course", "train")
    assert train.returncode == 0, train.stderr[-3000:]
    accuracy = float(re.search(r"test accuracy: ([\d.]+)", train.stdout)[1])
    assert accuracy >= 0.95, train.stdout

    selfcheck = ("-m", "pytest", "-p", "no:cacheprovider", "exercises/ex01_data")
    check = run(*selfcheck, cwd=folder, timeout=900)
    assert check.returncode == 1, check.stdout[-3000:] + check.stderr[-3000:]
    assert "not implemented yet: " in check.stdout and " failed in " in check.stdout
    shutil.copy(ROOT / "solutions/ex01_data/ex01_data.ipynb", folder / "exercises/ex01_data")
    check = run(*selfcheck, cwd=folder, timeout=900)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert re.search(r"\b\d+ passed in ", check.stdout), check.stdout
    with tarfile.open(sdist) as archive:
        top = sdist.name[: -len(".tar.gz")]
        assert f"{top}/lessons/01_data_preparation.ipynb" in archive.getnames()


def _package_version():
    text = (ROOT / "mnist_course" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M)[1]
