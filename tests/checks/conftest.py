"""What every checks test needs: a way to run a check that must fail and read its message."""

import pytest

from mnist_course.checks import CheckFailed


def _fails_with(check, *args, match, **kwargs):
    """Run a check that must fail; return its message after checking it teaches."""
    with pytest.raises(CheckFailed, match=match) as info:
        check(*args, **kwargs)
    message = str(info.value)
    assert "\n  expected: " in message and "\n  returned: " in message
    return message


@pytest.fixture
def fails_with():
    """``fails_with(check, *args, match=..., **kwargs)`` -> the failure's message."""
    return _fails_with
