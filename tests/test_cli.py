"""The mnist-course command line, run as a user runs it: in a separate process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_course as run

from mnist_course import cli, grading
from mnist_course.grading import autograde, report


def test_help_explains_each_train_option():
    result = run("train", "--help")
    assert result.returncode == 0
    for option in ("--epochs", "--batch-size", "--hidden-units", "--activation", "--seed", "--out"):
        assert option in result.stdout


def test_importing_the_package_and_the_data_commands_do_not_load_tensorflow():
    code = (
        "import sys, mnist_course\n"
        "from mnist_course import cli\n"
        "cli.main(['data', 'verify'])\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'matplotlib') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout


@pytest.mark.full_data
def test_data_verify_reports_all_four_files_intact():
    result = run("data", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("SHA-256 of decompressed data OK") == 4


@pytest.mark.full_data
def test_export_csv_writes_the_original_format_and_refuses_to_overwrite(tmp_path):
    result = run("data", "export-csv", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "mnist_test.csv").read_text().splitlines()
    assert len(lines) == 10000 and len(lines[0].split(",")) == 785
    again = run("data", "export-csv", str(tmp_path))
    assert again.returncode == 1
    assert "already exist" in again.stderr and "Traceback" not in again.stderr


def test_a_bad_data_folder_gives_one_clear_line_not_a_traceback(tmp_path):
    env = {**__import__("os").environ, "MNIST_COURSE_DATA": str(tmp_path)}
    result = run("train", "--epochs", "1", env=env)
    assert result.returncode == 1
    assert "found no MNIST files" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.training
@pytest.mark.full_data
def test_train_with_out_reaches_95_percent_and_writes_model_metrics_and_plots(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "test accuracy:" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95
    assert {"test_loss", "epochs", "batch_size", "seed", "fit_seconds"} <= set(metrics)
    assert (metrics["epochs"], metrics["batch_size"], metrics["seed"]) == (5, 32, 0)
    for name in ("model.keras", "history.png", "confusion_matrix.png", "misclassified.png"):
        assert (out / name).stat().st_size > 1000
    again = run("train", "--epochs", "1", "--out", str(out))
    assert again.returncode != 0 and "already holds" in again.stderr
    assert json.loads((out / "metrics.json").read_text()) == metrics


def test_autograde_prints_each_student_then_the_scores_and_a_summary(monkeypatch, capsys):
    results = [
        autograde.StudentResult("alice", "graded", 2.0, 6.0, 6.0),
        autograde.StudentResult(
            "bob", "failed", 1.5, notes=["bubblewrap not found"], log=Path("b.log")
        ),
    ]

    def autograde_course(assignments, *, on_result, **options):
        assert (assignments, options["jobs"], options["force"]) == (["ex01_data"], 2, True)
        for result in results:
            on_result(result)
        return {"ex01_data": results}

    monkeypatch.setattr(report, "autograde_course", autograde_course)
    # a failed run: exit status 1
    assert cli.main(["autograde", "ex01_data", "--jobs", "2", "--force"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == [
        "alice: graded, 6 of 6 points (2.0 s)",
        "bob: failed (1.5 s)",
        "    bubblewrap not found",
        "    nbgrader's log: b.log",
        "",
    ]
    assert lines[5] == f"{'alice':>20}  6 / 6"
    assert lines[6].startswith("2 students in ") and lines[6].endswith(" s: 1 graded, 1 failed")


def test_autograde_of_several_assignments_says_which_each_line_is_about(monkeypatch, capsys):
    def autograde_course(assignments, *, on_result, **options):
        assert assignments is None  # `all`: every assignment of the gradebook
        course = {}
        for assignment, score in (("ex01_data", 6.0), ("ex02_model", 3.0)):
            result = autograde.StudentResult("alice", "graded", 2.0, score, 6.0)
            result.assignment = assignment
            on_result(result)
            course[assignment] = [result]
        return course

    monkeypatch.setattr(report, "autograde_course", autograde_course)
    assert cli.main(["autograde", "all", "--jobs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "ex01_data, alice: graded, 6 of 6 points (2.0 s)",
        "ex02_model, alice: graded, 3 of 6 points (2.0 s)",
        "",
    ]
    # the assignments' names in one column, the students' in the next
    assert lines[3:5] == [f"ex01_data   {'alice':>20}  6 / 6", f"ex02_model  {'alice':>20}  3 / 6"]
    # one student's two notebooks: 2 submissions, not 2 students
    assert lines[5].startswith("2 assignments, 1 student, 2 submissions in ")
    assert lines[5].endswith(" s: 2 graded")


def test_site_command_explains_its_options_and_refuses_a_non_empty_folder(tmp_path):
    result = run("site", "--help")
    assert result.returncode == 0
    for option in ("--out", "--force", "--root"):
        assert option in result.stdout
    (tmp_path / "notes.txt").write_text("kept")
    refused = run("site", "--out", str(tmp_path))
    assert refused.returncode == 1
    assert "already holds files" in refused.stderr and "--force" in refused.stderr
    assert (tmp_path / "notes.txt").read_text() == "kept"


def test_a_course_error_prints_its_message_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    """The command line catches CourseError alone: a ValueError is a bug, not a user's mistake."""
    import argparse

    from mnist_course import CourseError, MnistDataError, lessons, website

    for error in (MnistDataError, grading.GradingError, lessons.LessonError, website.SiteError):
        assert issubclass(error, CourseError)

    def command(error):
        def run(args):
            raise error

        parser = argparse.ArgumentParser()
        parser.set_defaults(run=run)
        monkeypatch.setattr(cli, "_parser", lambda: parser)

    command(CourseError("no lessons in nowhere/; run from the repository root."))
    assert cli.main([]) == 1
    assert capsys.readouterr().err == (
        "mnist-course: no lessons in nowhere/; run from the repository root.\n"
    )
    command(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        cli.main([])
