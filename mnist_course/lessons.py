"""Run the lesson notebooks in a real kernel and render them to HTML for publishing.

The lessons are stored without outputs. :func:`render_lessons` executes each one top to
bottom in a fresh kernel, as a student would, and writes the executed notebook as a
self-contained HTML page (plots embedded) plus an ``index.html`` that links them.

Executed notebooks are kept in one cache (:func:`execute_cached`), keyed on the notebook's
code cells and on the package's source files: ``mnist-course lessons``, ``mnist-course site``
and the lesson tests share it, so a lesson runs again only when its code or the package
changed; an edit to its prose takes the outputs from the cache.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import time
from pathlib import Path

import nbformat

from ._errors import CourseError, InputMissing, OutputExists

LESSONS_DIR = Path("lessons")
"""Where the lesson notebooks live, relative to the repository root."""

CACHE_ENV = "MNIST_COURSE_EXECUTED"
"""Environment variable naming the folder of executed lessons (default lessons/.cache/executed)."""

PACKAGE_DIR = Path(__file__).resolve().parent

CELL_TIMEOUT = 300
"""Seconds one cell may run before the execution is stopped as hung."""

KERNEL_NAME = "python3"


class LessonError(CourseError, RuntimeError):
    """A lesson raised an error while it was executed."""


def lesson_paths(folder=LESSONS_DIR):
    """Return the lesson notebooks in ``folder`` in reading order (``01_...``, ``02_...``).

    Parameters
    ----------
    folder : str or Path, default "lessons"

    Returns
    -------
    list of Path

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("02_b.ipynb", "01_a.ipynb", "notes.ipynb"):
    ...     _ = (folder / name).write_text("{}")
    >>> [p.name for p in lesson_paths(folder)]
    ['01_a.ipynb', '02_b.ipynb']
    """
    folder = Path(folder)
    paths = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not paths:
        raise InputMissing(
            f"no lesson notebooks (named like 01_data_preparation.ipynb) in {folder.resolve()}; "
            "run from the repository root or pass the lessons folder."
        )
    return paths


def output_problems(notebook):
    """List what keeps a notebook from being stored clean: outputs, execution counts, timings.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    list of str
        One line per offending cell; empty when the notebook is clean.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    >>> output_problems(nb)
    []
    >>> nb.cells[0].execution_count = 3
    >>> output_problems(nb)
    ['cell 1: execution count 3']
    """
    problems = []
    for number, cell in enumerate(notebook.cells, start=1):
        if "execution" in cell.metadata:
            problems.append(f"cell {number}: execution timing in its metadata")
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {number}: {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {number}: execution count {cell.execution_count}")
    return problems


def clear_outputs(path):
    """Remove outputs, execution counts and execution timings from a notebook file, in place.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    bool
        True if the file changed.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "n.ipynb"
    >>> cell = nbformat.v4.new_code_cell("1", execution_count=1)
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    >>> clear_outputs(path), clear_outputs(path)
    (True, False)
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    if not output_problems(notebook):
        return False
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(notebook, path)
    return True


def execute_notebook(path, *, timeout=CELL_TIMEOUT, cwd=None, kernel_name=KERNEL_NAME):
    """Execute a notebook top to bottom in a fresh kernel and return the executed copy.

    The file itself is not changed. The kernel starts in ``cwd`` (by default the notebook's
    folder, as in JupyterLab), so files a lesson writes land next to it.

    Parameters
    ----------
    path : str or Path
    timeout : int, default 300
        Seconds any one cell may run.
    cwd : str or Path, optional
    kernel_name : str, default "python3"
        The ``python3`` kernel runs the same Python as the caller.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises; the message names the cell and shows its traceback.
    """
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    folder = Path(cwd) if cwd is not None else path.parent
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(folder)}},
        extra_arguments=[
            # keep the kernel's own start-up log lines (not the cells' output) off the terminal
            "--IPKernelApp.log_level=ERROR",
            # record what each plot shows, for the alt text of the published pages
            f"--IPKernelApp.exec_files={PACKAGE_DIR / '_figure_alt.py'}",
        ],
    )
    client.execute()
    return notebook


