"""Watches: a context that a check puts around one call of the student's function.

A check sometimes needs more than the value a function returns: what the function did while
it ran (the seeds it passed to the course's functions), or a rule kept while it ran (the test
set out of its reach). A watch is a context manager factory, ``factory(function, *params)``,
that yields a record (a list the check reads afterwards) or None. Where the function is the
student's and runs in the student's process, the watch must run there too: the check passes
the factory to :meth:`StudentFunction.watching <mnist_course.sandbox.notebook_run.StudentFunction>`,
the call carries its name and plain ``params``, and the student's process finds the factory by
that name and runs it around the call. It finds only what :func:`watch` marked, in the
course's own package: the sandbox knows no exercise, and a call cannot name any other code.

The record is the student's process's word: a check may use it to explain a failure, never to
pass one.
"""

from __future__ import annotations

import importlib

MARK = "__course_watch__"


def watch(factory):
    """Mark ``factory`` (a context manager factory of a check module) as a watch."""
    setattr(factory, MARK, True)
    return factory


def name_of(factory):
    """The name a call carries for ``factory``: ``"module:qualified name"``."""
    if not getattr(factory, MARK, False):
        raise ValueError(f"{factory!r} is not marked as a watch (mnist_course.sandbox.watch)")
    return f"{factory.__module__}:{factory.__qualname__}"


def find(name):
    """The watch named ``name``; LookupError unless it is one of the course's marked watches."""
    module_name, _, attribute = str(name).partition(":")
    if not module_name.startswith("mnist_course.") or not attribute.isidentifier():
        raise LookupError(f"no watch named {name!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        raise LookupError(f"no watch named {name!r}") from None
    if not getattr(factory, MARK, False):
        raise LookupError(f"{name!r} is not a watch")
    return factory


def plain(record):
    """A record as the wire carries it: numbers, strings, None, and lists of them; anything
    else becomes its repr (the student's objects never cross as objects)."""
    if record is None or isinstance(record, bool | int | float | str):
        return record
    if isinstance(record, list | tuple):
        return [plain(item) for item in record[:10_000]]
    try:
        return repr(record)[:200]
    except BaseException:  # the student's __repr__ may raise anything
        return "(a value whose repr failed)"
