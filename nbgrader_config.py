"""nbgrader for this course: run nbgrader commands from the repository root.

solutions/<assignment>/ is the source (with solutions and hidden tests); generate_assignment
writes the students' copies to exercises/<assignment>/. Everything grading produces, the
gradebook included, goes to grading/, which git ignores. The environment variable
MNIST_COURSE_DB_URL, where set, names another gradebook (a SQLAlchemy URL, e.g. PostgreSQL
for several machines grading one class): see the README.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)
root = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(root, "grading"), exist_ok=True)

c.CourseDirectory.root = root
# The gradebook's course: nbgrader's default is none (''), which SQLite lets pass and
# PostgreSQL refuses (an assignment must belong to a course); the exchange needs one too
c.CourseDirectory.course_id = "mnist_course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = os.environ.get("MNIST_COURSE_DB_URL") or (
    f"sqlite:///{os.path.join(root, 'grading', 'gradebook.db')}"
)

# A student's cell, or one call of a student's function by a check, may train a small model;
# 120 s covers it on a slow laptop (nbgrader's default is 30)
c.Execute.timeout = 120
# A submission whose cells hang still gets graded (0 for those cells) instead of failing
c.Execute.raise_on_iopub_timeout = False
# A deleted or stripped test cell is put back and graded rather than left for manual grading
c.OverwriteCells.add_missing_cells = True
# No kernel: the student's cells run in a contained child process, the test cells in nbgrader's
# own process, calling the student's functions in the child (README: "What grading
# guarantees"). A call that hangs or crashes costs only the test cell that made it.
# (nbgrader 0.9.6's default list, with Execute replaced)
c.Autograde.autograde_preprocessors = [
    "mnist_course.grading.preprocessors.GradeOutside",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# The late policy: a notebook loses 0.1 of its maximum points for each day (or part of a day)
# it comes in after its exercise's due date (mnist-course register reads due_dates.toml), and
# never scores below 0. Change the fraction here; 0 turns penalties off.
c.AssignLatePenalties.plugin_class = "mnist_course.grading.deadlines.PerDayPenalty"
c.PerDayPenalty.fraction_per_day = 0.1
# Feedback shows the test cells without their hidden tests, in tracebacks too
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "mnist_course.grading.preprocessors.ClearHiddenTestsAndTracebacks",
]
# Formgrader's manual grading page shows each written answer's model answer and rubric (from
# solutions/) right below the student's answer; the students' feedback does not
c.HTMLExporter.preprocessors = ["mnist_course.grading.formgrade.ShowModelAnswer"]
# nbgrader zip_collect: files downloaded from an LMS go in grading/downloaded/<exercise>/archive/,
# named <student>_<exercise>.ipynb (loose or zipped)
c.ZipCollectApp.downloaded_directory = "grading/downloaded"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/]+)_(?P<file_id>ex\d\d_[^/]+\.ipynb)$"
)
