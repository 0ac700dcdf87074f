"""The ``mnist-course`` command line: train the course's model, check or export the data,
render the lessons, autograde a class."""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import __version__
from ._errors import CourseError, OutputExists

OUT_FILES = (
    "model.keras",
    "metrics.json",
    "history.png",
    "confusion_matrix.png",
    "misclassified.png",
)


def _parser():
    parser = argparse.ArgumentParser(
        prog="mnist-course",
        description="MNIST with Keras: the course's command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train the course's model on the bundled MNIST and print test accuracy",
        description="Prepare the bundled MNIST, build the course's dense network, train it "
        "and report loss and accuracy on the 10,000 test images.",
    )
    train.add_argument(
        "--epochs", type=int, default=5, help="passes over the 60,000 training images (default 5)"
    )
    train.add_argument(
        "--batch-size", type=int, default=32, help="images per gradient step (default 32)"
    )
    train.add_argument(
        "--hidden-units",
        type=int,
        nargs="+",
        default=[64, 64],
        metavar="N",
        help="units of each hidden Dense layer; their number is the depth (default 64 64)",
    )
    train.add_argument(
        "--activation",
        default="relu",
        help="activation of the hidden layers, e.g. relu or sigmoid (default relu)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same seed gives the same result on the same machine (default 0)",
    )
    train.add_argument(
        "--validation-split",
        type=float,
        default=0.0,
        help="fraction of the training images held out to validate each epoch (default 0)",
    )
    train.add_argument(
        "--out",
        type=Path,
        help="folder to write model.keras, metrics.json and the plots (PNG) into; "
        "files already there are never overwritten",
    )
    train.set_defaults(run=_train)

    init = commands.add_parser(
        "init",
        help="copy the lessons and exercises into a folder to work in",
        description="Copy the course's lessons/ and exercises/ (the released notebooks and the "
        "self-check's conftest.py) from the installed package into DIR. A file that exists in "
        "DIR is never overwritten: it is kept and named.",
    )
    init.add_argument("dir", type=Path, help="the folder to work in (created if missing)")
    init.set_defaults(run=_init)

    cell = commands.add_parser(
        "install-cell",
        help="insert or update the Colab install cell in every lesson and solution",
        description="Put a first code cell into each lesson and solution (and make exercises/ "
        "again from solutions/ with nbgrader) "
        "that installs this release of the course where mnist_course is not importable "
        "(Colab, a hub) and does nothing where it is; and write the table of Colab and Binder "
        "links in docs/students.md. The repository address comes from "
        "pyproject.toml's [project.urls] Repository.",
    )
    cell.add_argument("notebooks", nargs="*", type=Path, help="the notebooks (default: all)")
    cell.add_argument("--repository", help="https://github.com/OWNER/NAME, instead of pyproject's")
    cell.add_argument(
        "--root", type=Path, default=Path("."), help="the course folder (default: here)"
    )
    cell.set_defaults(run=_install_cell)

    data = commands.add_parser("data", help="check the bundled MNIST or export it as CSV")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    verify = data_commands.add_parser("verify", help="check the bundled files' sizes and SHA-256")
    verify.set_defaults(run=_verify)
    export = data_commands.add_parser(
        "export-csv",
        help="write mnist_train.csv and mnist_test.csv (label, then 784 pixels a line)",
    )
    export.add_argument("dir", type=Path, help="folder to write the two CSV files into")
    export.set_defaults(run=_export)

    autograde = commands.add_parser(
        "autograde",
        help="autograde every submission of one or more assignments with nbgrader, several "
        "at a time",
        description="Run `nbgrader autograde ASSIGNMENT --student ID` for each student in "
        "nbgrader's submitted folder, --jobs at a time, over the one gradebook, and report "
        "each student's score, or why they were not graded. Several assignments are graded "
        "one after another by the same workers. The gradebook is "
        "nbgrader_config.py's SQLite file, or the URL in the environment variable "
        "MNIST_COURSE_DB_URL (PostgreSQL for several machines, each with --shard).",
    )
    autograde.add_argument(
        "assignment",
        nargs="+",
        help="the assignments, e.g. ex01_data ex02_model, or `all`: every assignment of the "
        "gradebook with submissions",
    )
    autograde.add_argument(
        "--student", action="append", metavar="ID", help="grade only this student (repeatable)"
    )
    autograde.add_argument(
        "--jobs", type=int, help="students graded at once (default: the number of CPUs)"
    )
    autograde.add_argument(
        "--force", action="store_true", help="grade again students that were graded before"
    )
    autograde.add_argument(
        "--timeout",
        type=float,
        help="seconds a cell may run before it scores 0 (default: nbgrader_config.py's)",
    )
    autograde.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="grade only the K-th of N equal shares of the class (K from 1), e.g. "
        "$SLURM_ARRAY_TASK_ID/8 in a job array, all into one gradebook on PostgreSQL",
    )
    autograde.add_argument(
        "--root", type=Path, default=Path("."), help="the course folder (default: here)"
    )
    autograde.set_defaults(run=_autograde)

    lessons = commands.add_parser(
        "lessons",
        help="execute the lesson notebooks and render them to HTML for publishing",
        description="Run every lesson in lessons/ top to bottom in a fresh kernel and write "
        "each as an HTML page (plots embedded) plus index.html.",
    )
    lessons.add_argument(
        "--out",
        type=Path,
        default=Path("lessons_html"),
        help="folder for the HTML pages (default lessons_html); files there are kept",
    )
    lessons.add_argument(
        "--from",
        dest="folder",
        type=Path,
        default=Path("lessons"),
        help="folder holding the lesson notebooks (default lessons)",
    )
    lessons.add_argument(
        "--force", action="store_true", help="replace the lesson pages in a non-empty --out"
    )
    lessons.add_argument(
        "--clear",
        action="store_true",
        help="instead: remove outputs and execution counts from the notebooks, before committing",
    )
    lessons.set_defaults(run=_lessons)

    site = commands.add_parser(
        "site",
        help="build the course website: lessons, exercises, guides, search; works offline",
        description="Execute the lessons (reusing those unchanged since their last run), then "
        "render every lesson, exercise and guide as a static website with navigation and "
        "search, which opens from a local folder or any web server with no network.",
    )
    site.add_argument(
        "--out", type=Path, default=Path("site"), help="folder for the site (default site)"
    )
    site.add_argument(
        "--force", action="store_true", help="write into a non-empty --out, replacing its pages"
    )
    site.add_argument(
        "--root", type=Path, default=Path("."), help="the course folder (default: here)"
    )
    site.set_defaults(run=_site)

    register = commands.add_parser(
        "register",
        help="register the exercises in the gradebook, with their due dates",
        description="Run `nbgrader generate_assignment EXERCISE --force` for each exercise "
        "(the released notebooks come out unchanged), then give each exercise the due date "
        "that due_dates.toml (or --due-dates) sets, if that file exists.",
    )
    register.add_argument(
        "exercise", nargs="*", help="the exercises to register (default: every exercise)"
    )
    register.add_argument(
        "--due-dates",
        type=Path,
        metavar="FILE",
        help="the due dates' TOML file (default: due_dates.toml in the course folder, if any)",
    )
    register.add_argument(
        "--root", type=Path, default=Path("."), help="the course folder (default: here)"
    )
    register.set_defaults(run=_register)

    export_grades = commands.add_parser(
        "export",
        help="write the gradebook's grades: per graded item, and for an LMS (Canvas, Moodle)",
        description="Read every student's grades from the gradebook (nbgrader_config.py's, or "
        "MNIST_COURSE_DB_URL's) and write them as CSV. Written answers not yet graded and "
        "exercises not submitted are marked as such, never as 0.",
    )
    export_grades.add_argument(
        "--items",
        type=Path,
        default=Path("grades_by_item.csv"),
        help="the table of each graded item's points (default grades_by_item.csv)",
    )
    export_grades.add_argument(
        "--lms",
        type=Path,
        default=Path("grades_for_lms.csv"),
        help="one row per student, one column per exercise, for Canvas's or Moodle's CSV "
        "grade import (default grades_for_lms.csv)",
    )
    export_grades.add_argument(
        "--root", type=Path, default=Path("."), help="the course folder (default: here)"
    )
    export_grades.set_defaults(run=_export_grades)
    return parser


