"""nbgrader for this course: run nbgrader commands from the repository root.

solutions/<assignment>/ is the source (with solutions and hidden tests); generate_assignment
writes the students' copies to exercises/<assignment>/. Everything grading produces, the
gradebook included, goes to grading/, which git ignores.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)
root = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(root, "grading"), exist_ok=True)

c.CourseDirectory.root = root
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = f"sqlite:///{os.path.join(root, 'grading', 'gradebook.db')}"

# A test cell may train a small model; 120 s covers it on a slow laptop (nbgrader's default is 30)
c.Execute.timeout = 120
# A submission whose cells hang still gets graded (0 for those cells) instead of failing
c.Execute.raise_on_iopub_timeout = False
# A deleted or stripped test cell is put back and graded rather than left for manual grading
c.OverwriteCells.add_missing_cells = True
# Feedback shows the test cells without their hidden tests
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
