"""How a check speaks: it raises CheckFailed with what was expected, what came back and a hint."""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
import warnings

import numpy as np

from .._quiet import silence_tensorflow
from ..sandbox.watch import watch
from ._state import CheckFailed

KERAS_MISTAKES = [
    (
        r"must have rank \(ndim\) `target\.ndim - 1`|sparse_categorical",
        "the loss is sparse categorical cross-entropy, which expects labels as integers 0..9",
        "the course's labels are one-hot rows of 10 (y_train has shape (N, 10)): use "
        "loss='categorical_crossentropy'",
    ),
    (
        r"`target` and `output` must have the same shape|Shapes .* are incompatible",
        "the labels and the model's output have different shapes",
        "one-hot labels of shape (N, 10) need an output layer Dense(10, activation='softmax') "
        "and loss='categorical_crossentropy'",
    ),
    (
        r"expected axis -1 of input shape to have value (\d+)",
        "the model was given inputs of another size than it expects",
        "flatten each image to 784 values (x.reshape(len(x), -1)) and start the model with "
        "keras.Input(shape=(784,))",
    ),
    (
        r"Expected shape \(None, (?P<size>\d+)\), but input has incompatible shape "
        r"(?P<shape>\([\d, None]*\))",
        "the model takes rows of {size} values and was given an array of shape {shape}",
        "give it one row per image: flatten each image to {size} values, x.reshape(len(x), -1)",
    ),
    (
        r"must call `compile\(\)`|You must compile",
        "the model was used before it was compiled",
        "call model.compile(optimizer=..., loss=..., metrics=[...]) before fit or evaluate",
    ),
    (
        r"Expected `metrics` argument to be a list, tuple, or dict\. Received instead: "
        r"metrics=(?P<name>\S+) of type <class 'str'>",
        "metrics was given one string, {name!r}, where Keras expects a list of metrics",
        "put the metric in a list: metrics=['accuracy']",
    ),
    (
        r"Could not interpret (?P<kind>optimizer|loss|metric) identifier: "
        r"<class '[\w.]*\.(?P<name>\w+)'>",
        "{kind} was given the class {name}, where Keras expects a {kind} (an instance or a name)",
        "call the class to make one, with parentheses: {name}(), or give its name as a string "
        "(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])",
    ),
    (
        r"Could not interpret (?P<kind>optimizer|loss|metric) identifier: (?P<name>.+)",
        "Keras knows no {kind} named {name!r}",
        "the course's names are optimizer='adam', loss='categorical_crossentropy' and "
        "metrics=['accuracy'] (check the spelling)",
    ),
    (
        r"Argument\(s\) not recognized: \{'lr'",
        "the optimizer was given lr=, an argument Keras 3's optimizers no longer take",
        "write the learning rate in full: keras.optimizers.Adam(learning_rate=0.001)",
    ),
    (
        r"'History' object is not subscriptable|'History' object has no attribute "
        r"'(keys|items|get|values)'",
        "a History object was used where its dict of metrics, history.history, is expected",
        "model.fit returns a History; its .history attribute is the dict "
        "{{'loss': [...], 'val_accuracy': [...], ...}}: pass history.history",
    ),
    (
        r"Argument `validation_data` must be|validation_data.* must be a tuple|"
        r"When passing a `validation_data`",
        "validation_data was given in another form than Keras expects",
        "validation_data=(x_val, y_val): a tuple of the validation images and labels",
    ),
]
"""Errors (Keras's, and Python's about Keras objects) that a course-level mistake causes:
(pattern, what happened, the fix); the named groups of the pattern fill ``{...}`` in both."""

STUDENT_FUNCTION = re.compile(
    r" \(in (?P<function>\w+)\(\), cell \d+, line \d+: (?P<code>.*)\)\Z", re.DOTALL
)
"""Where the student's process says an error happened (``sandbox.child.where``)."""


