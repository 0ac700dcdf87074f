"""Written answers graded where instructors grade them: nbgrader's Formgrader, in Chromium.

A course folder with exercise 8 registered (``mnist-course register``); one student's
submission, every answer the model answer's except the written one, which is a weaker answer,
graded with ``mnist-course autograde``. A Jupyter server with nbgrader's formgrader extension
runs in the course folder (127.0.0.1, a free port, a token), and Debian's Chromium, driven by
Selenium, goes where a grader goes: Formgrader, Manual Grading, the exercise, the notebook, the
submission. There the written answer is shown with the model answer and its rubric right below
it (:class:`mnist_course.grading.formgrade.ShowModelAnswer`); the grader types a score and a
comment, and both reach the gradebook, ``mnist-course export``'s per-item CSV and the
student's feedback from ``nbgrader generate_feedback``, which shows no rubric. A screenshot of
the graded answer goes to test-output/formgrader/ (or ``$MNIST_COURSE_TEST_OUTPUT/formgrader``).

Chromium reaches 127.0.0.1 only, as in CI: Formgrader's MathJax (from cdnjs.cloudflare.com)
does not load, which costs Formgrader its keyboard shortcuts, not its score and comment boxes.
"""

import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT, release_notebook, run_course, run_nbgrader, skip_or_fail_in_ci

from mnist_course import notebook

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(os.environ.get("MNIST_COURSE_TEST_OUTPUT", ROOT / "test-output")) / "formgrader"
EXERCISE = "ex08_experiments"
STUDENT = "ada"
WRITTEN = "written_answer"
# right numbers and verdict, but the role of the seeds' spread is missing: 1 of 2 by the rubric
ANSWER = (
    "Sigmoid is worse than relu. Over the five seeds relu averaged 0.8836 (0.8753 to 0.8916) "
    "and sigmoid 0.8430 (0.8343 to 0.8523); the mean difference sigmoid - relu was -0.0405 "
    "with a 95% margin of 0.0068, so the interval lies below zero. One run with seed 0 would "
    "have been enough, since it showed the same sign."
)
POINTS = 1
COMMENT = (
    "Numbers and verdict are right. One run cannot decide: it cannot show how far a new seed "
    "alone moves the accuracy, which the paired differences measure."
)
RUBRIC = "Rubric (2 points)."
# what a page that loads MathJax from a CDN logs when Chromium may reach 127.0.0.1 only
OFFLINE_MATHJAX = ("cdnjs.cloudflare.com/ajax/libs/mathjax", "MathJax is not defined")
WAIT = 180  # seconds a page, a save or the server may take at most on a loaded machine


