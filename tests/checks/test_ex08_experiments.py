"""Exercise 8's checks (experimenting): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import keras
import numpy as np
import pytest

import mnist_course
from mnist_course.checks import ex08_experiments as checks
from mnist_course.experiments import T_CRITICAL, paired_comparison


@pytest.mark.training
def test_compare_activations_accepts_the_course_run():
    checks.check_compare_activations(checks.reference_experiment)


@pytest.mark.training
def test_compare_activations_returning_made_up_accuracies_fails(fails_with):
    """Accuracies that are not those of the same-seed run fail, naming the activation."""

    def compare(activations, x_train, y_train, x_test, y_test, *, epochs=1, seed=0):
        return {activation: 0.5 for activation in activations}

    fails_with(checks.check_compare_activations, compare, match="returned 0.5 for 'relu'")


@pytest.mark.training
def test_compare_activations_that_trains_activations_of_its_own_fails(fails_with):
    """An answer that ignores `activations` (issue 20): it always compares relu and sigmoid,
    the visible test's pair, in either order. The check's second run asks for the last
    activation alone, so it returns more than was asked for."""

    def compare(activations, x_train, y_train, x_val, y_val, *, epochs=1, seed=0):
        return {activation: 0.9 for activation in ("relu", "sigmoid")}

    message = fails_with(
        checks.check_compare_activations, compare, match=r"compare_activations\(\['sigmoid'\]"
    )
    assert "not a list of your own" in message and "the key 'sigmoid' alone" in message


@pytest.mark.training
def test_compare_activations_seeded_once_for_all_activations_is_told_to_seed_each_model(
    fails_with,
):
    """Seeded once before the loop, sigmoid's weights depend on relu's having been drawn
    before them: run for sigmoid alone, it gives another number."""

    def compare(activations, x_train, y_train, x_val, y_val, *, epochs=1, seed=0):
        keras.utils.set_random_seed(seed)
        results = {}
        for activation in activations:
            model = keras.Sequential(
                [
                    keras.Input(shape=(784,)),
                    keras.layers.Dense(64, activation=activation),
                    keras.layers.Dense(64, activation=activation),
                    keras.layers.Dense(10, activation="softmax"),
                ]
            )
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
            results[activation] = model.evaluate(x_val, y_val, verbose=0)[1]
        return results

    message = fails_with(
        checks.check_compare_activations,
        compare,
        match=r"another accuracy for 'sigmoid' when run again \(with activations=\['sigmoid'\]\)",
    )
    assert "each model seeded on its own" in message


@pytest.mark.full_data
def test_compare_activations_returning_a_list_fails(fails_with):
    fails_with(
        checks.check_compare_activations,
        lambda activations, *data, epochs=1, seed=0: [0.9, 0.8],
        activations=("relu",),
        match="one accuracy per activation",
    )


def forgetful(where):
    """compare_activations that forgets the seed in building or in training."""

    def compare(activations, x_train, y_train, x_test, y_test, *, epochs=1, seed=0):
        results = {}
        for activation in activations:
            if where == "build":
                model = mnist_course.build_mlp(activation=activation)
            else:
                model = mnist_course.build_mlp(activation=activation, seed=seed)
            mnist_course.compile_model(model)
            train_seed = None if where == "train" else seed
            mnist_course.train(model, x_train, y_train, epochs=epochs, seed=train_seed, verbose=0)
            results[activation] = mnist_course.evaluate(model, x_test, y_test)["accuracy"]
        return results

    return compare


@pytest.mark.training
@pytest.mark.parametrize("where", ["build", "train"])
def test_compare_activations_that_forgets_a_seed_is_told_so_whatever_the_tolerance(
    where, fails_with
):
    message = fails_with(
        checks.check_compare_activations,
        forgetful(where),
        activations=("relu",),
        match=f"called mnist_course.{'build_mlp' if where == 'build' else 'train'}\\(\\) with "
        "seed=None",
    )
    assert "pass the seed everywhere" in message


@pytest.mark.training
def test_compare_activations_checked_without_repeating_runs_once_and_still_checks_seeds(
    fails_with,
):
    """The hidden test's form: one run, compared with the reference, its seeds checked."""
    runs = []

    def compare(activations, *data, epochs=1, seed=0):
        runs.append(seed)
        return checks.reference_experiment(activations, *data, epochs=epochs, seed=seed)

    checks.check_compare_activations(compare, activations=("relu",), seed=1, repeat=False)
    assert runs == [1]
    fails_with(
        checks.check_compare_activations,
        forgetful("train"),
        activations=("relu",),
        repeat=False,
        match=r"called mnist_course.train\(\) with seed=None",
    )


