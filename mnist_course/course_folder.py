"""A student's course folder: the lessons and the released exercises, copied out of the
installed package (``mnist-course init DIR``)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

COURSE_FOLDERS = ("lessons", "exercises")
"""The folders a student works in, as the repository lays them out."""


def course_source():
    """The folder holding ``lessons/`` and ``exercises/``.

    A wheel carries them as ``mnist_course/_course/`` (setup.py copies them there at build
    time); a clone, or an editable install of one, reads them from the repository's root.

    Returns
    -------
    pathlib.Path

    >>> sorted(path.name for path in course_source().iterdir() if path.name in COURSE_FOLDERS)
    ['exercises', 'lessons']
    """
    packaged = Path(str(resources.files(__package__) / "_course"))
    if packaged.is_dir():
        return packaged
    clone = Path(__file__).resolve().parents[1]
    if all((clone / folder).is_dir() for folder in COURSE_FOLDERS):
        return clone
    raise FileNotFoundError(
        f"no lessons or exercises next to the package in {packaged.parent}; expected "
        "mnist_course/_course/ in an installed wheel or lessons/ and exercises/ in a clone: "
        "reinstall the course (pip install --force-reinstall mnist-course)"
    )


def course_files():
    """Every file of the course's folders, as paths relative to :func:`course_source`.

    Returns
    -------
    list of pathlib.Path, sorted

    >>> files = course_files()
    >>> Path("exercises/conftest.py") in files, Path("lessons/01_data_preparation.ipynb") in files
    (True, True)
    """
    source = course_source()
    files = []
    for folder in COURSE_FOLDERS:
        for path in (source / folder).rglob("*"):
            relative = path.relative_to(source)
            hidden = any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
            if path.is_file() and not hidden:
                files.append(relative)
    return sorted(files)


def init_folder(folder, *, log=print):
    """Copy the lessons and exercises into ``folder``, never overwriting a file there.

    Parameters
    ----------
    folder : str or pathlib.Path
        Created if missing.
    log : callable, default print
        Told each file written or kept.

    Returns
    -------
    (written, skipped) : two lists of pathlib.Path, relative to ``folder``
    """
    folder = Path(folder)
    source = course_source()
    written, skipped = [], []
    for relative in course_files():
        target = folder / relative
        if target.exists():
            skipped.append(relative)
            log(f"kept {target}: it exists (not overwritten)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)
        written.append(relative)
        log(f"wrote {target}")
    return written, skipped