def cache_dir(folder=LESSONS_DIR):
    """Return the folder of executed lessons: ``$MNIST_COURSE_EXECUTED``, else
    ``<folder>/.cache/executed``.

    Parameters
    ----------
    folder : str or Path, default "lessons"
        The lessons folder, used when the environment variable is not set.

    Returns
    -------
    Path

    Examples
    --------
    >>> cache_dir("lessons").parts[-2:] if CACHE_ENV not in os.environ else (".cache", "executed")
    ('.cache', 'executed')
    """
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path(folder) / ".cache" / "executed"


def package_hash():
    """Return a SHA-256 of the package's Python source files (names and contents).

    Returns
    -------
    str
        64 hexadecimal digits; it changes whenever a file of ``mnist_course`` changes.

    Examples
    --------
    >>> len(package_hash())
    64
    """
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_hash(notebook, *, package=None):
    """Return the cache key of a lesson: a SHA-256 of its code cells and the package's source.

    Markdown cells, outputs, execution counts and metadata do not count: the key of a stored
    (clean) lesson equals the key of its executed copy, and an edit to the prose keeps it.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
    package : str, optional
        :func:`package_hash`, computed when not given.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    >>> key = source_hash(nb, package="p")
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]
    >>> nb.cells.insert(0, nbformat.v4.new_markdown_cell("# New prose"))
    >>> source_hash(nb, package="p") == key, source_hash(nb, package="q") == key
    (True, False)
    """
    digest = hashlib.sha256((package_hash() if package is None else package).encode())
    for source in _code(notebook):
        digest.update(b"\0" + source.encode())
    return digest.hexdigest()


