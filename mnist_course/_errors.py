"""The course's one error root: a mistake the user can fix, said in a message.

``mnist-course`` prints a :class:`CourseError`'s message (what was expected, what was found,
the fix) and exits with status 1; any other exception is a bug and keeps its traceback.
"""


class CourseError(Exception):
    """A user-facing error; its message says what went wrong and what to do."""


class OutputExists(CourseError, FileExistsError):
    """A command's output folder already holds files it would overwrite."""


class InputMissing(CourseError, FileNotFoundError):
    """A folder a command reads (lessons, exercises) holds nothing it can use."""


class CheckFailed(AssertionError):
    """An answer does not do what the exercise asks; the message says what and how to fix it.

    Not a :class:`CourseError`: it is a check's verdict on a student's answer, which pytest and
    nbgrader report as a failed test.
    """
