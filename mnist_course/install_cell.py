"""The notebooks' first code cell for Colab, Binder and hubs: it installs the course (this
release) where ``mnist_course`` is not importable, and does nothing where it is; and the
links that open a notebook in Colab or Binder. Both come from one repository address,
``[project.urls] Repository`` in pyproject.toml (``--repository`` overrides it).

``mnist-course install-cell`` inserts the cell into every notebook, or updates it in place,
and writes the table of Colab and Binder links in the student guide (``docs/students.md``,
between :data:`LINKS_START` and :data:`LINKS_END`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import quote

from . import __version__

MARK = "mnist_course"
"""The cell's metadata key: ``{"mnist_course": {"install_cell": true}}``."""

NBGRADER = {
    "grade": False,
    "grade_id": "install_course",
    "locked": True,
    "schema_version": 3,
    "solution": False,
    "task": False,
}
"""The cell's nbgrader metadata in an exercise: read-only, worth no points."""

SOURCE = """\
# In Colab or on a hub without the course: install it (release {version}), keeping the
# Keras and TensorFlow already there. Where the course is installed this does nothing.
import importlib.util

if importlib.util.find_spec("mnist_course") is None:
    keep = "--no-deps" if importlib.util.find_spec("tensorflow") else ""
    %pip install --quiet {{keep}} "mnist-course @ git+{repository}@v{version}\""""


def repository(root="."):
    """The repository address in ``root``'s pyproject.toml (``[project.urls] Repository``).

    >>> repository().startswith("https://github.com/")
    True
    """
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        path = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if not path.is_file():
        raise ValueError(f"no pyproject.toml in {Path(root).resolve()}: pass the address")
    urls = tomllib.loads(path.read_text())["project"].get("urls", {})
    if "Repository" not in urls:
        raise ValueError(f"{path} has no [project.urls] Repository; add the course's address")
    return urls["Repository"].rstrip("/")


def _github(address):
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?", address)
    if not match:
        raise ValueError(f"{address!r}: expected https://github.com/OWNER/NAME")
    return match.groups()


def install_source(address, *, version=__version__):
    """The install cell's source for the course at ``address``, release ``version``.

    >>> print(install_source("https://github.com/o/mnist-course", version="0.1.0").splitlines()[-1])
        %pip install --quiet {keep} "mnist-course @ git+https://github.com/o/mnist-course@v0.1.0"
    """
    _github(address)
    return SOURCE.format(repository=address, version=version)


def colab_url(address, path, *, version=__version__):
    """Colab's address for the notebook ``path`` (relative to the repository) at the release.

    >>> colab_url("https://github.com/o/c", "lessons/01_data.ipynb", version="0.1.0")
    'https://colab.research.google.com/github/o/c/blob/v0.1.0/lessons/01_data.ipynb'
    """
    owner, name = _github(address)
    return f"https://colab.research.google.com/github/{owner}/{name}/blob/v{version}/{path}"


def binder_url(address, path, *, version=__version__):
    """Binder's address that opens the notebook ``path`` in JupyterLab at the release.

    >>> binder_url("https://github.com/o/c", "lessons/01_data.ipynb", version="0.1.0")
    'https://mybinder.org/v2/gh/o/c/v0.1.0?labpath=lessons%2F01_data.ipynb'
    """
    owner, name = _github(address)
    return f"https://mybinder.org/v2/gh/{owner}/{name}/v{version}?labpath={quote(path, safe='')}"


LINKS_START = "<!-- notebook links: written by mnist-course install-cell -->"
LINKS_END = "<!-- end of notebook links -->"
GUIDE = Path("docs") / "students.md"


def student_notebooks(root="."):
    """The notebooks a student opens: the lessons, then the released exercises."""
    root = Path(root)
    patterns = ("lessons/*.ipynb", "exercises/*/*.ipynb")
    return [path for pattern in patterns for path in sorted(root.glob(pattern))]


def links_table(address, root=".", *, version=__version__):
    """A Markdown table: each lesson and released exercise with its Colab and Binder links.

    >>> print(links_table("https://github.com/o/c", version="0.1.0").splitlines()[2][:60])
    | `lessons/01_data_preparation.ipynb` | [open](https://colab
    """
    rows = ["| notebook | Colab | Binder |", "| --- | --- | --- |"]
    for path in student_notebooks(root):
        name = path.relative_to(root).as_posix()
        colab = colab_url(address, name, version=version)
        binder = binder_url(address, name, version=version)
        rows.append(f"| `{name}` | [open]({colab}) | [open]({binder}) |")
    return "\n".join(rows)


def write_links(guide, table):
    """Put ``table`` between the markers in ``guide``; return whether the file changed."""
    guide = Path(guide)
    text = guide.read_text(encoding="utf-8")
    if LINKS_START not in text or LINKS_END not in text:
        raise ValueError(f"{guide} has no {LINKS_START} ... {LINKS_END}: add both lines")
    head, rest = text.split(LINKS_START, 1)
    tail = rest.split(LINKS_END, 1)[1]
    new = f"{head}{LINKS_START}\n{table}\n{LINKS_END}{tail}"
    if new == text:
        return False
    guide.write_text(new, encoding="utf-8")
    return True


def is_install_cell(cell):
    """Whether a cell (a dict or nbformat node) is the install cell."""
    return bool(cell.get("metadata", {}).get(MARK, {}).get("install_cell"))


def with_install_cell(notebook, source):
    """Put the install cell just before the first code cell (after the title and the goals),
    or update the one there; return whether the notebook changed.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
    source : str
        From :func:`install_source`.
    """
    from nbformat.v4 import new_code_cell

    cells = notebook.cells
    if any("checksum" in cell.get("metadata", {}).get("nbgrader", {}) for cell in cells):
        raise ValueError(
            "a released notebook (nbgrader's checksums): put the cell into solutions/ and run "
            "nbgrader generate_assignment --force"
        )
    metadata = {MARK: {"install_cell": True}}
    if any("nbgrader" in cell.get("metadata", {}) for cell in cells):
        metadata["nbgrader"] = dict(NBGRADER)
    found = [cell for cell in cells if is_install_cell(cell)]
    if found:
        cell = found[0]
        if cell.source == source:
            return False
        cell.source = source
    else:
        first = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
        cell = new_code_cell(source, metadata=metadata)
        cells.insert(first, cell)
    return True


def course_notebooks(root="."):
    """Every lesson and solution notebook under ``root`` (exercises/ is made from solutions/)."""
    root = Path(root)
    patterns = ("lessons/*.ipynb", "solutions/*/*.ipynb")
    return sorted(path for pattern in patterns for path in root.glob(pattern))


def insert_install_cells(paths, address, *, root=".", version=__version__, log=print):
    """Insert or update the install cell in each notebook; for each solution changed, make
    its released exercise again with ``nbgrader generate_assignment --force`` (in ``root``).

    Returns the paths changed.
    """
    import nbformat

    source = install_source(address, version=version)
    changed = []
    for path in map(Path, paths):
        notebook = nbformat.read(str(path), as_version=4)
        if with_install_cell(notebook, source):
            nbformat.write(notebook, str(path))
            changed.append(path)
            log(f"install cell written in {path}")
    for path in changed:
        if path.parent.parent.name == "solutions":
            _generate_assignment(root, path.parent.name, log=log)
    return changed


def _generate_assignment(root, assignment, *, log):
    import subprocess
    import sys

    from .grading import grading_environment

    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "--force", assignment],
        cwd=root,
        env=grading_environment(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{done.stderr}")
    log(f"exercises/{assignment} made again by nbgrader generate_assignment")