def _train(args):
    out = args.out
    if out is not None:
        taken = [name for name in OUT_FILES if (out / name).exists()]
        if taken:
            raise OutputExists(
                f"{out} already holds {', '.join(taken)}; "
                "choose a new --out folder so nothing is overwritten."
            )
    from .training import load_course_data, run_course

    data = load_course_data()
    model, history, metrics = run_course(
        epochs=args.epochs,
        batch_size=args.batch_size,
        hidden_units=tuple(args.hidden_units),
        activation=args.activation,
        seed=args.seed,
        validation_split=args.validation_split,
        verbose=1 if sys.stdout.isatty() else 2,
        data=data,
    )
    print(f"test loss: {metrics['test_loss']:.4f}")
    print(f"test accuracy: {metrics['test_accuracy']:.4f}")
    print(f"fit time: {metrics['fit_seconds']:.1f} s")
    if out is not None:
        _write_run(out, model, history, metrics, test_data=data[1])
    return 0


def _write_run(out, model, history, metrics, *, test_data):
    from .plots import plot_confusion_matrix, plot_history, plot_misclassified
    from .training import confusion_matrix, predict_labels

    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    x_test, y_test = test_data
    y_test = y_test.argmax(axis=1)
    y_pred = predict_labels(model, x_test)
    plot_history(history).savefig(out / "history.png", dpi=100)
    plot_confusion_matrix(confusion_matrix(y_test, y_pred)).savefig(
        out / "confusion_matrix.png", dpi=100
    )
    plot_misclassified(x_test, y_test, y_pred).savefig(out / "misclassified.png", dpi=100)
    print(f"wrote {', '.join(OUT_FILES)} to {out}")


