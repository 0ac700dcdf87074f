"""The course as a website: every lesson executed, a page per exercise, the guides.

:func:`build_site` gathers the pages from the course folder (lessons from ``lessons/``, the
released exercises from ``exercises/``, the guides from ``docs/``, the home page's
introduction from the README), writes them into a temporary MkDocs project and renders it
with MkDocs Material and mkdocs-jupyter. The result is a folder of static pages that works
offline: the search index, scripts, styles and the math renderer (MathJax, from the
``jupyter-server-mathjax`` package) are all inside it, and no page loads anything from the
network.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from . import install_cell, lessons
from ._errors import CourseError, InputMissing, OutputExists

SITE_NAME = "MNIST with Keras"
EXERCISES_DIR = Path("exercises")
README = Path("README.md")
DOCS_DIR = Path("docs")
ASSETS = Path(__file__).with_name("site_assets")
"""Files the site needs that no installed package ships: iframe-worker's shim (MIT, its
LICENSE beside it), which lets the search run in a page opened from the file system."""

GUIDE_ORDER = ("students", "instructors", "grading-guarantees", "performance", "design", "history")
"""The guides (``docs/<name>.md``) in sidebar order; any other guide follows, by name. The
student guide comes before the lessons, the others after the exercises."""

MATHJAX_URL = "../assets/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe,local/course"
"""MathJax 2 as Jupyter's classic notebook loads it, from the site's own copy."""

MATHJAX_LOCAL_CONFIG = """\
MathJax.Hub.Config({
  menuSettings: {renderer: "NativeMML"},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/course.js");
"""
"""MathML out: browsers draw it with their own fonts (Chromium since version 109, Firefox, Safari),
so no web font is loaded."""


class SiteError(CourseError, RuntimeError):
    """The site could not be built; the message says why and what to do."""


def exercise_paths(folder=EXERCISES_DIR):
    """Return the released exercise notebooks, ``<folder>/<name>/<name>.ipynb``, in order.

    Parameters
    ----------
    folder : str or Path, default "exercises"

    Returns
    -------
    list of Path

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("ex02_b", "ex01_a"):
    ...     (folder / name).mkdir()
    ...     _ = (folder / name / f"{name}.ipynb").write_text("{}")
    >>> [p.name for p in exercise_paths(folder)]
    ['ex01_a.ipynb', 'ex02_b.ipynb']
    """
    folder = Path(folder)
    paths = sorted(p / f"{p.name}.ipynb" for p in folder.iterdir() if p.is_dir())
    paths = [p for p in paths if p.is_file()]
    if not paths:
        raise InputMissing(
            f"no exercise notebooks (like ex01_data/ex01_data.ipynb) in {folder.resolve()}; "
            "run from the repository root."
        )
    return paths


def readme_intro(text):
    """Return a README's introduction: the text between its title and its first section.

    Headings inside fenced code blocks do not count.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> readme_intro("# C\\nHello\\n```\\n## no\\n```\\n## A\\ntext\\n")
    'Hello\\n```\\n## no\\n```\\n'
    """
    intro, fenced, titled = [], False, False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("# ") and not titled:
            titled = True
        elif not fenced and line.startswith("## "):
            break
        else:
            intro.append(line)
    return "".join(intro)


def guide_pages(folder=DOCS_DIR):
    """Return the guides of a docs folder, ``{name: (title, markdown)}``, in sidebar order.

    A guide is a Markdown file directly in ``folder`` (not in a subfolder such as
    ``docs/_incoming/``); its title is its first ``# `` heading.

    Parameters
    ----------
    folder : str or Path, default "docs"

    Returns
    -------
    dict of str to (str, str)

    Raises
    ------
    SiteError
        If a guide has no ``# `` title.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "zebra.md").write_text("# Zebras\\n")
    >>> _ = (folder / "students.md").write_text("# Student guide\\n\\nHello\\n")
    >>> (folder / "_incoming").mkdir()
    >>> _ = (folder / "_incoming" / "draft.md").write_text("# A draft\\n")
    >>> {name: title for name, (title, _) in guide_pages(folder).items()}
    {'students': 'Student guide', 'zebra': 'Zebras'}
    """
    paths = sorted(Path(folder).glob("*.md"))
    order = {name: rank for rank, name in enumerate(GUIDE_ORDER)}
    paths.sort(key=lambda path: (order.get(path.stem, len(order)), path.stem))
    pages = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "")
        if not title:
            raise SiteError(f"{path} has no title; start it with a `# ` heading.")
        pages[path.stem] = (title, text)
    return pages


def headings(page):
    """Return the ``id`` and the text of each heading (``<h1>`` to ``<h6>``) of an HTML page.

    Examples
    --------
    >>> headings('<h1 id="l1">Lesson 1</h1><p id="x"></p><h2 id="t">Training with <code>fit'
    ...          '</code><a class="anchor-link" href="#t">¶</a></h2>')
    [('l1', 'Lesson 1'), ('t', 'Training with fit')]
    """
    found = re.findall(r'<h[1-6]\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h[1-6]>', page, re.DOTALL)
    return [(anchor, re.sub(r"<[^>]+>|¶", "", text).strip()) for anchor, text in found]


SITE_TOOLS = {
    "mkdocs": "MkDocs",
    "material": "MkDocs Material",
    "mkdocs_jupyter": "mkdocs-jupyter",
    "jupyter_server_mathjax": "jupyter-server-mathjax",
}
"""The site extra's packages (import name: project name)."""


def _check_tools():
    missing = [name for module, name in SITE_TOOLS.items() if not importlib.util.find_spec(module)]
    if missing:
        raise SiteError(
            f"the site's build tools are not installed ({', '.join(missing)} missing): "
            'install them with `.venv/bin/pip install -e ".[site]"`.'
        )


def _mathjax_folder():
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    return Path(spec.origin).parent / "static"


def _copy_mathjax(target):
    """Copy MathJax 2 (its English messages only) into the site, about 10 MB."""
    source = _mathjax_folder()
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("localization"))
    shutil.copytree(source / "localization" / "en", target / "localization" / "en")
    (target / "config" / "local").mkdir(exist_ok=True)
    (target / "config" / "local" / "course.js").write_text(MATHJAX_LOCAL_CONFIG, "utf-8")


def _insert_after_first_cell(notebook, markdown):
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(markdown))
    return notebook