def keras_mistake(error):
    """Say a Keras error in the course's terms, or return None for another error.

    Examples
    --------
    >>> keras_mistake(ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`"))
    ('the loss is sparse categorical cross-entropy, ...', "the course's labels are one-hot ...")
    >>> keras_mistake(ValueError("Could not interpret metric identifier: acuracy"))[0]
    "Keras knows no metric named 'acuracy'"
    >>> keras_mistake(TypeError("'History' object is not subscriptable"))[1]
    "model.fit returns a History; its .history attribute is the dict {'loss': [...], ..."
    """
    for pattern, what, fix in KERAS_MISTAKES:
        found = re.search(pattern, str(error))
        if found:
            names = found.groupdict()
            return what.format(**names), fix.format(**names)
    return None


def raised_in(error):
    """The student's function in which an error was raised, and its line's code, when the
    error came from the student's process; else ``(None, None)``.

    Examples
    --------
    >>> raised_in(ValueError("boom (in softmax(), cell 2, line 4: return e / e.sum())"))
    ('softmax', 'return e / e.sum()')
    >>> raised_in(ValueError("boom"))
    (None, None)
    """
    found = STUDENT_FUNCTION.search(str(getattr(error, "message", "")) or str(error))
    if found is None:
        return None, None
    return found["function"], found["code"]


def blame(function, check, what):
    """Fail a check, in one line, because an earlier function of the student's misbehaved.

    ``function`` is the student's function at fault, ``check`` the grade id of its own check
    (which says what to fix), ``what`` what it did; several functions, and their checks, as
    lists.

    Examples
    --------
    >>> blame("compile_model", "test_compile_model", "returned None")
    Traceback (most recent call last):
    ...
    mnist_course._errors.CheckFailed: fails because of your compile_model(): ...
    >>> blame(["f", "g"], ["test_f", "test_g"], "did it")
    Traceback (most recent call last):
    ...
    mnist_course._errors.CheckFailed: fails because of your f() and g(): they did it. Fix f ...
    """
    if isinstance(function, str):
        raise CheckFailed(
            f"fails because of your {function}(): it {what}. Fix {function} first: its own "
            f"check, {check}, says what is wrong; this check then runs again as it should."
        )
    names = " and ".join(function)
    raise CheckFailed(
        f"fails because of your {' and '.join(f'{name}()' for name in function)}: they {what}. "
        f"Fix {names} first: their own checks, {' and '.join(check)}, say what is wrong; this "
        "check then runs again as it should."
    )


def students_function(function, name):
    """The student's function ``name``, from the notebook that ``function`` comes from, or None.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression
    >>> students_function(softmax_regression, "softmax").__name__
    'softmax'
    >>> students_function(softmax_regression, "no_such_function") is None
    True
    """
    if hasattr(function, "other"):  # the student's, in the student's process
        return function.other(name)
    found = getattr(function, "__globals__", {}).get(name)
    return found if callable(found) and not isinstance(found, type) else None


@watch
@contextlib.contextmanager
def course_functions(function, replacements):
    """While the block runs, some of the student's functions are the course's own.

    ``replacements`` lists ``(name, "module:attribute")`` pairs: in ``function``'s globals,
    ``name`` becomes the course's function (one of ``mnist_course``'s), and is put back
    afterwards. A ``function`` of the student's that runs in another process
    (``mnist_course.sandbox``) has them replaced there, call by call. What passes with them
    only explains a failure (:func:`blaming_helpers`); it never passes a check.

    Examples
    --------
    >>> from mnist_course.checks._reference import softmax_regression_loss
    >>> with course_functions(softmax_regression_loss, [("softmax", "builtins:print")]):
    ...     pass
    Traceback (most recent call last):
    ...
    LookupError: 'builtins:print' is not one of the course's functions
    """
    if hasattr(function, "watching"):
        with function.watching(course_functions, [list(pair) for pair in replacements]):
            yield
        return
    found = {name: _course_function(where) for name, where in replacements}
    namespace = getattr(function, "__globals__", {})
    saved = {name: namespace[name] for name in found if name in namespace}
    try:
        namespace.update(found)
        yield
    finally:
        for name in found:
            if name in saved:
                namespace[name] = saved[name]
            else:
                namespace.pop(name, None)


