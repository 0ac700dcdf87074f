"""The backpropagation exercise's checks: correct answers written any reasonable way pass, the
usual mistakes fail with a message that names them, directly and through the self-check
(`pytest exercises`) as a student runs it."""

import json

import numpy as np
import pytest
from helpers import release_notebook, solution_notebook

from mnist_course import notebook
from mnist_course.checks import ex04_backpropagation as checks
from mnist_course.selfcheck.launcher import check_notebook

EXERCISE = "ex04_backpropagation"


# ---------------------------------------------------------------------------------------------
# Part A: forward and loss


def forward_with_logsumexp(W1, b1, W2, b2, x):
    h = np.where(x @ W1 + b1 > 0, x @ W1 + b1, 0.0)
    z = h @ W2 + b2
    return h, np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True))


def forward_float32(W1, b1, W2, b2, x):
    h, p = checks.course_forward(W1, b1, W2, b2, x)
    return h.astype(np.float32).astype(np.float64), p


@pytest.mark.parametrize("forward", [checks.course_forward, forward_with_logsumexp])
def test_forward_accepts_every_correct_variant(forward):
    checks.check_forward(forward)
    checks.check_forward(forward, seed=2, n=11, features=9, hidden=7, classes=10)


def naive_forward(W1, b1, W2, b2, x):
    h = np.maximum(x @ W1 + b1, 0)
    e = np.exp(h @ W2 + b2)
    return h, e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("forward", "hint"),
    [
        (
            lambda W1, b1, W2, b2, x: (x @ W1 + b1, checks._softmax((x @ W1 + b1) @ W2 + b2)),
            "apply the ReLU",
        ),
        (
            lambda W1, b1, W2, b2, x: checks.course_forward(W1, 0 * b1, W2, b2, x),
            "the bias b1 is missing",
        ),
        (
            lambda W1, b1, W2, b2, x: checks.course_forward(W1, b1, W2, 0 * b2, x),
            "the bias b2 is missing",
        ),
        (naive_forward, "subtract each row's max"),
    ],
    ids=["relu-forgotten", "b1-missing", "b2-missing", "overflow"],
)
def test_forward_mistakes_are_named(forward, hint, fails_with):
    with np.errstate(all="ignore"):
        assert hint in fails_with(checks.check_forward, forward, match="returned|overflowed")


def test_forward_with_a_transposed_weight_matrix_names_the_shapes(fails_with):
    def forward(W1, b1, W2, b2, x):
        return checks.course_forward(W1.T, b1, W2, b2, x)

    message = fails_with(checks.check_forward, forward, match="raised ValueError")
    assert "one row per input of its layer" in message


@pytest.mark.parametrize(
    ("loss", "hint"),
    [
        (lambda *a: -checks.course_loss(*a), "put a minus in front"),
        (lambda *a: 8 * checks.course_loss(*a), "the loss is the mean"),
    ],
    ids=["no-minus", "sum"],
)
def test_loss_mistakes_are_named(loss, hint, fails_with):
    assert hint in fails_with(checks.check_loss, loss, match="returned")


# ---------------------------------------------------------------------------------------------
# Part B: backward


def backward_with_where(x, y, h, p, W2):
    d = (p - y) / len(y)
    dz = np.where(h > 0, d @ W2.T, 0.0)
    return np.einsum("nf,nh->fh", x, dz), dz.sum(0), np.einsum("nh,nc->hc", h, d), d.sum(0)


def backward_with_means(x, y, h, p, W2):
    g = p - y
    dz = (g @ W2.T) * (h > 0).astype(np.float32)
    return x.T @ dz / len(x), dz.mean(axis=0), h.T @ g / len(x), g.mean(axis=0)


@pytest.mark.parametrize(
    "backward", [checks.course_backward, backward_with_where, backward_with_means]
)
def test_backward_accepts_every_correct_variant(backward):
    checks.check_backward(backward)
    checks.check_backward(backward, seed=5, n=13, features=9, hidden=7, classes=10)


@pytest.mark.parametrize("mistake", list(checks.MISTAKES))
def test_each_catalogued_backward_mistake_is_named(mistake, fails_with):
    gradients, hint = checks.MISTAKES[mistake]
    message = fails_with(checks.check_backward, gradients, match="with " + mistake[:12])
    assert mistake in message and hint in message


def test_the_catalogued_mistakes_differ_from_the_gradient_and_from_each_other():
    W1, b1, W2, b2, x, y = checks.small_network(0)
    h, p = checks.course_forward(W1, b1, W2, b2, x)
    results = [checks.course_backward(x, y, h, p, W2)]
    results += [gradients(x, y, h, p, W2) for gradients, _ in checks.MISTAKES.values()]
    for i, one in enumerate(results):
        for other in results[i + 1 :]:
            assert not all(np.allclose(a, b) for a, b in zip(one, other, strict=True))


