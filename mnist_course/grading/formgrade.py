"""What nbgrader's Formgrader shows a grader: each written answer with its rubric beside it.

The rubric of a written answer ends its model answer in ``solutions/`` (what earns 2, 1 and 0
points), which the students never see. Formgrader's manual grading page shows the student's
notebook only, so :class:`ShowModelAnswer`, named in nbgrader_config.py as a preprocessor of
nbconvert's ``HTMLExporter``, puts the model answer and its rubric right below each answer
that is graded by hand, on that page alone. ``nbgrader generate_feedback`` runs the same
exporter with its own template: there it leaves the notebook as it is, so the feedback a
student receives holds their own answer, the grader's points and comment, and no rubric.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from nbgrader.coursedir import CourseDirectory

from ..notebook import WRITTEN, cell_kind, nbgrader_metadata

FORMGRADE_TEMPLATE = "formgrade"
"""The template of Formgrader's manual grading page (nbgrader's ``formgrade``)."""

HEADING = (
    "**For the grader: the model answer and its rubric** (from `{path}`; students never see this)"
)


class ShowModelAnswer(Preprocessor):
    """On Formgrader's grading page, follow each written answer with its model answer and
    rubric, read from the source notebook (``solutions/<exercise>/<notebook>.ipynb``).

    Elsewhere (``generate_feedback``, any other export) the notebook is left unchanged.
    """

    def preprocess(self, nb, resources):
        if getattr(self.parent, "template_name", None) != FORMGRADE_TEMPLATE:
            return nb, resources
        if not {"assignment_id", "notebook_id"} <= set(resources):
            return nb, resources
        coursedir = CourseDirectory(parent=self)
        relative = (
            Path(coursedir.source_directory)
            / resources["assignment_id"]
            / f"{resources['notebook_id']}.ipynb"
        )
        path = Path(coursedir.root) / relative
        if not path.is_file():
            self.log.warning(
                "no model answers to show beside the written answers: %s is missing", path
            )
            return nb, resources
        models = {
            nbgrader_metadata(cell)["grade_id"]: cell.source
            for cell in nbformat.read(path, as_version=4).cells
            if cell_kind(cell) == WRITTEN
        }
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            grade_id = nbgrader_metadata(cell).get("grade_id")
            if cell_kind(cell) == WRITTEN and grade_id in models:
                cells.append(model_answer_cell(models[grade_id], relative))
        nb.cells = cells
        return nb, resources


def model_answer_cell(model_answer, path):
    """A markdown cell that quotes ``model_answer`` (its rubric included) under a heading."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in model_answer.splitlines())
    return new_markdown_cell(f"{HEADING.format(path=path.as_posix())}\n>\n{quoted}")