@pytest.fixture(scope="module")
def chromium():
    import importlib.util

    missing = [] if importlib.util.find_spec("selenium") else ["selenium"]
    missing += [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        message = (
            f"the Formgrader test needs {', '.join(missing)}: `.venv/bin/pip install -e "
            '".[dev]"` and `apt-get install chromium chromium-driver` (.ci/run does both)'
        )
        skip_or_fail_in_ci(message)


@pytest.fixture
def graded_course(tmp_path):
    """A course folder with exercise 8 registered and one student's submission autograded."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / EXERCISE, root / "solutions" / EXERCISE)
    registered = run_course("register", EXERCISE, cwd=root)
    assert registered.returncode == 0, registered.stdout + registered.stderr

    # only the written answer is filled in: what Formgrader grades; the autograded items
    # score 0 (and grade in seconds, with nothing to train)
    submission = nbformat.read(release_notebook(EXERCISE, root), as_version=4)
    notebook.find_cell(submission, WRITTEN).source = ANSWER
    folder = root / "grading" / "submitted" / STUDENT / EXERCISE
    folder.mkdir(parents=True)
    nbformat.write(submission, folder / f"{EXERCISE}.ipynb")

    graded = run_course("autograde", EXERCISE, cwd=root, timeout=1200)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"{STUDENT}: graded, 0 of 8 points" in graded.stdout, graded.stdout
    return root


@pytest.fixture
def formgrader(graded_course, tmp_path):
    """A Jupyter server with nbgrader's formgrader in the course folder: ``(url, token)``.

    Only the formgrader extension, whatever the environment's Jupyter config enables
    (``JUPYTER_NO_CONFIG``); its address comes from the file the server writes once it serves.
    """
    from selenium.webdriver.support.ui import WebDriverWait

    runtime = tmp_path / "jupyter-runtime"
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_NO_CONFIG="1", JUPYTER_RUNTIME_DIR=str(runtime))
    log = tmp_path / "jupyter-server.log"
    command = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root"]
    command += ["--ip=127.0.0.1", "--port=0", f"--IdentityProvider.token={token}"]
    command += ["--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=True"]
    with open(log, "w") as output:
        server = subprocess.Popen(
            command, cwd=graded_course, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    info = runtime / f"jpserver-{server.pid}.json"
    try:
        WebDriverWait(None, WAIT, poll_frequency=0.2).until(
            lambda _: info.is_file() or server.poll() is not None
        )
        assert server.poll() is None, f"the server stopped:\n{log.read_text()}"
        yield json.loads(info.read_text())["url"], token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def browser(chromium):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    # 127.0.0.1 only, wherever the test runs (CI reaches no other host)
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def written_grade(root):
    """The written answer's (manual score, manual comment, needs manual grade) in the gradebook."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{root / 'grading' / 'gradebook.db'}"
    with Gradebook(url, "mnist_course") as gradebook:
        args = (WRITTEN, EXERCISE, EXERCISE, STUDENT)
        grade, comment = gradebook.find_grade(*args), gradebook.find_comment(*args)
        return grade.manual_score, comment.manual_comment, grade.needs_manual_grade


def open_submission(driver, url, token):
    """Go from Formgrader's start page to the submission's grading page, as a grader clicks."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    def click(locator):
        WebDriverWait(driver, WAIT).until(ec.element_to_be_clickable(locator)).click()

    driver.get(f"{url}formgrader?token={token}")
    click((By.LINK_TEXT, "Manual Grading"))
    click((By.CSS_SELECTOR, f"a[href$='/formgrader/gradebook/{EXERCISE}']"))
    click((By.CSS_SELECTOR, f"a[href$='/formgrader/gradebook/{EXERCISE}/{EXERCISE}']"))
    click((By.LINK_TEXT, "Submission #1"))
    wait_for_boxes(driver)


def wait_for_boxes(driver):
    """Wait until Formgrader has read the grades and comments into its boxes."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script(
            "return typeof formgrader !== 'undefined' && formgrader.grades.loaded === true"
            " && formgrader.comments.loaded === true && formgrader.grade_uis.length > 0"
        )
    )


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