def _course_function(where):
    module_name, _, attribute = str(where).partition(":")
    if not module_name.startswith("mnist_course.") or not attribute.isidentifier():
        raise LookupError(f"{where!r} is not one of the course's functions")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(found):
        raise LookupError(f"{where!r} is not one of the course's functions")
    return found


def blaming_helpers(helpers):
    """Decorate a check of a function that may call the student's other functions, its
    helpers: when the check fails, and passes once the helpers that fail their own checks are
    replaced by the course's (:func:`course_functions`), those are named instead, in one line
    (:func:`blame`); otherwise the check's own failure stands.

    ``helpers`` is a function returning ``{name: (grade id of its own check, its check,
    "module:attribute" of the course's function)}`` (a function: the checks it names may be
    defined later in the module).
    """

    def decorate(check):
        @functools.wraps(check)
        def checked(function, *args, **kwargs):
            try:
                return check(function, *args, **kwargs)
            except CheckFailed as error:
                failure = error
            caller = getattr(function, "__name__", "")
            wrong = [
                (name, grade_id, where)
                for name, (grade_id, own, where) in helpers().items()
                if name != caller and _fails_own_check(students_function(function, name), own)
            ]

            def passes(replaced):
                try:
                    with course_functions(function, [(name, where) for name, _, where in replaced]):
                        check(function, *args, **kwargs)
                except Exception:  # its own mistake, or one the helpers' hid
                    return False
                return True

            at_fault = _needed(wrong, passes)
            if len(at_fault) == 1:
                ((name, grade_id, _),) = at_fault
                blame(
                    name,
                    grade_id,
                    "fails its own check, and this check passes with the course's "
                    f"{name}() in its place",
                )
            if at_fault:
                blame(
                    [name for name, _, _ in at_fault],
                    [grade_id for _, grade_id, _ in at_fault],
                    "fail their own checks, and this check passes with the course's own in "
                    "their place",
                )
            raise failure

        return checked

    return decorate


def _needed(wrong, passes):
    """The fewest of the ``wrong`` helpers whose replacement makes the check pass: one alone
    if one does (another may be wrong where this check does not look), else all of them less
    those it passes without; empty if replacing them all does not make it pass."""
    for helper in wrong:
        if passes([helper]):
            return [helper]
    if len(wrong) < 2 or not passes(wrong):
        return []
    needed = list(wrong)
    for helper in wrong:
        rest = [other for other in needed if other is not helper]
        if passes(rest):
            needed = rest
    return needed


def _fails_own_check(function, own):
    if function is None:
        return False
    try:
        own(function)
    except CheckFailed:
        return True
    except Exception:  # not written yet, or an error its own check reports
        return False
    return False


def quiet(check):
    """Run a check with Python warnings and TensorFlow's Python logger silenced, and Keras's
    errors for course-level mistakes said in the course's terms.

    nbgrader scores a test cell with any stderr output as failed: a deprecation warning or a
    "retracing" note must not cost a correct answer its points. A ``ValueError`` or
    ``TypeError`` that matches a mistake in :data:`KERAS_MISTAKES` (whether raised in the
    student's code or in the check's call into Keras) becomes a :class:`CheckFailed` that
    names the mistake and, when it was raised in the student's code, the function and line.
    """

    @functools.wraps(check)
    def quiet_check(*args, **kwargs):
        silence_tensorflow()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return check(*args, **kwargs)
            except (ValueError, TypeError, AttributeError) as error:
                mistake = keras_mistake(error)
                if mistake is None:
                    raise
                what, fix = mistake
                text = str(getattr(error, "message", error))
                found = STUDENT_FUNCTION.search(text)
                checked = [getattr(arg, "__name__", "") for arg in args if callable(arg)]
                if found:
                    text = text[: found.start()]
                    where = f"{found['function']}() at `{found['code'].strip()}`"
                    if checked and found["function"] not in checked:
                        # raised in a function that the checked one called
                        where += f", called by your {checked[0]}()"
                else:
                    name = getattr(args[0] if args else None, "__name__", "your function")
                    where = f"Keras, when the check used {name}()"
                first = text.strip().splitlines()[0][:160] if text.strip() else type(error).__name__
                fail(
                    f"{type(error).__name__} in {where}: {what}.",
                    expected="Keras's functions given what they take",
                    returned=f"the error: {first}",
                    hint=fix,
                )

    return quiet_check


