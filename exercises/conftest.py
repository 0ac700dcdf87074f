"""Let `pytest exercises` check the exercise notebooks (see mnist_course/selfcheck/plugin.py)."""

from mnist_course.selfcheck.plugin import (  # noqa: F401 (pytest finds the hooks by name)
    pytest_addoption,
    pytest_collect_file,
    pytest_collection_finish,
    pytest_report_header,
)
