"""The course website, tested as a person sees it: built, served, opened in headless Chromium.

The site is built from the real course (lessons executed through the cache that
tests/test_lessons.py fills) and from a two-lesson course made here, whose lessons hold a
formula and a plot whatever the real lessons contain. Each page is served from 127.0.0.1 and
loaded in Debian's Chromium through Selenium: no console error, every image loaded and
described, every internal link resolves, formulas rendered, nothing loaded from another
host, no solution or hidden-test line; the search box finds "softmax". Screenshots of the
home page, one lesson (its top and its first plot) and one exercise go to test-output/site/ (or
``$MNIST_COURSE_TEST_OUTPUT/site``) for a reviewer.
"""

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from helpers import skip_or_fail_in_ci

from mnist_course import lessons, website

ROOT = Path(__file__).resolve().parents[1]
EX = "exercises"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(os.environ.get("MNIST_COURSE_TEST_OUTPUT", ROOT / "test-output")) / "site"
NO_ALT = "No description has been provided for this image"

pytestmark = [pytest.mark.browser, pytest.mark.notebooks]


def _missing_tools():
    import importlib.util

    found = importlib.util.find_spec
    missing = [name for name in ("mkdocs_jupyter", "selenium") if found(name) is None]
    missing += [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    return missing


@pytest.fixture(scope="module", autouse=True)
def _tools():
    missing = _missing_tools()
    if missing:
        message = (
            f"the site test needs {', '.join(missing)}: "
            '`.venv/bin/pip install -e ".[dev,site]"` and `apt-get install chromium '
            "chromium-driver` (.ci/run does both)"
        )
        skip_or_fail_in_ci(message)


def run_site(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "mnist_course", "site", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=3600,
    )


class Server:
    """The site served over HTTP on 127.0.0.1 (a free port) from a thread."""

    def __init__(self, folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.folder = Path(folder)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


# --- what each page must satisfy -------------------------------------------------------------


def pages_of(folder):
    """Every page of the site except MkDocs' 404 page, home page first."""
    pages = sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*.html"))
    pages = [p for p in pages if p != "404.html" and not p.startswith("assets/")]
    return sorted(pages, key=lambda page: page != "index.html")


def open_page(driver, url):
    """Load a page, wait for MathJax to finish, return its console messages since."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && (!window.MathJax || "
            "(MathJax.Hub && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0"
            " && !document.querySelector('.MathJax_Processing, .MathJax_Preview:not(:empty)')))"
        )
    )
    return driver.get_log("browser")


PROSE_TEXT = """
const root = (document.querySelector('.md-content') || document.body).cloneNode(true);
root.querySelectorAll('pre, code, script, style, .MathJax_Preview, .MathJax_MathML, math')
    .forEach(e => e.remove());
return root.textContent;
"""

IMAGES = """
return Array.from(document.querySelectorAll('.md-content img')).map(img => ({
    src: img.currentSrc.slice(0, 60), complete: img.complete, width: img.naturalWidth,
    alt: img.getAttribute('alt'), plot: img.src.startsWith('data:image/png')}));
"""


def check_page(driver, server, page, forbidden_lines):
    """Return what is wrong with one page, as sentences (empty when it looks right)."""
    problems = []
    console = open_page(driver, server.url + page)
    errors = [entry["message"] for entry in console if entry["level"] == "SEVERE"]
    if errors:
        problems.append(f"console errors: {errors}")
    for image in driver.execute_script(IMAGES):
        if not (image["complete"] and image["width"] > 0):
            problems.append(f"image did not load: {image['src']}")
        if image["plot"] and (not image["alt"] or image["alt"] == NO_ALT):
            problems.append(f"plot without alt text: {image['src']}")
    foreign = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:'))"
    )
    if foreign:
        problems.append(f"loaded from another host: {foreign}")
    prose = driver.execute_script(PROSE_TEXT)
    raw_math = re.findall(r"\$\$?[^$\n]{1,80}\$\$?|\\\(.{1,80}?\\\)", prose)
    if raw_math:
        problems.append(f"formulas left unrendered: {raw_math[:3]}")
    text = driver.execute_script("return document.body.textContent")
    shown = [line for line in forbidden_lines if line in text]
    if shown:
        problems.append(f"shows solution or hidden-test lines: {shown[:3]}")
    for href in driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
    ):
        problem = broken_link(server, href)
        if problem:
            problems.append(problem)
    return problems


@functools.cache
def _ids(path):
    return set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))


def broken_link(server, href):
    """Say why an internal link does not resolve (a missing file or anchor), else None."""
    if not href.startswith(server.url):
        return None  # another site, mailto:, javascript:
    parts = urlsplit(href)
    target = server.folder / unquote(parts.path).lstrip("/")
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"broken link: {href}"
    if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target):
        return f"broken anchor: {href}"
    return None


def solution_lines(root):
    """Lines only the solutions hold: solution code and hidden tests, 12 characters or more.

    A line that a released exercise or a lesson also shows (a lesson teaches
    ``model.compile(...)`` before the exercise asks for it, an exercise's instructions say
    "return `W, b, losses`") gives nothing away; prose is compared as the page shows it,
    without the backticks of inline code.
    """
    marked = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)
    shown = [
        cell.source
        for path in website.exercise_paths(root / EX) + lessons.lesson_paths(root / "lessons")
        for cell in nbformat.read(path, as_version=4).cells
    ]
    shown = "\n".join(shown).replace("`", "")
    lines = set()
    for path in website.exercise_paths(root / EX):
        solution = ROOT / "solutions" / path.parent.name / path.name
        for cell in nbformat.read(solution, as_version=4).cells:
            for _, block in marked.findall(cell.source):
                for line in block.splitlines():
                    line = line.strip()
                    if len(line) >= 12 and not line.startswith("#") and line not in shown:
                        lines.add(line)
    assert lines, "found no solution lines in solutions/: has the marker syntax changed?"
    return sorted(lines)


def search(driver, base, word):
    """Type ``word`` into the search box of the home page at ``base``; return the pages listed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(driver, base + "index.html")
    driver.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__input").click()
    box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    box.send_keys(word)
    listed = (
        "return Array.from(document.querySelectorAll('.md-search-result__item > a'))"
        ".map(a => a.href)"
    )
    # results come as each letter is typed: wait until the list for the whole word holds still
    previous = []

    def settled(d):
        nonlocal previous
        links, previous = previous, d.execute_script(listed)
        return previous if previous and previous == links else False

    links = WebDriverWait(driver, 30, poll_frequency=1).until(settled)
    return {urlsplit(link).path.rsplit("/", 1)[-1] for link in links}


def mentions(path, word):
    notebook = nbformat.read(path, as_version=4)
    return any(word in cell.source.lower() for cell in notebook.cells)


def screenshot(driver, server, page, name, *, scroll_to=None):
    open_page(driver, server.url + page)
    if scroll_to:
        driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            "if (e) e.scrollIntoView({block: 'center'})",
            scroll_to,
        )
        time.sleep(1)  # let the header finish swapping the site's name for the page's title
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


# --- the real course --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = run_site("--out", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    print(result.stdout)
    server = Server(out)
    yield server
    server.close()


def test_every_page_of_the_course_site_loads_cleanly_in_chromium(course_site, browser):
    pages = pages_of(course_site.folder)
    lesson_pages = [f"lessons/{p.stem}.html" for p in lessons.lesson_paths(ROOT / "lessons")]
    exercise_pages = [f"exercises/{p.stem}.html" for p in website.exercise_paths(ROOT / EX)]
    guides = [f"guides/{name}.html" for name in website.guide_pages(ROOT / "docs")]
    assert {"guides/students.html", "guides/instructors.html"} <= set(guides)
    assert set(lesson_pages + exercise_pages + guides + ["index.html"]) <= set(pages)

    forbidden = solution_lines(ROOT)
    problems = {page: check_page(browser, course_site, page, forbidden) for page in pages}
    problems = {page: found for page, found in problems.items() if found}
    assert not problems, json.dumps(problems, indent=2)

    for download in (course_site.folder / "downloads").glob("ex*.ipynb"):
        text = download.read_text(encoding="utf-8")
        assert not [line for line in forbidden if line in text], download.name

    screenshot(browser, course_site, "index.html", "home.png")
    screenshot(browser, course_site, lesson_pages[0], "lesson.png")
    first_plot = ".md-content img"
    screenshot(browser, course_site, lesson_pages[0], "lesson-plot.png", scroll_to=first_plot)
    screenshot(browser, course_site, exercise_pages[0], "exercise.png")


def test_the_sidebar_lists_every_page_in_course_order_with_previous_and_next(course_site, browser):
    open_page(browser, course_site.url + "index.html")
    sidebar = browser.execute_script(
        "return Array.from(document.querySelectorAll('.md-sidebar--primary a.md-nav__link[href]'))"
        ".map(a => a.getAttribute('href'))"
    )
    lesson_pages = [f"lessons/{p.stem}.html" for p in lessons.lesson_paths(ROOT / "lessons")]
    exercise_pages = [f"exercises/{p.stem}.html" for p in website.exercise_paths(ROOT / EX)]
    linked = [href for href in sidebar if href.endswith(".html")]
    expected = ["guides/students.html", *lesson_pages, *exercise_pages, "guides/instructors.html"]
    assert [href for href in linked if href in expected] == expected

    open_page(browser, course_site.url + lesson_pages[1])
    footer = browser.execute_script(
        "return Array.from(document.querySelectorAll('.md-footer__link')).map(a => a.href)"
    )
    assert [link.rsplit("/", 2)[-2:] for link in footer] == [
        lesson_pages[0].split("/"),
        lesson_pages[2].split("/"),
    ]
    second = lessons.lesson_paths(ROOT / "lessons")[1]
    title = lessons.title(nbformat.read(second, as_version=4), second.stem)
    assert title in browser.title


def test_search_finds_convolution_in_the_lessons_that_teach_it(course_site, browser):
    # a word on fewer than ten pages: the search lists ten results before it is scrolled
    expected = {
        f"{p.stem}.html"
        for p in lessons.lesson_paths(ROOT / "lessons")
        if mentions(p, "convolution")
    }
    assert expected, "no lesson mentions convolution any more: pick another word for this test"
    assert expected <= search(browser, course_site.url, "convolution")
    # and from the folder itself, with no web server
    assert expected <= search(browser, course_site.folder.as_uri() + "/", "convolution")
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


# --- a small course of our own: a formula and a plot, whatever the real lessons hold ----------


def small_course(folder):
    """Two lessons (a formula, a plot, the word softmax), the real exercises, guides and README.

    ``docs/_incoming/`` holds a draft with a broken link, which the site must leave out.
    """
    new_md, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    (folder / "lessons").mkdir(parents=True)
    shutil.copytree(ROOT / "exercises", folder / "exercises")
    shutil.copy(ROOT / "README.md", folder)
    shutil.copytree(ROOT / "docs", folder / "docs", ignore=shutil.ignore_patterns("_incoming"))
    (folder / "docs" / "_incoming").mkdir()
    draft = "# A draft\n\nNot a page of the site: [broken](nowhere.md)\n"
    (folder / "docs" / "_incoming" / "draft.md").write_text(draft, encoding="utf-8")
    formula = (
        "# Lesson 1: A formula\n\nThe loss is $L = -\\sum_i y_i \\log p_i$, and softmax is\n\n"
        "$$\\mathrm{softmax}(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}$$\n"
    )
    plot = (
        "import mnist_course as mc\n%matplotlib inline\nimport matplotlib.pyplot as plt\n\n"
        "fig, ax = plt.subplots()\nax.plot([1, 2, 3], [0.5, 0.3, 0.2], label='training')\n"
        "ax.set_title('Learning curve')\nax.set_xlabel('epoch')\nax.set_ylabel('loss')\n"
        "ax.legend()\nplt.show()"
    )
    cells = [new_md(formula), new_code("print('no plot here')")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "lessons" / "01_formula.ipynb")
    cells = [new_md("# Lesson 2: A plot\n\n## Drawn with `plt.subplots`"), new_code(plot)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "lessons" / "02_plot.ipynb")
    return folder


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    course = small_course(tmp_path_factory.mktemp("course"))
    out = course / "site"
    first = run_site("--out", "site", cwd=course)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count(": executed in") == 2, first.stdout
    assert not list(out.rglob("*draft*")) and not (out / "guides" / "_incoming").exists()
    server = Server(out)
    yield course, server
    server.close()


def test_formulas_render_and_plots_say_what_they_show(small_site, browser):
    course, server = small_site
    assert not check_page(browser, server, "lessons/01_formula.html", [])
    formulas = "return document.querySelectorAll('.md-content .MathJax_MathML math').length"
    displayed = "return document.querySelectorAll('.md-content math[display=block]').length"
    assert browser.execute_script(formulas) == 2  # inline and displayed
    assert browser.execute_script(displayed) == 1
    assert not check_page(browser, server, "lessons/02_plot.html", [])
    alts = browser.execute_script(
        "return Array.from(document.querySelectorAll('.md-content img')).map(i => i.alt)"
    )
    assert alts == ["Plot: 'Learning curve', curves, loss against epoch, legend 'training'"]
    toc = browser.execute_script(
        "return Array.from(document.querySelectorAll('.md-sidebar--secondary a.md-nav__link'))"
        ".map(a => [a.textContent.trim(), a.getAttribute('href')])"
    )
    assert ["Drawn with plt.subplots", "#drawn-with-pltsubplots"] in toc, toc
    assert search(browser, server.url, "softmax") >= {"01_formula.html"}


def test_a_rebuild_executes_only_changed_code_and_a_full_folder_needs_force(small_site):
    course, server = small_site
    refused = run_site("--out", "site", cwd=course)
    assert refused.returncode == 1
    assert "already holds files" in refused.stderr and "--force" in refused.stderr

    lesson = course / "lessons" / "02_plot.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added after the first build."
    nbformat.write(notebook, lesson)
    prose = run_site("--out", "site", "--force", cwd=course)
    assert prose.returncode == 0, prose.stderr
    assert "01_formula.ipynb: code unchanged, from the cache" in prose.stdout
    assert "02_plot.ipynb: code unchanged, from the cache" in prose.stdout
    page = (server.folder / "lessons" / "02_plot.html").read_text()
    assert "A sentence added" in page and "data:image/png;base64," in page

    notebook.cells[1].source += "\nprint('a line of code added')"
    nbformat.write(notebook, lesson)
    code = run_site("--out", "site", "--force", cwd=course)
    assert code.returncode == 0, code.stderr
    assert "01_formula.ipynb: code unchanged, from the cache" in code.stdout
    assert "02_plot.ipynb: executed" in code.stdout
    assert "a line of code added" in (server.folder / "lessons" / "02_plot.html").read_text()
