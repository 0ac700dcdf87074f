"""The lesson notebooks: stored clean, built alike, and each runs top to bottom in a real kernel."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mnist_course import lessons
from mnist_course.install_cell import is_install_cell

ROOT = Path(__file__).resolve().parents[1]
LESSON_FOLDER = ROOT / "lessons"
LESSON_NAMES = [
    "01_data_preparation",
    "02_building_the_model",
    "03_how_a_network_learns",
    "04_backpropagation",
    "05_training",
    "06_testing_the_model",
    "07_when_a_network_memorises",
    "08_experimenting",
    "09_convolutional_networks",
]
LESSON_PATHS = [LESSON_FOLDER / f"{name}.ipynb" for name in LESSON_NAMES]
# What a lesson's prose claims about its results, which its own outputs must print. Times are
# never claimed here: they vary with the machine's load (the prose sends the reader to them).
CLAIMED_OUTPUTS = {
    "01_data_preparation": [
        "mean -0.37",
        "81% of the pixels are -0.5",
    ],
    "02_building_the_model": [
        "no digit gets a probability above 0.5",
        "784 * 64 + 64 = 50,240",
        "total: 55,050; Keras counts 55,050",
    ],
    "03_how_a_network_learns": [
        "it stayed exactly flat",
        "converges here for learning rates below 0.42",
        "still on its way down",
        "near the bottom of the valley",
        "diverging: the loss grew",
    ],
    "04_backpropagation": [
        "p - y equals autodiff's gradient: True",
        "same probabilities as Keras: True",
        "the backward pass by hand gives autodiff's gradients: True",
        "backward pass and finite difference agree",
        "the first layer's weights get smaller gradients than the last layer's",
    ],
    "05_training": [
        "= 1688 steps per epoch",
        "Keras: 1688 steps per epoch",
        "the training loss fell in every epoch, and by less each time",
        "in epoch 1 the validation accuracy is above the training accuracy",
        "it is really epoch 6",
        "SGD at Adam's learning rate, 0.001, ends more than 20 points below Adam",
        "SGD at 0.1, a hundred times larger, ends within 2 points of Adam",
        "batch size  32: 188 steps per epoch (6,000 / 32 rounded up: 188)",
        "batch size 256: 24 steps per epoch (6,000 / 256 rounded up: 24)",
        "after the same 3 epochs, batch size 256 ends more than a point below batch size 32",
        "the same predictions for 1,000 validation images after loading: True",
        "the restored weights are the best epoch's: True",
        "the checkpoint holds the best epoch's model: True",
        "the header and one per epoch",
        "softmax, then log:        p = [nan  0.  0.]  loss = inf",
        "shifted softmax, then log: p = [1. 0. 0.]  loss = inf",
        "loss = 120.0",
        "Keras, from the probabilities: loss 16.1181, gradient [0. 0. 0.]",
        "Keras, from_logits=True: loss 120.0000, gradient [ 1. -1.  0.]",
        "the same probabilities: True",
        "on every other image the two losses agree: True",
        "difference in validation accuracy after epoch 1 between the two: 0.0000",
    ],
    "06_testing_the_model": [
        "the test accuracy is between 95% and 97%",
        "better on the training images than on the test images, by less than 2 points",
        "times: the matrix is not symmetric",
        "the model is less sure, on average, when it is wrong",
        "at least 10 of its mistakes were made with probability above 0.9",
    ],
    "07_when_a_network_memorises": [
        "training accuracy reaches 100% at epoch",
        "validation loss rises after epoch",
        "validation accuracy ends more than 5 points below training accuracy",
        "with wrong labels the validation accuracy falls by more than 5 points after its peak",
        "training accuracy ends above 70%, although only 70% of the labels are right",
        "L2 strength: weaker and stronger settings both do worse than",
        "L2 penalty: better than the baseline on all 5 seeds",
        "dropout rate: weaker and stronger settings both do worse than",
        "dropout: better than the baseline on all 5 seeds",
        "Adam with L2: the weight with small gradients shrank more than 10 times as much",
        "AdamW: both weights shrank by the same share",
        "weight decay: weaker and stronger settings both do worse than",
        "AdamW: better than the baseline on all 5 seeds",
        "augmentation: better than the baseline on all 5 seeds",
        "every cure beats the baseline on every seed",
        "from best to worst on validation: augmentation",
        "chosen on validation: augmentation",
        "on the test set too, the chosen cure beats the baseline on all 5 seeds",
    ],
    "08_experimenting": [
        "the 10-epoch run's weights equal the 5-epoch run's: True",
        "10 epochs: better than the baseline",
        "4 hidden layers: not distinguishable from the baseline",
        "sigmoid: not distinguishable from the baseline",
        "the validation loss has started to rise, but the validation accuracy has not paid",
        "on its own it shows nothing",
        "chosen on validation: 10 epochs",
        "10 epochs: test accuracy, measured once",
        "the spread of the mean of n runs is s / sqrt(n), within 5%, for every n",
        "with t the interval keeps its 95% promise; with 2 it misses more than 1 time in 10",
        "standard error sqrt(p(1-p)/n) = 0.2",
        "three tests at 95% nearly triple the chance of a false 'better'; Bonferroni undoes it",
        "10 epochs, judged among three: better than the baseline",
        "1 epoch on 10,000 images: sigmoid worse than relu",
        "5 epochs on 54,000 images: sigmoid not distinguishable from relu",
    ],
    "09_convolutional_networks": [
        "numpy and Conv2D agree to within 1e-5: True",
        "784 * 676 + 676 = 530,660 parameters",
        "every output shape as derived: True",
        "3 * 3 * 1 * 8 + 8 = 80",
        "3 * 3 * 8 * 16 + 16 = 1,168",
        "400 * 10 + 10 = 4,010",
        "total: 5,258; Keras counts 5,258",
        "the course's MLP has 55,050",
        "multiplications per image: CNN 192,064, MLP 54,912",
        "the CNN does 3.5 times as many",
        "above 96.5% after one epoch",
        "the MLP learns as well from shuffled pixels, to within 0.2 points",
        "the CNN loses more than 5 points on shuffled pixels",
        "on shuffled pixels the CNN ends below the MLP",
        "on the images the CNN ends more than 2 points above the MLP",
        "the loaded model gives the same probabilities on 1,000 test images: True",
        "at least 1 of the 3 is read wrongly, and the true digits get less than 0.5 on average",
        "all 3 read rightly, with more probability on the true digits on average than before",
    ],
}


def read(path):
    return nbformat.read(path, as_version=4)


def markdown(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def has_embedded_plot(page):
    return re.search(r'<img [^>]*src="data:image/png;base64,', page) is not None


def write_notebook(path, *sources):
    """Write a notebook whose first cell is a title and whose code cells are ``sources``."""
    cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_the_eight_lessons_are_found_in_reading_order():
    assert lessons.lesson_paths(LESSON_FOLDER) == LESSON_PATHS


@pytest.mark.parametrize("path", LESSON_PATHS, ids=LESSON_NAMES)
def test_lesson_is_stored_without_outputs_or_execution_counts(path):
    problems = lessons.output_problems(read(path))
    assert not problems, (
        f"{path.name} was saved with outputs ({'; '.join(problems)}); clear them with "
        "`mnist-course lessons --clear`"
    )


@pytest.mark.parametrize("path", LESSON_PATHS, ids=LESSON_NAMES)
def test_lesson_opens_with_learning_goals_and_ends_with_a_recap_and_questions(path):
    texts = markdown(read(path))
    assert texts[0].startswith("# Lesson "), "the first cell should be the lesson's title"
    assert "**Learning goals.**" in texts[0]
    last = texts[-1]
    assert "## Recap" in last and "## Questions to think about" in last
    questions = re.findall(r"^\d\. ", last.split("## Questions to think about")[1], re.M)
    assert 2 <= len(questions) <= 3


@pytest.mark.parametrize("path", LESSON_PATHS, ids=LESSON_NAMES)
def test_lesson_imports_mnist_course_first_so_tensorflow_stays_quiet(path):
    code = [
        cell.source
        for cell in read(path).cells
        if cell.cell_type == "code" and not is_install_cell(cell)  # Colab's install cell first
    ]
    first_import = next(line for line in code[0].splitlines() if line.startswith("import "))
    assert first_import == "import mnist_course as mc"


def test_output_problems_names_each_cell_with_outputs_and_clear_outputs_removes_them(tmp_path):
    path = tmp_path / "01_dirty.ipynb"
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x"), cell]), path)
    assert lessons.output_problems(read(path)) == [
        "cell 2: 1 output(s)",
        "cell 2: execution count 1",
    ]
    assert lessons.clear_outputs(path) is True
    assert lessons.output_problems(read(path)) == []
    assert read(path).cells[1].source == "print(1)"


def test_lessons_clear_command_strips_outputs_and_leaves_clean_notebooks_alone(tmp_path):
    dirty = tmp_path / "01_dirty.ipynb"
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=4)
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), dirty)
    write_notebook(tmp_path / "02_clean.ipynb", "print(2)")
    result = run_cli("--from", str(tmp_path), "--clear", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "01_dirty.ipynb: cleared" in result.stdout
    assert "02_clean.ipynb: already clean" in result.stdout
    assert lessons.output_problems(read(dirty)) == []


def test_a_folder_without_lessons_is_refused_with_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="run from the repository root"):
        lessons.lesson_paths(tmp_path)


@pytest.mark.notebooks
def test_the_lesson_kernel_runs_the_same_python_as_the_tests(tmp_path):
    path = write_notebook(tmp_path / "01_which.ipynb", "import sys\nprint(sys.executable)")
    executed = lessons.execute_notebook(path)
    printed = executed.cells[1].outputs[0].text.strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


@pytest.mark.notebooks
@pytest.mark.training
@pytest.mark.parametrize("path", LESSON_PATHS, ids=LESSON_NAMES)
def test_lesson_runs_top_to_bottom_in_a_fresh_kernel_with_plots_and_no_stderr(path, tmp_path):
    # a copy in an empty folder: nothing cached from an earlier run, nothing written to lessons/
    copy = shutil.copy(path, tmp_path / path.name)
    executed = lessons.execute_notebook(copy)  # raises CellExecutionError on any error
    outputs = [out for cell in executed.cells if cell.cell_type == "code" for out in cell.outputs]
    stderr = [out.text for out in outputs if out.get("name") == "stderr"]
    assert not stderr, f"{path.name} wrote to stderr: {stderr}"
    assert any("image/png" in out.get("data", {}) for out in outputs), "no plot was shown"
    assert has_embedded_plot(lessons.to_html(executed))
    printed = "".join(out.get("text", "") for out in outputs)
    for claim in CLAIMED_OUTPUTS.get(path.stem, []):
        assert claim in printed, f"{path.name}'s text relies on outputs that print {claim!r}"
    lessons.store_executed(path, executed)  # passed: tests/test_site.py reuses it


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "mnist_course", "lessons", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.notebooks
def test_lessons_command_renders_html_with_plots_and_never_overwrites_unasked(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    write_notebook(
        folder / "01_digits.ipynb",
        "%matplotlib inline\nimport mnist_course as mc\nimport numpy as np",
        "mc.plot_digits(np.zeros((4, 28, 28)), np.arange(4), n=4)",
    )
    write_notebook(folder / "02_text.ipynb", "print('hello from lesson 2')")

    result = run_cli("--out", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    html = tmp_path / "html"
    assert sorted(p.name for p in html.iterdir()) == [
        "01_digits.html",
        "02_text.html",
        "index.html",
    ]
    assert has_embedded_plot((html / "01_digits.html").read_text())
    assert "hello from lesson 2" in (html / "02_text.html").read_text()
    index = (html / "index.html").read_text()
    assert 'href="01_digits.html"' in index and 'href="02_text.html"' in index

    (html / "01_digits.html").write_text("edited by hand")
    again = run_cli("--out", "html", cwd=tmp_path)
    assert again.returncode == 1
    assert "already holds files" in again.stderr and "--force" in again.stderr
    assert (html / "01_digits.html").read_text() == "edited by hand"

    forced = run_cli("--out", "html", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert has_embedded_plot((html / "01_digits.html").read_text())


@pytest.mark.notebooks
def test_a_failing_lesson_is_reported_by_name_and_nothing_is_written_for_it(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    write_notebook(folder / "01_broken.ipynb", "raise ValueError('a deliberate mistake')")
    result = run_cli("--from", str(folder), "--out", str(tmp_path / "html"), cwd=tmp_path)
    assert result.returncode == 1
    assert "01_broken.ipynb failed" in result.stderr
    assert "a deliberate mistake" in result.stderr
    assert not (tmp_path / "html" / "01_broken.html").exists()