@pytest.mark.training
def test_an_experiment_written_with_keras_alone_is_checked_by_running_it_twice(fails_with):
    """Not calling the course's functions, it is still caught when a seed is missing."""

    def compare(activations, x_train, y_train, x_val, y_val, *, epochs=1, seed=0):
        results = {}
        for activation in activations:
            model = keras.Sequential(
                [
                    keras.Input(shape=(784,)),
                    keras.layers.Dense(64, activation=activation),
                    keras.layers.Dense(64, activation=activation),
                    keras.layers.Dense(10, activation="softmax"),
                ]
            )
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
            results[activation] = model.evaluate(x_val, y_val, verbose=0)[1]
        return results

    fails_with(
        checks.check_compare_activations,
        compare,
        activations=("relu",),
        match="another accuracy for 'relu' when run again",
    )


def answer(baseline, changed):
    result = paired_comparison(baseline, changed)
    return result.mean_difference, result.standard_error, result.verdict


def by_hand(baseline, changed):
    d = [c - b for b, c in zip(baseline, changed, strict=True)]
    n = len(d)
    mean = sum(d) / n
    error = (sum((x - mean) ** 2 for x in d) / (n - 1)) ** 0.5 / n**0.5
    t = T_CRITICAL[n - 1]
    if mean - t * error > 0:
        return mean, error, "better"
    if mean + t * error < 0:
        return mean, error, "worse"
    return mean, error, "no detectable difference"


@pytest.mark.parametrize("case", list(checks.CASES))
@pytest.mark.parametrize("function", [answer, by_hand], ids=["course", "plain-python"])
def test_verdict_accepts_the_rule_written_two_ways_for_every_case(function, case):
    checks.check_verdict(function, case=case)


def with_rule(*, sign=1, ddof=1, unpaired=False, sqrt_n=True, t=None, degrees=None):
    def verdict(baseline, changed):
        b, c = np.asarray(baseline), np.asarray(changed)
        d = sign * (c - b)
        n = len(d)
        if unpaired:
            error = np.sqrt(np.var(b, ddof=1) / n + np.var(c, ddof=1) / n)
        else:
            error = np.std(d, ddof=ddof) / (np.sqrt(n) if sqrt_n else 1)
        factor = T_CRITICAL[n - 1 if degrees is None else degrees(n)] if t is None else t
        margin = factor * error
        mean = d.mean()
        said = (
            "better"
            if mean - margin > 0
            else "worse"
            if mean + margin < 0
            else ("no detectable difference")
        )
        return mean, error, said

    return verdict


@pytest.mark.parametrize(
    ("function", "case", "hint"),
    [
        (with_rule(sign=-1), "better", "changed - baseline"),
        (with_rule(ddof=0), "better", "ddof=1"),
        (with_rule(unpaired=True), "paired", "take the differences seed by seed first"),
        (with_rule(sqrt_n=False), "better", "divide by sqrt(n)"),
        (with_rule(t=2), "three seeds", "2 standard errors is too loose"),
        (with_rule(t=2), "five seeds", "such as 2 standard errors or T_CRITICAL[5]"),
        (with_rule(degrees=lambda n: n), "five seeds", "leave 4 degrees of freedom"),
        (with_rule(degrees=lambda n: n), "four seeds", "t = T_CRITICAL[3] = 3.182"),
    ],
    ids=[
        "reversed",
        "population-std",
        "unpaired",
        "no-sqrt-n",
        "two-standard-errors",
        "two-standard-errors-five-seeds",
        "n-degrees-of-freedom",
        "n-degrees-of-freedom-four-seeds",
    ],
)
def test_verdict_mistakes_are_named(function, case, hint, fails_with):
    assert hint in fails_with(checks.check_verdict, function, case=case, match="returned|verdict")


def test_verdict_with_n_degrees_of_freedom_passes_the_cases_that_cannot_tell_them_apart():
    """Only the cases made for it (five and four seeds) catch t for n degrees of freedom, so
    they are what makes that mistake fail; the others agree with the right rule."""
    wrong = with_rule(degrees=lambda n: n)
    for case in set(checks.CASES) - {"five seeds", "four seeds"}:
        checks.check_verdict(wrong, case=case)


def test_verdict_with_a_made_up_word_says_which_three(fails_with):
    def verdict(baseline, changed):
        return (*answer(baseline, changed)[:2], "significant")

    fails_with(checks.check_verdict, verdict, match="verdict 'significant'")