# ---------------------------------------------------------------------------------------------
# Part C: finite differences


def test_finite_difference_accepts_the_course_s_and_the_check_s_own():
    checks.check_finite_difference(checks.finite_difference, checks.course_loss)
    checks.check_finite_difference(checks.finite_difference, checks.course_loss, seed=3, eps=1e-3)


@pytest.mark.parametrize(
    ("estimate", "named"),
    [
        (
            lambda *a, eps=1e-5: checks.finite_difference(*a, eps=eps, one_sided=True),
            "a one-sided difference",
        ),
        (
            lambda *a, eps=1e-5: tuple(2 * s for s in checks.finite_difference(*a, eps=eps)),
            "divided by eps instead of 2 * eps",
        ),
        (lambda *a, eps=1e-5: checks._all_at_once(*a, eps), "every entry of an array nudged"),
        (lambda *a, eps=1e-5: checks._not_restored(*a, eps), "each entry left nudged"),
        (lambda *a, eps=1e-5: checks.finite_difference(*a), "the eps argument ignored"),
    ],
    ids=["one-sided", "eps-not-2eps", "all-at-once", "not-restored", "eps-ignored"],
)
def test_finite_difference_mistakes_are_named(estimate, named, fails_with):
    message = fails_with(
        checks.check_finite_difference, estimate, checks.course_loss, match="returned"
    )
    assert named in message


def test_finite_difference_that_nudges_the_arrays_it_was_given_says_so(fails_with):
    """Part C says: do not change the arrays you are given (nudge copies). Nudging them in
    place and putting each entry back is correct; leaving them nudged is not."""

    def nudging_in_place(W1, b1, W2, b2, x, y, eps=1e-5):
        slopes = []
        for array in (W1, b1, W2, b2):
            slope = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                keep = array[index]
                array[index] = keep + eps
                up = checks.course_loss(W1, b1, W2, b2, x, y)
                array[index] = keep - eps
                down = checks.course_loss(W1, b1, W2, b2, x, y)
                slope[index] = (up - down) / (2 * eps)
            slopes.append(slope)
        return tuple(slopes)

    def restoring(W1, b1, W2, b2, x, y, eps=1e-5):
        slopes = []
        for array in (W1, b1, W2, b2):
            slope = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                keep = array[index]
                array[index] = keep + eps
                up = checks.course_loss(W1, b1, W2, b2, x, y)
                array[index] = keep - eps
                down = checks.course_loss(W1, b1, W2, b2, x, y)
                array[index] = keep
                slope[index] = (up - down) / (2 * eps)
            slopes.append(slope)
        return tuple(slopes)

    checks.check_finite_difference(restoring, checks.course_loss)
    message = fails_with(
        checks.check_finite_difference,
        nudging_in_place,
        checks.course_loss,
        match="changed its input W1",
    )
    assert "nudge a copy" in message


def test_finite_difference_of_a_wrong_loss_says_fix_the_loss_first(fails_with):
    message = fails_with(
        checks.check_finite_difference,
        checks.finite_difference,
        lambda *a: 2 * checks.course_loss(*a),
        match="not the network's mean loss",
    )
    assert "fix loss (Part A) first" in message


# ---------------------------------------------------------------------------------------------
# Part D: training loop and accuracy


def test_training_loop_accepts_the_course_loop():
    checks.check_training_loop(checks.course_network)
    checks.check_training_loop(checks.course_network, seed=3)


def test_training_loop_from_zeros_says_draw_random_weights(fails_with):
    def from_zeros(x, y, *, hidden_units=64, initial=None, **options):
        zeros = (
            np.zeros((x.shape[1], hidden_units)),
            np.zeros(hidden_units),
            np.zeros((hidden_units, y.shape[1])),
            np.zeros(y.shape[1]),
        )
        return checks.course_network(
            x,
            y,
            hidden_units=hidden_units,
            initial=zeros if initial is None else initial,
            **options,
        )

    message = fails_with(checks.check_training_loop, from_zeros, match="all zeros")
    assert "Part D" in message


def test_training_loop_that_ignores_initial_fails(fails_with):
    def ignores_initial(x, y, *, initial=None, **options):
        return checks.course_network(x, y, **options)

    fails_with(checks.check_training_loop, ignores_initial, match="initial weights")


def test_training_loop_with_a_fixed_seed_fails(fails_with):
    def fixed_seed(x, y, *, seed=0, **options):
        return checks.course_network(x, y, seed=0, **options)

    fails_with(checks.check_training_loop, fixed_seed, match="same weights for seed=1")


