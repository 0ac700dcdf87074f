"""The course being graded: its folders and its gradebook, as nbgrader's ``CourseDirectory``
names them.

nbgrader_config.py in the course's root folder says where everything is
(:func:`course_directory`): the submitted folders, one per student and assignment
(:func:`submitted_students`), the autograded ones (:func:`stopped_half_way`), and the
gradebook, a SQLite file or, named by :data:`DB_URL_VARIABLE`, a database server that several
machines share, each grading its shard of the class (:func:`shard_students`). This module
only reads them; nbgrader writes.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from .._errors import CourseError

DB_URL_VARIABLE = "MNIST_COURSE_DB_URL"
"""The environment variable that names the gradebook (a SQLAlchemy URL) in nbgrader_config.py.

Unset, the gradebook is the SQLite file grading/gradebook.db; several machines grading one
class share one on PostgreSQL, e.g. ``postgresql://grader:secret@db.example.org/course``.
"""


class GradingError(CourseError):
    """The course or the assignment cannot be graded as asked; the message says why."""


# ---------------------------------------------------------------------------------------------
# The course's folders


def config_folder(root="."):
    """Return ``root`` resolved, or raise :class:`GradingError` unless it holds
    ``nbgrader_config.py``."""
    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise GradingError(
            f"{root} has no nbgrader_config.py; expected the course's root folder "
            "(the one with solutions/ and exercises/): cd there or pass --root"
        )
    return root


def course_directory(root="."):
    """Read ``nbgrader_config.py`` in ``root`` and return nbgrader's ``CourseDirectory``.

    Parameters
    ----------
    root : path-like
        The course's root folder, the one with ``nbgrader_config.py``.

    Returns
    -------
    nbgrader.coursedir.CourseDirectory
    """
    root = config_folder(root)
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    if "root" not in config.CourseDirectory:
        coursedir.root = str(root)
    return coursedir


def submitted_students(coursedir, assignment):
    """Return the ids of the students with a submitted folder for ``assignment``, sorted."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    position = Path(pattern).parts.index("*")
    return sorted(Path(path).parts[position] for path in glob.glob(pattern) if Path(path).is_dir())


def stopped_half_way(coursedir, assignment, student):
    """Whether an earlier run was cut off while it graded this student.

    nbgrader writes a student's autograded notebooks before it runs them, and makes them
    read-only (mode 444, its default) as its last step; a grading run that was killed (a
    machine or a job that died) leaves them writable, or leaves the folder without them.
    nbgrader itself would skip such a folder ("Skipping existing assignment").
    """
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    if not autograded.is_dir():
        return False
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    for notebook in submitted.glob("*.ipynb"):
        graded = autograded / notebook.name
        if not graded.is_file() or graded.stat().st_mode & 0o222:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# A class split across machines


def parse_shard(text):
    """Read a shard written ``K/N`` (the K-th of N, counted from 1); return ``(K, N)``.

    Examples
    --------
    >>> parse_shard("3/8")
    (3, 8)
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    shard, shards = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= shard <= shards:
        raise ValueError(
            f"shard {text!r}: expected K/N with 1 <= K <= N, e.g. 3/8 (Slurm: "
            "$SLURM_ARRAY_TASK_ID/8 with --array=1-8; a Kubernetes indexed Job counts from 0: "
            "$((JOB_COMPLETION_INDEX + 1))/8)"
        )
    return shard, shards


def shard_students(students, shard, shards):
    """Return the students that shard ``shard`` of ``shards`` grades, sorted.

    The ids are sorted and shard K takes every N-th one from the K-th on, so every machine
    computes the same split from the same submitted folders, and each student falls in
    exactly one shard.

    Examples
    --------
    >>> [shard_students(["eve", "bob", "dan", "amy", "cat"], k, 2) for k in (1, 2)]
    [['amy', 'cat', 'eve'], ['bob', 'dan']]
    """
    return [student for i, student in enumerate(sorted(students)) if i % shards == shard - 1]


# ---------------------------------------------------------------------------------------------
# The gradebook


def shown_url(db_url):
    """The gradebook's URL as messages show it: without its password.

    Examples
    --------
    >>> shown_url("postgresql://grader:secret@127.0.0.1:5432/course")
    'postgresql://grader:***@127.0.0.1:5432/course'
    """
    import sqlalchemy

    try:
        return sqlalchemy.engine.make_url(db_url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:  # not a URL: where its password is cannot be told
        return f"{db_url.partition(':')[0]}:***"


def _check_gradebook(db_url, assignment):
    """Raise :class:`GradingError` unless ``db_url`` holds an nbgrader gradebook.

    Opening nbgrader's ``Gradebook`` on an empty database creates its tables: two machines
    doing that at once collide, so the gradebook must be made first, by registering the
    assignments once.
    """
    import sqlalchemy

    register = f"run `nbgrader generate_assignment {assignment} --force` first"
    database = db_url.removeprefix("sqlite:///")
    if database != db_url:
        if not Path(database).is_file():
            raise GradingError(f"there is no gradebook at {database}; {register}")
        return
    try:
        engine = sqlalchemy.create_engine(db_url)
    except (ImportError, sqlalchemy.exc.ArgumentError) as error:
        # an ArgumentError's message repeats the URL, password included
        reason = error if isinstance(error, ImportError) else "not a URL SQLAlchemy reads"
        raise GradingError(
            f"cannot use the gradebook URL {shown_url(db_url)} ({reason}); for PostgreSQL, "
            "install the driver with `pip install -e '.[postgres]'` and write the URL as "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    try:
        with engine.connect() as connection:
            tables = sqlalchemy.inspect(connection).get_table_names()
    except sqlalchemy.exc.OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise GradingError(
            f"cannot reach the gradebook at {shown_url(db_url)}: {reason}; check the server "
            f"and the URL in {DB_URL_VARIABLE}"
        ) from None
    finally:
        engine.dispose()
    if "assignment" not in tables:
        raise GradingError(
            f"the database {shown_url(db_url)} holds no gradebook yet; register the "
            f"assignments once, from one machine, before grading: {register} with "
            f"{DB_URL_VARIABLE} set"
        )


def gradebook_assignments(coursedir):
    """Return the names of the assignments in the gradebook, sorted."""
    from nbgrader.api import Gradebook

    _check_gradebook(coursedir.db_url, "<assignment>")
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        return sorted(assignment.name for assignment in gradebook.assignments)


def assignment_notebooks(coursedir, assignment):
    """Return the names (without .ipynb) of the notebooks that the gradebook has for it."""
    from nbgrader.api import Gradebook, MissingEntry

    _check_gradebook(coursedir.db_url, assignment)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:
            known = sorted(a.name for a in gradebook.assignments)
            raise GradingError(
                f"assignment {assignment!r} is not in the gradebook (it has {known}); "
                f"run `nbgrader generate_assignment {assignment} --force` first (--force "
                "because exercises/ already holds it; the notebooks come out the same)"
            ) from None
        return sorted(notebook.name for notebook in found.notebooks)


def read_scores(coursedir, assignment, results):
    """Fill in the score and maximum score of each graded or skipped student from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for result in results:
            if result.status not in ("graded", "skipped"):
                continue
            try:
                submission = gradebook.find_submission(assignment, result.student)
            except MissingEntry:
                continue
            result.score, result.max_score = submission.score, submission.max_score