def _online(address, name):
    """Where the notebook ``name`` (relative to the repository) opens with nothing installed."""
    if address is None:
        return "the [student guide](../guides/students.html) lists where it opens online"
    colab = install_cell.colab_url(address, name)
    binder = install_cell.binder_url(address, name)
    return f"open it in [Colab]({colab}) or [Binder]({binder}) (its first cell installs the course)"


def _lesson_page(executed, path, address):
    note = (
        f"*Run it yourself:* download [{path.name}](../downloads/{path.name}) (without "
        "outputs) and open it in JupyterLab from the course folder, or "
        f"{_online(address, f'lessons/{path.name}')}; the "
        "[student guide](../guides/students.html) says how to set up."
    )
    return _insert_after_first_cell(executed, note)


def _exercise_page(path, address):
    notebook = nbformat.read(path, as_version=4)
    name, file = path.stem, path.name
    note = (
        f"**Get the notebook.** Download [{file}](../downloads/{file}) and save it as "
        f"`exercises/{name}/{file}` in the course folder (a clone of the course already has "
        f"it), then open it in JupyterLab; or {_online(address, f'exercises/{name}/{file}')}."
        "\n\n"
        "**Check your answers.** Save the notebook, then from the course folder run\n\n"
        f"    .venv/bin/python -m pytest exercises/{name} -v\n\n"
        "Each check passes or says what was expected, what your code returned and a hint "
        "(the [student guide](../guides/students.html) shows an example). Your instructor "
        "grades the same checks, plus hidden tests with more inputs."
    )
    return _insert_after_first_cell(notebook, note)


def _home_page(intro, lesson_entries, exercise_entries, guides):
    def items(entries):
        return "\n".join(f"1. [{title}]({link})" for link, title in entries)

    guide_items = "\n".join(f"- [{title}](guides/{name}.md)" for name, (title, _) in guides.items())
    return (
        f"# {SITE_NAME}\n\n{intro.strip()}\n\n"
        "Every page is in the sidebar in course order, with previous/next links at the "
        "bottom; the search box finds any word in the lessons and exercises.\n\n"
        f"## Guides\n\n{guide_items}\n\n"
        f"## Lessons\n\n{items(lesson_entries)}\n\n"
        f"## Exercises\n\n{items(exercise_entries)}\n"
    )


def _mkdocs_config(lesson_entries, exercise_entries, guides):
    def nav(entries):
        return [{title: link} for link, title in entries]

    def guide_nav(names):
        return [{guides[name][0]: f"guides/{name}.md"} for name in names]

    first = [name for name in guides if name == "students"]
    later = [name for name in guides if name != "students"]

    return {
        "site_name": SITE_NAME,
        "site_description": "A first neural network with Keras on MNIST: lessons and exercises.",
        "docs_dir": "docs",
        "use_directory_urls": False,
        "strict": True,
        "theme": {
            "name": "material",
            # system fonts: nothing is fetched from a font service
            "font": False,
            "features": ["navigation.footer", "navigation.top", "search.highlight"],
        },
        "plugins": [
            # words are split at punctuation too, so code is searchable: "softmax" finds
            # activation="softmax", "build_mlp" finds mc.build_mlp(...)
            {"search": {"separator": r'[\s\-,:!=\[\]()"`/]+|\.(?!\d)|&[lg]t;'}},
            # the search index and its worker inside the folder, so search works from file://
            "offline",
            {
                "mkdocs-jupyter": {
                    "include": ["lessons/*.ipynb", "exercises/*.ipynb"],
                    "execute": False,
                    "include_requirejs": False,
                    "custom_mathjax_url": MATHJAX_URL,
                    "cache": False,
                }
            },
        ],
        # the offline plugin's Web Worker shim for file:// pages, from the package, not a CDN
        "extra": {"polyfills": ["assets/vendor/iframe-worker-shim.js"]},
        "hooks": [str(Path(__file__).with_name("_website_hooks.py"))],
        "markdown_extensions": [
            "tables",
            "admonition",
            {"toc": {"permalink": True}},
            "pymdownx.highlight",
            "pymdownx.superfences",
        ],
        "nav": [
            {"Home": "index.md"},
            *guide_nav(first),
            {"Lessons": nav(lesson_entries)},
            {"Exercises": nav(exercise_entries)},
            *guide_nav(later),
        ],
    }