@pytest.mark.nbgrader
@pytest.mark.browser
def test_a_written_answer_graded_in_formgrader_reaches_the_export_and_the_feedback(
    graded_course, formgrader, browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    root, (url, token) = graded_course, formgrader
    assert written_grade(root) == (None, None, True)
    open_submission(browser, url, token)

    # the student's answer, under its score box, and right below it the model answer and rubric
    score = browser.find_element(By.ID, WRITTEN)
    comment = browser.find_element(By.ID, f"{WRITTEN}-comment")
    answer = score.find_element(By.XPATH, "./ancestor::div[contains(@class, 'nbgrader_cell')]")
    assert "Student's answer" in answer.text and "/ 2.0" in answer.text
    assert "One run with seed 0 would have been enough" in answer.text
    assert RUBRIC not in answer.text
    beside = answer.find_element(
        By.XPATH, "./ancestor::div[contains(@class, 'cell')][1]/following-sibling::div[1]"
    )
    assert beside.text.startswith("For the grader: the model answer and its rubric"), beside.text
    assert RUBRIC in beside.text and "so it could not have decided" in beside.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", beside)
    assert beside.is_displayed()

    # a grader's hands: the score box, then the comment box, then Tab; each box saves when it
    # loses the focus
    score.click()
    score.clear()
    score.send_keys(str(POINTS))
    comment.click()
    comment.send_keys(COMMENT, Keys.TAB)
    WebDriverWait(browser, WAIT, poll_frequency=0.2).until(
        lambda _: written_grade(root) == (POINTS, COMMENT, False)
    )

    # the next look at the submission shows what was saved
    browser.refresh()
    wait_for_boxes(browser)
    assert browser.find_element(By.ID, WRITTEN).get_attribute("value") == str(POINTS)
    assert browser.find_element(By.ID, f"{WRITTEN}-comment").get_attribute("value") == COMMENT
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script(
        "window.scrollTo(0, arguments[0].getBoundingClientRect().top + window.scrollY - 80)",
        browser.find_element(By.ID, WRITTEN),
    )
    browser.save_screenshot(str(SCREENSHOTS / "written-answer-graded.png"))
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    unexpected = [m for m in errors if not any(known in m for known in OFFLINE_MATHJAX)]
    assert not unexpected, unexpected

    exported = run_course("export", cwd=root)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    items = {tuple(row[:3]): row[3:] for row in read_csv(root / "grades_by_item.csv")[1:]}
    assert items[STUDENT, EXERCISE, WRITTEN] == [str(POINTS), "2", "graded"]
    assert items[STUDENT, EXERCISE, "total"] == [str(POINTS), "8", "graded"]
    lms = {row[3]: row[5:] for row in read_csv(root / "grades_for_lms.csv")[2:]}
    assert lms[STUDENT] == [str(POINTS)]

    run_nbgrader(root, "generate_feedback", EXERCISE)
    feedback = root / "grading" / "feedback" / STUDENT / EXERCISE / f"{EXERCISE}.html"
    html = feedback.read_text(encoding="utf-8")
    assert f"Written response</a> (Score: {POINTS:.1f} / 2.0)" in html
    assert f"{EXERCISE} (Score: {POINTS:.1f} / 8.0)" in html
    assert COMMENT in html and "One run with seed 0 would have been enough" in html
    assert RUBRIC not in html and "For the grader" not in html


# --- the model answer beside the written answer, without a server ---------------------------


def exporter(template, root):
    """nbconvert's HTMLExporter as Formgrader (``formgrade``) or the feedback (``feedback``)
    configures it, for the course folder ``root``."""
    import nbgrader
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    config = Config()
    config.HTMLExporter.template_name = template
    config.HTMLExporter.extra_template_basedirs = [str(templates)]
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "solutions"
    return HTMLExporter(config=config)


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_only_formgrader_shows_the_model_answer_and_rubric_below_the_written_answer(
    tmp_path, template
):
    from mnist_course.grading.formgrade import ShowModelAnswer

    shutil.copytree(ROOT / "solutions" / EXERCISE, tmp_path / "solutions" / EXERCISE)
    submission = nbformat.read(release_notebook(EXERCISE), as_version=4)
    notebook.find_cell(submission, WRITTEN).source = ANSWER
    cells = len(submission.cells)
    page = {"assignment_id": EXERCISE, "notebook_id": EXERCISE}

    shown, _ = ShowModelAnswer(parent=exporter(template, tmp_path)).preprocess(submission, page)
    if template == "feedback":
        assert len(shown.cells) == cells
        return
    assert len(shown.cells) == cells + 1
    index = next(i for i, cell in enumerate(shown.cells) if cell.source == ANSWER)
    beside = shown.cells[index + 1]
    assert beside.cell_type == "markdown" and "nbgrader" not in beside.metadata
    assert beside.source.startswith("**For the grader: the model answer and its rubric** (from")
    assert "`solutions/ex08_experiments/ex08_experiments.ipynb`" in beside.source
    assert f"> **{RUBRIC}**" in beside.source


def test_formgrader_shows_the_answer_alone_when_the_solutions_are_missing(tmp_path):
    from mnist_course.grading.formgrade import ShowModelAnswer

    submission = nbformat.read(release_notebook(EXERCISE), as_version=4)
    page = {"assignment_id": EXERCISE, "notebook_id": EXERCISE}
    shown, _ = ShowModelAnswer(parent=exporter("formgrade", tmp_path)).preprocess(submission, page)
    assert len(shown.cells) == len(nbformat.read(release_notebook(EXERCISE), as_version=4).cells)


def test_nbgrader_config_names_the_preprocessor_that_shows_the_rubric():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert config.HTMLExporter.preprocessors == ["mnist_course.grading.formgrade.ShowModelAnswer"]
