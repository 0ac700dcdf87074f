"""The Colab install cell: inserted before each notebook's first code cell (exercises/ made
again by nbgrader), a no-op where the course is installed, an install of this release where
it is not; the Colab and Binder links are well formed and come from one address."""

import importlib.util
import shutil

import nbformat
import pytest
from helpers import ASSIGNMENTS, ROOT, release_notebook, solution_notebook

from mnist_course import __version__, cli, install_cell, notebook, selfcheck
from mnist_course._cells import python_source

ADDRESS = install_cell.repository(ROOT)


class RecordingShell:
    """Stands in for IPython: records the magics a cell runs."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, *args):
        self.magics.append((name, line))


def _run(source, **names):
    shell = RecordingShell()
    namespace = {"get_ipython": lambda: shell, **names}
    exec(python_source(source), namespace)
    return shell.magics, namespace


def test_the_cell_does_nothing_where_the_course_is_installed():
    magics, _ = _run(install_cell.install_source(ADDRESS))
    assert magics == []


def test_the_cell_installs_this_release_keeping_the_images_tensorflow(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "mnist_course" else find_spec(name),
    )
    magics, namespace = _run(install_cell.install_source(ADDRESS))
    ((name, line),) = magics
    assert name == "pip"
    # IPython expands {keep} from the namespace when it runs the magic
    line = line.replace("{keep}", namespace["keep"])
    assert line.split() == [
        "install",
        "--quiet",
        "--no-deps",
        '"mnist-course',
        "@",
        f'git+{ADDRESS}@v{__version__}"',
    ]


def test_the_links_are_made_from_the_one_address():
    assert ADDRESS.startswith("https://github.com/")
    owner_name = ADDRESS.removeprefix("https://github.com/")
    path = "lessons/01_data_preparation.ipynb"
    assert install_cell.colab_url(ADDRESS, path) == (
        f"https://colab.research.google.com/github/{owner_name}/blob/v{__version__}/{path}"
    )
    assert install_cell.binder_url(ADDRESS, path).endswith(
        f"/v2/gh/{owner_name}/v{__version__}?labpath=lessons%2F01_data_preparation.ipynb"
    )
    with pytest.raises(ValueError, match="expected https://github.com/OWNER/NAME"):
        install_cell.colab_url("https://example.org/x", path)


def test_the_student_guide_links_every_notebook_to_colab_and_binder_from_the_one_address():
    guide = (ROOT / install_cell.GUIDE).read_text(encoding="utf-8")
    table = guide.split(install_cell.LINKS_START)[1].split(install_cell.LINKS_END)[0].strip()
    assert table == install_cell.links_table(ADDRESS, ROOT), "run: mnist-course install-cell"
    notebooks = install_cell.student_notebooks(ROOT)
    assert len(notebooks) == 18 and len(table.splitlines()) == 2 + len(notebooks)
    for path in notebooks:
        name = path.relative_to(ROOT).as_posix()
        assert install_cell.colab_url(ADDRESS, name) in table, name
        assert install_cell.binder_url(ADDRESS, name) in table, name


def test_each_site_page_opens_its_notebook_in_colab_and_binder():
    from mnist_course import website

    other = "https://github.com/someone/their-course"
    path = release_notebook("ex02_model")
    page = website._exercise_page(path, other).cells[1].source
    assert install_cell.colab_url(other, "exercises/ex02_model/ex02_model.ipynb") in page
    assert install_cell.binder_url(other, "exercises/ex02_model/ex02_model.ipynb") in page
    assert "colab" not in website._exercise_page(path, None).cells[1].source


def test_a_released_notebook_is_refused_with_the_fix():
    released = nbformat.read(str(release_notebook("ex01_data")), as_version=4)
    with pytest.raises(ValueError, match="generate_assignment"):
        install_cell.with_install_cell(released, "pass")


@pytest.mark.nbgrader
def test_the_command_inserts_the_cell_everywhere_once_and_grading_accepts_it(tmp_path, capsys):
    for folder in ("lessons", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    # the course's notebooks carry the cell: another address changes it in every one
    other = ["--repository", "https://github.com/someone/their-course"]
    assert cli.main(["install-cell", "--root", str(tmp_path), *other]) == 0
    paths = install_cell.course_notebooks(tmp_path)
    assert f"{len(paths)} of {len(paths)} notebooks changed" in capsys.readouterr().out
    assert cli.main(["install-cell", "--root", str(tmp_path), *other]) == 0
    assert f"0 of {len(paths)} notebooks changed" in capsys.readouterr().out

    released = [release_notebook(a, tmp_path) for a in ASSIGNMENTS]
    for path in paths + released:
        cells = nbformat.read(str(path), as_version=4).cells
        code = [cell for cell in cells if cell.cell_type == "code"]
        assert install_cell.is_install_cell(code[0]), path
        assert sum(map(install_cell.is_install_cell, cells)) == 1, path
        assert cells[0].cell_type == "markdown", path  # the title and goals stay first
        if path in released:
            meta = code[0].metadata["nbgrader"]
            assert meta["locked"] and not meta["grade"] and "checksum" in meta, path
            assert notebook.cell_kind(code[0]) == notebook.SETUP

    # the self-check, as grading runs a notebook, passes the solution with the cell in it
    results = selfcheck.check_notebook(solution_notebook("ex01_data", tmp_path))
    assert {name: r.outcome for name, r in results.items()} == {
        "test_split_labels": "passed",
        "test_normalize": "passed",
        "test_one_hot": "passed",
        "test_pixel_position": "passed",
        "test_predicted_unnormalised_accuracy": "passed",
        "test_predicted_permuted_accuracy": "passed",
    }
