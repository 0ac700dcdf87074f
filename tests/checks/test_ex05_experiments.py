"""Exercise 5's checks (experimenting): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import pytest

from mnist_course.checks import ex05_experiments as checks


@pytest.mark.training
def test_compare_activations_accepts_the_course_run():
    checks.check_compare_activations(checks.reference_experiment)


@pytest.mark.training
def test_compare_activations_returning_made_up_accuracies_fails(fails_with):
    """Accuracies that are not those of the same-seed run fail, naming the activation."""

    def compare(activations, x_train, y_train, x_test, y_test, *, epochs=1, seed=0):
        return {activation: 0.5 for activation in activations}

    fails_with(checks.check_compare_activations, compare, match="returned 0.5 for 'relu'")


def test_compare_activations_returning_a_list_fails(fails_with):
    fails_with(
        checks.check_compare_activations,
        lambda activations, *data, epochs=1, seed=0: [0.9, 0.8],
        activations=("relu",),
        match="one accuracy per activation",
    )


def test_best_activation_accepts_max_by_value():
    checks.check_best_activation(lambda results: max(results, key=results.get))
    checks.check_best_activation(lambda results: sorted(results.items(), key=lambda i: i[1])[-1][0])


def test_best_activation_returning_the_lowest_says_so(fails_with):
    message = fails_with(
        checks.check_best_activation,
        lambda results: min(results, key=results.get),
        match="returned 'sigmoid'",
    )
    assert "lowest" in message


def test_best_activation_returning_the_accuracy_says_return_the_name(fails_with):
    message = fails_with(
        checks.check_best_activation, lambda results: max(results.values()), match="0.95"
    )
    assert "not its accuracy" in message