def fail(summary, *, expected, returned, hint=None):
    """Raise CheckFailed with a summary line, then expected / returned / hint lines."""
    lines = [summary, f"  expected: {expected}", f"  returned: {returned}"]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailed("\n".join(lines))


def describe(value):
    """A short description of a value: arrays by shape, dtype and range."""
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}, dtype {value.dtype}"
        if value.size and value.dtype.kind in "biuf":
            text += f", values from {value.min():.6g} to {value.max():.6g}"
        return text
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}" if not isinstance(value, str | type(None)) else text


def as_array(value, call, what):
    """Convert a returned value to a numpy array or fail with a message that says why."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except Exception:  # a value numpy cannot convert
        array = None
    if array is None or array.dtype == object:
        fail(
            f"{call} did not return {what} as an array.",
            expected=f"{what}: a numpy array",
            returned=describe(value),
            hint="end with `return ...`: the function returned nothing"
            if value is None
            else "return a numpy array (np.asarray(...) converts lists)",
        )
    return array


def recorded_number(value, name, question):
    """The number a student recorded as ``NAME = ...`` in a prediction cell, as a float.

    ``None``, what the released cell holds, raises ``NotImplementedError`` (the self-check
    then says "not implemented yet"); a value that is not one real number fails, saying so.

    Examples
    --------
    >>> recorded_number(np.float32(2.5), "PREDICTED_LOSS", "the loss")
    2.5
    >>> recorded_number("2.5", "PREDICTED_LOSS", "the loss")
    Traceback (most recent call last):
    ...
    mnist_course._errors.CheckFailed: PREDICTED_LOSS is not a number.
      expected: a number: the loss
      returned: '2.5'
      hint: write the number itself, without quotes: PREDICTED_LOSS = 2.5
    """
    if value is None:
        raise NotImplementedError(
            f"{name} is still None: write your prediction ({question}) in its cell"
        )
    array = np.asarray(value) if not isinstance(value, bool | str) else None
    if array is None or array.shape != () or array.dtype.kind not in "iuf":
        hint = f"write one number, e.g. {name} = 0.5"
        if isinstance(value, str):
            hint = f"write the number itself, without quotes: {name} = {value.strip()}"
        fail(
            f"{name} is not a number.",
            expected=f"a number: {question}",
            returned=describe(value),
            hint=hint,
        )
    number = float(array)
    if not np.isfinite(number):
        fail(
            f"{name} is {number}.",
            expected=f"a finite number: {question}",
            returned=f"{number}",
            hint="write the number you expect the experiment to give",
        )
    return number


def check_recorded(value, *, name, question, accepted, mistakes=(), hint):
    """Check a prediction the student recorded as ``NAME = ...`` against the course's runs.

    Parameters
    ----------
    value : the student's value
    name : str, the variable's name
    question : str, what the number is, as the exercise asks it
    accepted : (float, float), the interval of right answers (from the course's runs)
    mistakes : sequence of (float, float, str), intervals of wrong answers with what each
        shows; the first that holds the value gives the hint
    hint : str, the hint for any other wrong value

    Examples
    --------
    >>> check_recorded(2.3, name="LOSS", question="the loss", accepted=(2.2, 2.6), hint="")
    """
    number = recorded_number(value, name, question)
    low, high = accepted
    if low <= number <= high:
        return
    for mistake_low, mistake_high, why in mistakes:
        if mistake_low <= number <= mistake_high:
            hint = why
            break
    spread = (
        "" if low == high else f", within a band {high - low:.2g} wide set from the course's runs"
    )
    fail(
        f"{name} = {number:g} is not what the experiment gives.",
        expected=f"{question}{spread}; the cells after this one run the experiment",
        returned=f"{number:g}",
        hint=hint,
    )