def _init(args):
    from .course_folder import init_folder

    written, skipped = init_folder(args.dir)
    print(f"{len(written)} files written to {args.dir}, {len(skipped)} kept as they were")
    if written:
        print(
            f"start with: cd {args.dir} && jupyter lab lessons; "
            "check an exercise with: pytest exercises/ex01_data"
        )
    return 0


def _install_cell(args):
    from .install_cell import (
        GUIDE,
        course_notebooks,
        insert_install_cells,
        links_table,
        repository,
        write_links,
    )

    address = args.repository or repository(args.root)
    paths = args.notebooks or course_notebooks(args.root)
    changed = insert_install_cells(paths, address, root=args.root)
    print(f"{len(changed)} of {len(paths)} notebooks changed")
    guide = Path(args.root) / GUIDE
    if guide.is_file() and write_links(guide, links_table(address, args.root)):
        print(f"Colab and Binder links written in {guide}")
    return 0


def _verify(args):
    from .data import bundled_dir, verify_bundled

    print(f"bundled MNIST in {bundled_dir()}")
    for line in verify_bundled():
        print(f"  {line}")
    print("all four files are intact")
    return 0


def _export(args):
    from .data import export_csv

    for path in export_csv(args.dir):
        print(f"wrote {path}")
    return 0


def _shard(text):
    from .grading import parse_shard

    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _autograde(args):
    from .grading import autograde_and_report, skip_unused_imports

    skip_unused_imports()
    return autograde_and_report(
        None if args.assignment == ["all"] else args.assignment,
        root=args.root,
        students=args.student or None,
        jobs=args.jobs,
        force=args.force,
        timeout=args.timeout,
        shard=args.shard,
    )


def _lessons(args):
    from .lessons import clear_outputs, lesson_paths, render_lessons

    if args.clear:
        for path in lesson_paths(args.folder):
            print(f"{path}: {'cleared' if clear_outputs(path) else 'already clean'}")
        return 0
    log = functools.partial(print, flush=True)
    written = render_lessons(args.out, folder=args.folder, force=args.force, log=log)
    print(f"wrote {len(written)} pages to {args.out}; open {written[-1]}")
    return 0


def _site(args):
    from .website import build_site

    start = time.perf_counter()
    log = functools.partial(print, flush=True)
    home = build_site(args.out, root=args.root, force=args.force, log=log)
    print(f"built the site in {time.perf_counter() - start:.0f} s; open {home}")
    return 0


def _register(args):
    from .checks import exercises
    from .grading import GradingError, course_directory
    from .grading.deadlines import DUE_DATES_FILE, read_due_dates, set_due_dates

    coursedir = course_directory(args.root)
    known = exercises()
    unknown = [name for name in args.exercise if name not in known]
    if unknown:
        raise GradingError(
            f"no exercise named {', '.join(unknown)}; expected some of {', '.join(known)}"
        )
    due_file = args.due_dates or Path(coursedir.root) / DUE_DATES_FILE
    dates = {}
    if args.due_dates or due_file.exists():
        dates = read_due_dates(due_file, exercises=known)
    # nbgrader starts alembic from PATH: the environment's own scripts come first
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for name in args.exercise or known:
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"]
        done = subprocess.run(command, cwd=coursedir.root, env=env)
        if done.returncode:
            raise GradingError(f"`nbgrader generate_assignment {name} --force` failed")
    set_due_dates(coursedir, dates)
    for name in args.exercise or known:
        due = dates.get(name)
        print(f"{name}: registered, " + (f"due {due:%Y-%m-%d %H:%M} UTC" if due else "no due date"))
    return 0


def _export_grades(args):
    from .grading import course_directory
    from .grading.export import gaps, grade_rows, write_items, write_lms

    rows = grade_rows(course_directory(args.root))
    write_items(rows, args.items)
    write_lms(rows, args.lms)
    for line in gaps(rows):
        print(line)
    students = len({row.student_id for row in rows})
    print(f"wrote {args.items} and {args.lms}: {students} students")
    return 0


def main(argv=None):
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except CourseError as error:
        print(f"mnist-course: {error}", file=sys.stderr)
        return 1