def _check_out(out, force):
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputExists(f"{out} is a file; expected a folder for the site.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputExists(
            f"{out} already holds files; choose an empty folder, or pass --force to replace "
            "the site's pages in it."
        )
    return out


def build_site(out, *, root=".", force=False, timeout=lessons.CELL_TIMEOUT, log=print):
    """Build the course website into ``out``: lessons, exercises, guides, search, offline.

    Lessons come executed from the cache (:func:`mnist_course.lessons.execute_cached`);
    only a lesson that changed (or all, after a change to the package) runs again.

    Parameters
    ----------
    out : str or Path
        Folder for the site; created if missing. A folder that already holds files is
        refused unless ``force`` is true.
    root : str or Path, default "."
        The course folder: ``lessons/``, ``exercises/``, ``docs/`` and ``README.md``.
    force : bool, default False
        Write the site into a non-empty ``out``, replacing files of the same names.
    timeout : int, default 300
        Seconds any one lesson cell may run.
    log : callable, default print
        Receives one progress line per step.

    Returns
    -------
    Path
        The site's home page, ``out/index.html``.
    """
    from nbclient.exceptions import CellExecutionError

    root = Path(root)
    out = _check_out(out, force)
    _check_tools()
    lesson_paths = lessons.lesson_paths(root / lessons.LESSONS_DIR)
    exercises = exercise_paths(root / EXERCISES_DIR)
    guides = guide_pages(root / DOCS_DIR)
    intro = readme_intro((root / README).read_text(encoding="utf-8"))
    try:
        address = install_cell.repository(root)
    except ValueError:  # a course folder without pyproject.toml (made by mnist-course init)
        address = None

    with tempfile.TemporaryDirectory(prefix="mnist-course-site-") as work:
        work = Path(work)
        docs = work / "docs"
        for sub in ("lessons", "exercises", "guides", "downloads", "assets"):
            (docs / sub).mkdir(parents=True)
        lesson_entries, exercise_entries = [], []
        for path in lesson_paths:
            start = time.perf_counter()
            try:
                executed, from_cache = lessons.execute_cached(path, timeout=timeout)
            except CellExecutionError as error:
                message = f"{path} failed; the site was not built.\n{error}"
                raise lessons.LessonError(message) from None
            how = "code unchanged, from the cache" if from_cache else "executed"
            log(f"{path.name}: {how} in {time.perf_counter() - start:.0f} s")
            nbformat.write(_lesson_page(executed, path, address), docs / "lessons" / path.name)
            shutil.copy(path, docs / "downloads" / path.name)
            lesson_entries.append((f"lessons/{path.name}", lessons.title(executed, path.stem)))
        for path in exercises:
            notebook = _exercise_page(path, address)
            nbformat.write(notebook, docs / "exercises" / path.name)
            shutil.copy(path, docs / "downloads" / path.name)
            exercise_entries.append((f"exercises/{path.name}", lessons.title(notebook, path.stem)))
        for name, (_, text) in guides.items():
            (docs / "guides" / f"{name}.md").write_text(text, encoding="utf-8")
        (docs / "index.md").write_text(
            _home_page(intro, lesson_entries, exercise_entries, guides), encoding="utf-8"
        )
        _copy_mathjax(docs / "assets" / "mathjax")
        (docs / "assets" / "vendor").mkdir()
        shutil.copy(ASSETS / "iframe-worker-shim.js", docs / "assets" / "vendor")
        import yaml

        config = _mkdocs_config(lesson_entries, exercise_entries, guides)
        (work / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")

        start = time.perf_counter()
        built = work / "site"
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(built)],
            cwd=work,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SiteError(f"MkDocs could not build the site:\n{result.stderr.strip()}")
        pages = len(lesson_entries) + len(exercise_entries) + len(guides) + 1
        log(f"rendered {pages} pages with MkDocs in {time.perf_counter() - start:.0f} s")
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(built, out, dirs_exist_ok=True)
    return out / "index.html"
