"""The test suite's own helpers: what is required in CI is skipped elsewhere, failed there."""

import pytest
from helpers import import_or_fail_in_ci, skip_or_fail_in_ci


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)],
)
def test_what_ci_requires_is_skipped_here_and_failed_in_ci(monkeypatch, ci, outcome):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="bubblewrap cannot run here"):
        skip_or_fail_in_ci("bubblewrap cannot run here")
    with pytest.raises(outcome, match="no_such_module_of_the_course is not installed: pip"):
        import_or_fail_in_ci("no_such_module_of_the_course", "pip install it")


def test_an_installed_module_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert import_or_fail_in_ci("json", "always there").dumps([]) == "[]"
