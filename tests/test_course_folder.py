"""mnist-course init: the lessons and released exercises copied into a folder to work in,
never over a file that is there."""

from helpers import ROOT

from mnist_course import cli
from mnist_course.course_folder import course_files, init_folder


def test_init_copies_every_lesson_and_released_exercise_and_the_conftest(tmp_path, capsys):
    assert cli.main(["init", str(tmp_path / "course")]) == 0
    copied = sorted(p.relative_to(tmp_path / "course") for p in (tmp_path / "course").rglob("*"))
    files = [p for p in copied if (tmp_path / "course" / p).is_file()]
    assert files == course_files()
    assert {p.parts[0] for p in files} == {"lessons", "exercises"}  # no solutions
    lesson = "lessons/01_data_preparation.ipynb"
    assert (tmp_path / "course" / lesson).read_bytes() == (ROOT / lesson).read_bytes()
    assert f"{len(files)} files written" in capsys.readouterr().out


def test_init_never_overwrites_and_names_each_file_it_kept(tmp_path):
    mine = tmp_path / "exercises" / "ex01_data" / "ex01_data.ipynb"
    mine.parent.mkdir(parents=True)
    mine.write_text("my answers")
    said = []
    written, skipped = init_folder(tmp_path, log=said.append)
    assert mine.read_text() == "my answers"
    assert skipped == [mine.relative_to(tmp_path)]
    assert f"kept {mine}: it exists (not overwritten)" in said
    assert len(written) == len(course_files()) - 1
    assert init_folder(tmp_path, log=said.append)[0] == []