def test_training_loop_that_climbs_says_step_against_each_gradient(fails_with):
    def uphill(x, y, *, learning_rate=0.1, **options):
        return checks.course_network(x, y, learning_rate=-learning_rate, **options)

    message = fails_with(checks.check_training_loop, uphill, match="did not lower the loss")
    assert "W1 -= learning_rate * dW1" in message


def test_training_loop_that_ignores_hidden_units_fails(fails_with):
    def fixed_width(x, y, *, hidden_units=64, **options):
        return checks.course_network(x, y, hidden_units=16, **options)

    fails_with(checks.check_training_loop, fixed_width, match="wrong shapes")


@pytest.mark.full_data
def test_accuracy_of_the_course_loop_meets_the_threshold():
    checks.check_test_accuracy(checks.course_network)


@pytest.mark.full_data
def test_accuracy_with_a_learning_rate_too_large_fails(fails_with):
    def too_fast(x, y, *, learning_rate=0.1, **options):
        return checks.course_network(x, y, learning_rate=10 * learning_rate, **options)

    fails_with(checks.check_test_accuracy, too_fast, match="reached test accuracy")


def test_the_threshold_sits_below_the_worst_measured_seed():
    assert checks.MIN_TEST_ACCURACY < 0.9296
    assert checks.MIN_TEST_ACCURACY >= 0.9296 - 0.02


# ---------------------------------------------------------------------------------------------
# Part E: predictions


def test_the_course_predictions_pass_and_each_wrong_one_is_named(fails_with):
    for key in checks.PREDICTIONS:
        checks.check_prediction(checks.course_predictions, key=key)
    wrong = {"weights_changed": 50816, "test_accuracy": 0.93, "distinct_units": 64}
    for key, value in wrong.items():
        message = fails_with(
            checks.check_prediction, lambda k=key, v=value: {k: v}, key=key, match=repr(key)
        )
        assert checks.PREDICTION_HINTS[key] in message
    fails_with(checks.check_prediction, lambda: {}, key="test_accuracy", match="no prediction")


@pytest.mark.full_data
def test_the_predictions_are_what_the_course_loop_measures():
    """Part E's answers are the runs' own: from zeros nothing but b2 moves and every image is
    read as a 1; from identical units the units stay identical."""
    x_train, y_train = checks.prepared(60000, split="train")
    x_test, y_test = checks.prepared(10000, split="test")
    h = checks.TRAINING["hidden_units"]
    zeros = (np.zeros((784, h)), np.zeros(h), np.zeros((h, 10)), np.zeros(10))
    W1, b1, W2, b2, _ = checks.course_network(x_train, y_train, initial=zeros)
    assert int(np.sum(W1 != 0) + np.sum(W2 != 0)) == 0
    _, p = checks.course_forward(W1, b1, W2, b2, x_test)
    accuracy = float(np.mean(p.argmax(1) == y_test.argmax(1)))
    low, high = checks.PREDICTIONS["test_accuracy"]
    assert accuracy == pytest.approx(0.1135) and low < accuracy < high
    rng = np.random.default_rng(0)
    column, row = rng.normal(0, 0.05, size=(784, 1)), rng.normal(0, 0.2, size=(1, 10))
    same = (np.tile(column, h), np.zeros(h), np.tile(row, (h, 1)), np.zeros(10))
    W1, *_ = checks.course_network(x_train, y_train, initial=same)
    assert len(np.unique(W1.T.round(10), axis=0)) == 1
    assert np.abs(W1 - same[0]).max() > 0.001  # the units did learn, all alike


# ---------------------------------------------------------------------------------------------
# Through the self-check, as a student runs `pytest exercises`

BACKWARD = '''
def backward(x, y, h, p, W2):
    """The student's backward pass."""
{body}
'''