def _code(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _cache_path(path, notebook, cache):
    return Path(cache) / f"{Path(path).stem}-{source_hash(notebook)[:16]}.ipynb"


def _with_outputs(notebook, executed):
    """The stored notebook (its current prose) with the outputs of its executed copy."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    ran = [cell for cell in executed.cells if cell.cell_type == "code"]
    for cell, done in zip(code, ran, strict=True):
        cell.outputs = done.outputs
        cell.execution_count = done.execution_count
    notebook.metadata = executed.metadata
    return notebook


def cached_notebook(path, *, cache=None):
    """Return the executed copy of the lesson at ``path`` from the cache, or None.

    Parameters
    ----------
    path : str or Path
        The stored lesson.
    cache : str or Path, optional
        Default :func:`cache_dir` of the lesson's folder.

    Returns
    -------
    nbformat.NotebookNode or None
        The lesson as it is stored now, prose included, with the outputs of its executed
        copy; None when its code or the package changed since it was executed.
    """
    path = Path(path)
    cache = cache_dir(path.parent) if cache is None else cache
    notebook = nbformat.read(path, as_version=4)
    entry = _cache_path(path, notebook, cache)
    if not entry.is_file():
        return None
    return _with_outputs(notebook, nbformat.read(entry, as_version=4))


def store_executed(path, executed, *, cache=None):
    """Save the executed copy of the lesson at ``path`` in the cache; drop its older copies.

    Parameters
    ----------
    path : str or Path
        The stored lesson (its name and cells make the key).
    executed : nbformat.NotebookNode
        What :func:`execute_notebook` returned for it.
    cache : str or Path, optional
        Default :func:`cache_dir` of the lesson's folder.

    Returns
    -------
    Path
        The cache entry written.
    """
    path = Path(path)
    cache = Path(cache_dir(path.parent) if cache is None else cache)
    stored = nbformat.read(path, as_version=4)
    if _code(stored) != _code(executed):
        raise ValueError(f"the executed notebook is not {path}: their code cells differ")
    entry = _cache_path(path, stored, cache)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{path.stem}-*.ipynb"):
        if old != entry:
            old.unlink(missing_ok=True)
    partial = entry.with_suffix(f".{os.getpid()}.tmp")
    nbformat.write(executed, partial)
    partial.replace(entry)
    return entry


def execute_cached(path, *, timeout=CELL_TIMEOUT, cache=None):
    """Return the executed lesson from the cache, executing (and caching) it when missing.

    Parameters
    ----------
    path : str or Path
    timeout : int, default 300
        Seconds any one cell may run.
    cache : str or Path, optional
        Default :func:`cache_dir` of the lesson's folder.

    Returns
    -------
    notebook : nbformat.NotebookNode
    from_cache : bool
    """
    notebook = cached_notebook(path, cache=cache)
    if notebook is not None:
        return notebook, True
    notebook = execute_notebook(path, timeout=timeout)
    store_executed(path, notebook, cache=cache)
    return notebook, False


def with_alt_text(page, notebook):
    """Give each plot of a rendered notebook the alt text recorded when it was executed.

    :func:`execute_notebook` records, for every figure, what its titles,
    axis labels and legend say it shows (``metadata["image/png"]["alt"]``). HTML renderers
    leave that out; this puts it on the matching ``<img>``.

    Parameters
    ----------
    page : str
        HTML in which plots are embedded as ``data:image/png;base64,...``.
    notebook : nbformat.NotebookNode
        The executed notebook the page was rendered from.

    Returns
    -------
    str

    Examples
    --------
    >>> out = nbformat.v4.new_output("display_data", data={"image/png": "iVBO"})
    >>> out.metadata = {"image/png": {"alt": "Plot: 'loss' against epoch"}}
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[out])])
    >>> with_alt_text('<img alt="No description" src="data:image/png;base64,iVBO">', nb)
    '<img alt="Plot: &#x27;loss&#x27; against epoch" src="data:image/png;base64,iVBO">'
    """
    alts = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if data and alt:
                alts["".join(data.split())] = alt

    def replace(match):
        tag = match.group(0)
        source = re.search(r'src="data:image/png;base64,([^"]*)"', tag)
        alt = alts.get("".join(source.group(1).split())) if source else None
        if alt is None:
            return tag
        tag = re.sub(r'\s+alt="[^"]*"', "", tag)
        return f'<img alt="{html.escape(alt)}"' + tag[len("<img") :]

    return re.sub(r"<img\b[^>]*>", replace, page)


def to_html(notebook):
    """Render an (executed) notebook as one self-contained HTML page, plots embedded.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    str

    Examples
    --------
    >>> page = to_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hi")]))
    >>> "<html" in page
    True
    """
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    return with_alt_text(body, notebook)


def _index_page(entries):
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>'
        for name, title in entries
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>MNIST with Keras: lessons'
        f"</title></head>\n<body><h1>MNIST with Keras: lessons</h1>\n<ol>\n{items}\n</ol>\n"
        "</body></html>\n"
    )


def title(notebook, default):
    """Return the text of the notebook's first ``# `` heading, or ``default``.

    Examples
    --------
    >>> title(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson 1")]), "x")
    'Lesson 1'
    """
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def render_lessons(out, *, folder=LESSONS_DIR, force=False, timeout=CELL_TIMEOUT, log=print):
    """Execute every lesson in a fresh kernel and write it as HTML into ``out``.

    A lesson that is unchanged since it was last executed (and the package too) is taken
    from the cache (:func:`execute_cached`) instead.

    Parameters
    ----------
    out : str or Path
        Folder for ``01_....html`` ... and ``index.html``; created if missing. A folder
        that already holds files is refused unless ``force`` is true.
    folder : str or Path, default "lessons"
    force : bool, default False
        Replace the HTML pages of the same names in a non-empty ``out``.
    timeout : int, default 300
        Seconds any one cell may run.
    log : callable, default print
        Receives one progress line per lesson.

    Returns
    -------
    list of Path
        The pages written, ``index.html`` last.
    """
    from nbclient.exceptions import CellExecutionError

    out = Path(out)
    paths = lesson_paths(folder)
    if out.exists() and not out.is_dir():
        raise OutputExists(f"{out} is a file; expected a folder for the HTML pages.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputExists(
            f"{out} already holds files; choose an empty folder, or pass --force to replace "
            "the lesson pages in it."
        )
    out.mkdir(parents=True, exist_ok=True)
    written, entries = [], []
    for path in paths:
        start = time.perf_counter()
        try:
            notebook, from_cache = execute_cached(path, timeout=timeout)
        except CellExecutionError as error:
            raise LessonError(f"{path} failed; nothing was written for it.\n{error}") from None
        target = out / f"{path.stem}.html"
        target.write_text(to_html(notebook), encoding="utf-8")
        written.append(target)
        entries.append((target.name, title(notebook, path.stem)))
        how = "code unchanged, from the cache" if from_cache else "executed"
        log(f"{path.name}: {how} in {time.perf_counter() - start:.0f} s -> {target}")
    index = out / "index.html"
    index.write_text(_index_page(entries), encoding="utf-8")
    written.append(index)
    return written
