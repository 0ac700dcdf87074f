"""A course notebook as nbgrader marks it up: which cell is which, and the model answers.

Every exercise notebook is made of the same few kinds of cells, told apart by nbgrader's cell
metadata (``cell["metadata"]["nbgrader"]``):

========== ========================================================= ====================
kind       what it is                                                nbgrader metadata
========== ========================================================= ====================
setup      read-only code the notebook needs (imports, data)         locked, not graded
answer     code the student writes (``### BEGIN SOLUTION`` in the    ``solution: true``
           source notebook, ``raise NotImplementedError()`` in the
           release)
test       a graded check of an answer, maybe with hidden tests      graded, not solution
written    a written answer, graded by hand                          markdown, solution
                                                                     and graded
own        a cell the student added                                  none
markdown   any other text cell                                       (any)
raw        a raw cell, which nothing runs                            (any)
========== ========================================================= ====================

Notebooks are read as plain JSON (:func:`read_notebook_json`), not with nbformat: importing
nbformat costs about a second in every self-check process. The functions that take a cell or
a notebook accept both plain dicts and nbformat's ``NotebookNode``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

SETUP = "setup"
ANSWER = "answer"
TEST = "test"
WRITTEN = "written"
OWN = "own"
MARKDOWN = "markdown"
RAW = "raw"

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"

WRITTEN_PLACEHOLDER = "YOUR ANSWER HERE"

DEMONSTRATIONS = "demonstrations"
"""Key, under the notebook's ``metadata["mnist_course"]``, of the digests of its demonstration
cells (:func:`mark_demonstrations`): the released ones, that grading and the self-check do not
run while the student leaves them as they are."""
"""What nbgrader puts in a written-answer cell for the student to replace."""


@dataclass(frozen=True)
class GradeCell:
    """A graded test cell: its grade_id, the first line of its docstring, points and code."""

    grade_id: str
    description: str
    points: float
    source: str


@dataclass(frozen=True)
class WrittenAnswer:
    """A markdown answer that the instructor grades by hand."""

    grade_id: str
    points: float
    source: str


@dataclass(frozen=True, eq=False)
class CodeCell:
    """A code cell that grading and the self-check run (:func:`cells_to_run`)."""

    cell: dict
    """The notebook's cell itself (grading writes its outputs there)."""
    kind: str
    grade_id: str
    """``""`` for a cell without one."""
    source: str
    after: tuple[str, str] | None
    """``(kind, grade_id)`` of the last test, setup or answer cell with a grade_id before it,
    None if there is none: a cell without a grade_id is named after it in messages."""


def nbgrader_metadata(cell):
    """Return a cell's nbgrader metadata, ``{}`` for a cell without any.

    Parameters
    ----------
    cell : dict or nbformat.NotebookNode

    Returns
    -------
    dict

    Examples
    --------
    >>> nbgrader_metadata({"cell_type": "code", "metadata": {}, "source": "x = 1"})
    {}
    """
    return cell.get("metadata", {}).get("nbgrader", {})


def cell_kind(cell):
    """Say which kind of course cell this is: setup, answer, test, written, own, markdown, raw.

    Parameters
    ----------
    cell : dict or nbformat.NotebookNode

    Returns
    -------
    str
        One of :data:`SETUP`, :data:`ANSWER`, :data:`TEST`, :data:`WRITTEN`, :data:`OWN`,
        :data:`MARKDOWN`, :data:`RAW`.

    Examples
    --------
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 2}}
    >>> cell_kind({"cell_type": "code", "metadata": meta, "source": "check(normalize)"})
    'test'
    >>> cell_kind({"cell_type": "code", "metadata": {}, "source": "print(x.shape)"})
    'own'
    """
    meta = nbgrader_metadata(cell)
    if cell["cell_type"] == "markdown":
        return WRITTEN if meta.get("solution") and meta.get("grade") else MARKDOWN
    if cell["cell_type"] != "code":
        return RAW
    if meta.get("grade") and not meta.get("solution"):
        return TEST
    if meta.get("solution"):
        return ANSWER
    if meta.get("locked"):
        return SETUP
    return OWN


