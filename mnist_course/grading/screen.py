"""The submission screen, run before nbgrader grades a student: what nbgrader cannot see.

It reads the submitted folder and notebooks only, and changes nothing: a notebook that is
missing or renamed (:func:`notebook_problems`), and answer code that reaches the checks or
the import system (:func:`tampering`), which a person should look at.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import nbformat

from ..notebook import ANSWER, OWN, cell_kind, nbgrader_metadata


def notebook_problems(folder, expected):
    """Say which expected notebooks are missing from a submitted folder, and what is there.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "ex01_data (1).ipynb").write_text("{}")
    >>> notebook_problems(folder, ["ex01_data"])  # doctest: +NORMALIZE_WHITESPACE
    ['ex01_data.ipynb is missing (it scores 0); ex01_data (1).ipynb was submitted instead:
      if it is the same notebook renamed, rename it to ex01_data.ipynb and grade again
      with --force']
    """
    found = sorted(path.stem for path in Path(folder).glob("*.ipynb"))
    extra = [name for name in found if name not in expected]
    problems = []
    for name in expected:
        if name in found:
            continue
        problem = f"{name}.ipynb is missing (it scores 0)"
        guess = difflib.get_close_matches(name, extra, n=1, cutoff=0.5)
        if guess:
            problem += (
                f"; {guess[0]}.ipynb was submitted instead: if it is the same notebook "
                f"renamed, rename it to {name}.ipynb and grade again with --force"
            )
        problems.append(problem)
    return problems


TAMPERING = re.compile(
    r"\bimportlib\b|\bbuiltins\b|__import__|\bsys\.modules\b|\bmnist_course\.checks\b"
    r"|\b(?:np|numpy|keras|tf|tensorflow|mnist_course)(?:\.\w+)+\s*=(?!=)"
    r"|\bMNIST_COURSE_REFERENCE_CACHE\b|\bgrading/references\b"
)
"""Code that has no place in an answer: it reaches the checks, the import system or a library,
or the course's stored reference runs (``grading/references/``)."""

SCREENED = (ANSWER, OWN)
"""The kinds of cells screened: the student's code. nbgrader restores test and setup cells."""


def tampering(path):
    """Return the answer cells of a notebook whose code reaches the checks or the import system.

    The checks run in nbgrader's process, where none of the student's code runs, so patching
    them in the student's process cannot change how they judge (``docs/grading-guarantees.md``
    says what is left without bubblewrap). Such code has no place in an answer
    and is worth a look by hand.

    Examples
    --------
    >>> import tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> path = Path(tempfile.mkdtemp()) / "ex01_data.ipynb"
    >>> cell = new_code_cell("importlib.reload = lambda module: module")
    >>> cell.metadata["nbgrader"] = {"grade_id": "normalize", "solution": True}
    >>> nbformat.write(new_notebook(cells=[cell]), path)
    >>> tampering(path)
    ['cell normalize: importlib']
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable notebook is nbgrader's to report
        return []
    found = []
    for index, cell in enumerate(nb.cells):
        if cell_kind(cell) not in SCREENED:
            continue
        match = TAMPERING.search(cell.source)
        if match:
            grade_id = nbgrader_metadata(cell).get("grade_id", index)
            found.append(f"cell {grade_id}: {match.group(0).strip()}")
    return found