# (what the student wrote, the answer cell's new source, the test cell, what its message says)
WRITTEN_MISTAKES = {
    "mask forgotten": (
        "backward",
        "    d = (p - y) / len(x)\n    dh = d @ W2.T\n"
        "    return x.T @ dh, dh.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "the ReLU mask forgotten",
    ),
    "mask after the activation": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2.T) * h\n"
        "    return x.T @ dz, dz.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "the ReLU mask taken after the activation",
    ),
    "relu of the gradient": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = np.maximum(d @ W2.T, 0)\n"
        "    return x.T @ dz, dz.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "ReLU applied to the gradient",
    ),
    "W2 where W2.T belongs": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "a gradient crosses a layer through that matrix transposed",
    ),
    "batch mean forgotten": (
        "backward",
        "    d = p - y\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "the batch mean forgotten",
    ),
    "batch mean forgotten in the hidden layer": (
        "backward",
        "    d = p - y\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=0), h.T @ d / len(x), d.mean(axis=0)",
        "test_backward",
        "the batch mean forgotten in the hidden layer",
    ),
    "batch mean taken twice in the hidden layer": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz / len(x), dz.mean(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "the batch mean taken twice in the hidden layer",
    ),
    "bias gradient on the wrong axis": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=1), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "db1 was summed over the wrong axis",
    ),
    "bias gradient kept 2-D": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=0, keepdims=True), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "db1 kept a dimension",
    ),
    "dW1 transposed": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return dz.T @ x, dz.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "dW1 is transposed",
    ),
    "dW2 from x": (
        "backward",
        "    d = (p - y) / len(x)\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=0), x.T @ d, d.sum(axis=0)",
        "test_backward",
        "the output layer's input is h",
    ),
    "sign flipped": (
        "backward",
        "    d = (y - p) / len(x)\n    dz = (d @ W2.T) * (h > 0)\n"
        "    return x.T @ dz, dz.sum(axis=0), h.T @ d, d.sum(axis=0)",
        "test_backward",
        "the sign flipped",
    ),
    "one-sided difference": (
        "finite_difference",
        "def finite_difference(W1, b1, W2, b2, x, y, eps=1e-5):\n"
        "    arrays = [a.copy() for a in (W1, b1, W2, b2)]\n"
        "    base = loss(*arrays, x, y)\n"
        "    slopes = []\n"
        "    for a in arrays:\n"
        "        s = np.zeros_like(a)\n"
        "        for i in np.ndindex(a.shape):\n"
        "            a[i] += eps\n"
        "            s[i] = (loss(*arrays, x, y) - base) / eps\n"
        "            a[i] -= eps\n"
        "        slopes.append(s)\n"
        "    return tuple(slopes)\n",
        "test_finite_difference",
        "a one-sided difference",
    ),
    "started from zeros": (
        "train_network",
        lambda answer: answer.replace(
            "W1 = rng.normal(0, np.sqrt(2 / features), size=(features, hidden_units))",
            "W1 = np.zeros((features, hidden_units))",
        ).replace(
            "W2 = rng.normal(0, np.sqrt(2 / hidden_units), size=(hidden_units, classes))",
            "W2 = np.zeros((hidden_units, classes))",
        ),
        "test_training_loop",
        "started from zeros, no weight of W1 or W2 ever gets a gradient",
    ),
    "zero start predicted to train": (
        "zero_start_predictions",
        "def zero_start_predictions():\n"
        "    return {'weights_changed': 50816, 'test_accuracy': 0.93, 'distinct_units': 64}\n",
        "test_prediction_test_accuracy",
        "which digit does it answer",
    ),
}


def student_notebook(tmp_path, grade_id=None, source=None):
    """The released notebook with the model answers, one answer replaced: what a student has.

    ``source`` is the new answer, a body of ``backward``, or a function of the model answer.
    """
    released = json.loads(release_notebook(EXERCISE).read_text())
    answers = notebook.model_answers(notebook.read_notebook_json(solution_notebook(EXERCISE)))
    if callable(source):
        source = source(answers[grade_id])
    elif grade_id == "backward":
        source = BACKWARD.format(body=source)
    replaced = {grade_id: source} if grade_id else {}
    for cell_id, answer in {**answers, **replaced}.items():
        notebook.find_cell(released, cell_id)["source"] = answer
    path = tmp_path / f"{EXERCISE}.ipynb"
    path.write_text(json.dumps(released))
    return path


@pytest.mark.parametrize("mistake", list(WRITTEN_MISTAKES))
@pytest.mark.sandbox
def test_a_mistake_as_a_student_writes_it_is_named_by_pytest_exercises(mistake, tmp_path):
    grade_id, source, test_cell, named = WRITTEN_MISTAKES[mistake]
    path = student_notebook(tmp_path, grade_id, source)
    assert (
        notebook.find_cell(json.loads(path.read_text()), grade_id)["source"]
        != (
            notebook.model_answers(notebook.read_notebook_json(solution_notebook(EXERCISE)))[
                grade_id
            ]
        )
    )
    results = check_notebook(path, grade_ids={test_cell})
    assert results[test_cell].outcome == "failed", results[test_cell]
    assert named in results[test_cell].message
    assert "Traceback" not in results[test_cell].message


@pytest.mark.sandbox
def test_the_released_notebook_with_the_model_answers_passes_every_check(tmp_path):
    results = check_notebook(student_notebook(tmp_path))
    outcomes = {g: r.outcome for g, r in results.items() if g != "written_answer"}
    assert len(outcomes) == 9 and set(outcomes.values()) == {"passed"}, outcomes