def cell_source(cell):
    """Return a cell's source as one string (plain JSON may store it as a list of lines).

    Parameters
    ----------
    cell : dict or nbformat.NotebookNode

    Returns
    -------
    str

    Examples
    --------
    >>> cell_source({"cell_type": "code", "source": ["x = 1\\n", "y = 2"]})
    'x = 1\\ny = 2'
    """
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def read_notebook_json(path):
    """Read a notebook file as plain JSON (fast: no nbformat), checking it is nbformat 4.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        The notebook, with its ``"cells"`` as stored.

    Examples
    --------
    >>> notebook = read_notebook_json("solutions/ex01_data/ex01_data.ipynb")
    >>> notebook["nbformat"], len(notebook["cells"]) > 10
    (4, True)
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    if notebook.get("nbformat") != 4:
        raise ValueError(f"{path}: nbformat {notebook.get('nbformat')}; expected 4.")
    return notebook


def find_cell(notebook, grade_id):
    """Return the cell of a notebook with this nbgrader ``grade_id``.

    Parameters
    ----------
    notebook : dict or nbformat.NotebookNode
    grade_id : str

    Returns
    -------
    dict or nbformat.NotebookNode
        The cell itself, so that changing it changes the notebook.

    Examples
    --------
    >>> notebook = read_notebook_json("solutions/ex01_data/ex01_data.ipynb")
    >>> cell_kind(find_cell(notebook, "normalize"))
    'answer'
    """
    for cell in notebook["cells"]:
        if nbgrader_metadata(cell).get("grade_id") == grade_id:
            return cell
    raise LookupError(f"no cell with grade_id {grade_id!r} in the notebook")


def model_answer(source):
    """Return an answer cell's source without nbgrader's solution markers.

    The code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` stays, in place: the
    result is the complete answer a student could hand in.

    Parameters
    ----------
    source : str
        An answer cell's source in the source notebook (``solutions/``).

    Returns
    -------
    str

    Examples
    --------
    >>> source = "def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION"
    >>> print(model_answer(source))
    def f(x):
        return x
    """
    markers = (BEGIN_SOLUTION, END_SOLUTION)
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def model_answers(notebook):
    """Return the model answers of a source notebook: ``{grade_id: answer}``.

    Answer cells come without their solution markers (:func:`model_answer`); written answers
    as they are.

    Parameters
    ----------
    notebook : dict or nbformat.NotebookNode
        A source notebook (``solutions/``).

    Returns
    -------
    dict
        ``grade_id -> source`` of each answer and written answer, in notebook order.

    Examples
    --------
    >>> answers = model_answers(read_notebook_json("solutions/ex01_data/ex01_data.ipynb"))
    >>> sorted(answers)[:3]
    ['normalize', 'one_hot', 'pixel_position']
    """
    answers = {}
    for cell in notebook["cells"]:
        kind = cell_kind(cell)
        if kind in (ANSWER, WRITTEN):
            source = cell_source(cell)
            grade_id = nbgrader_metadata(cell)["grade_id"]
            answers[grade_id] = model_answer(source) if kind == ANSWER else source
    return answers


def hidden_tests(source):
    """Return the lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.

    Parameters
    ----------
    source : str
        A test cell's source.

    Returns
    -------
    list of str
        The hidden lines, blank ones included; ``[]`` for a cell without hidden tests.

    Examples
    --------
    >>> source = "check(f)\\n### BEGIN HIDDEN TESTS\\ncheck(f, x=2)\\n### END HIDDEN TESTS"
    >>> hidden_tests(source)
    ['check(f, x=2)']
    """
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN_HIDDEN_TESTS:
            inside = True
        elif line.strip() == END_HIDDEN_TESTS:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def describe_test(source, default=""):
    """Return the first line of a test cell's docstring: what the test checks.

    Parameters
    ----------
    source : str
        A test cell's source.
    default : str
        What to return for an empty cell, e.g. its grade_id.

    Returns
    -------
    str

    Examples
    --------
    >>> describe_test('\"\"\"Check that normalize scales pixels\"\"\"\\ncheck(normalize)')
    'Check that normalize scales pixels'
    """
    first = source.strip().splitlines()[0] if source.strip() else ""
    return first.strip('"').strip("'").strip() or default


def read_notebook(path):
    """Read an exercise notebook's test cells and written answers, the items it grades.

    Which code cells run is :func:`cells_to_run`'s to say.

    Parameters
    ----------
    path : str or Path
        An exercise (or solution) notebook with nbgrader metadata.

    Returns
    -------
    tests : list of GradeCell
    written : list of WrittenAnswer

    Examples
    --------
    >>> tests, written = read_notebook("solutions/ex01_data/ex01_data.ipynb")
    >>> [test.grade_id for test in tests][:3]
    ['test_split_labels', 'test_normalize', 'test_one_hot']
    """
    tests, written = [], []
    for cell in read_notebook_json(path)["cells"]:
        kind = cell_kind(cell)
        meta = nbgrader_metadata(cell)
        grade_id = meta.get("grade_id", "")
        source = cell_source(cell)
        if kind == WRITTEN:
            written.append(WrittenAnswer(grade_id, meta.get("points", 0), source))
        elif kind == TEST:
            description = describe_test(source, grade_id)
            tests.append(GradeCell(grade_id, description, meta.get("points", 0), source))
    return tests, written


def source_digest(source):
    """A cell source's digest, as :data:`DEMONSTRATIONS` lists them.

    Examples
    --------
    >>> source_digest("print(x.shape)")
    'f4730632f652fdab'
    """
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def demonstration_digests(notebook):
    """The digests of a notebook's demonstration cells: its code cells without nbgrader
    metadata (``print(x.shape)``, a short training run to look at), which call the
    student's functions to show what they do and decide no points."""
    return sorted(
        {
            source_digest(cell_source(cell))
            for cell in notebook["cells"]
            if cell_kind(cell) == OWN and cell_source(cell).strip()
        }
    )


def released_demonstrations(notebook):
    """The digests the notebook's metadata lists (:data:`DEMONSTRATIONS`), as a frozenset."""
    listed = notebook.get("metadata", {}).get("mnist_course", {}).get(DEMONSTRATIONS, [])
    return frozenset(digest for digest in listed if isinstance(digest, str))


def is_unchanged_demonstration(cell, digests):
    """Whether a code cell is one of the demonstrations ``digests`` lists, as released."""
    return cell_kind(cell) == OWN and source_digest(cell_source(cell)) in digests


def cells_to_run(notebook, demonstrations=frozenset()):
    """Return the code cells that grading and the self-check run, in notebook order.

    Every code cell runs except a demonstration that the student left as released and a cell
    without code. A test cell always runs; which source it runs with is the caller's to say
    (grading takes the gradebook's, hidden tests included).

    Parameters
    ----------
    notebook : dict or nbformat.NotebookNode
    demonstrations : set of str
        The digests of the released demonstration cells (:func:`demonstration_digests` of
        the release, or :func:`released_demonstrations` of the notebook).

    Returns
    -------
    list of CodeCell

    Examples
    --------
    >>> notebook = read_notebook_json("solutions/ex01_data/ex01_data.ipynb")
    >>> cells = cells_to_run(notebook, released_demonstrations(notebook))
    >>> [(cell.kind, cell.grade_id) for cell in cells[2:5]]
    [('answer', 'split_labels'), ('test', 'test_split_labels'), ('answer', 'normalize')]
    """
    cells, after = [], None
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or is_unchanged_demonstration(cell, demonstrations):
            continue
        kind, source = cell_kind(cell), cell_source(cell)
        grade_id = nbgrader_metadata(cell).get("grade_id", "")
        if kind == TEST or source.strip():
            cells.append(CodeCell(cell, kind, grade_id, source, after))
        if kind == TEST or (kind != OWN and grade_id):
            after = (kind, grade_id)
    return cells


def mark_demonstrations(path):
    """Write the digests of a source notebook's demonstration cells into its metadata.

    Run it on ``solutions/<exercise>/<exercise>.ipynb`` after changing a demonstration cell,
    then generate the release again (nbgrader keeps the notebook's metadata);
    ``tests/test_notebook.py`` says when one is out of date. Returns whether it changed.
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    digests = demonstration_digests(notebook)
    course = notebook.metadata.setdefault("mnist_course", {})
    if course.get(DEMONSTRATIONS) == digests:
        return False
    course[DEMONSTRATIONS] = digests
    nbformat.write(notebook, path)
    return True
