"""Build step: the wheel carries the course's lessons and released exercises.

pyproject.toml holds the package's metadata; this file only adds, at build time, a copy of
``lessons/`` and ``exercises/`` (the one copy in the repository) as ``mnist_course/_course/``
in the built package, which ``mnist-course init`` copies into a student's folder.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# the folders a student works in; notebooks and the self-check's conftest.py
COURSE_FOLDERS = ("lessons", "exercises")
SKIP = shutil.ignore_patterns(".*", "__pycache__", "*.pyc")


class build_py_with_course(build_py):
    """setuptools' build_py, then the course's folders copied into the built package."""

    def run(self):
        super().run()
        target = Path(self.build_lib, "mnist_course", "_course")
        for folder in COURSE_FOLDERS:
            source = Path(folder)
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source.resolve()} is missing; build from a clone")
            shutil.rmtree(target / folder, ignore_errors=True)
            shutil.copytree(source, target / folder, ignore=SKIP)


setup(cmdclass={"build_py": build_py_with_course})
