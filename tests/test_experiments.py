"""The course's rule for judging an experiment: a paired comparison over seeds."""

import pytest

from mnist_course.experiments import T_CRITICAL, paired_comparison, t_critical


def test_a_clear_gain_is_better_and_a_clear_loss_worse():
    baseline = [0.960, 0.962, 0.958, 0.961]
    assert paired_comparison(baseline, [b + 0.005 for b in baseline]).verdict == "better"
    assert paired_comparison(baseline, [b - 0.005 for b in baseline]).verdict == "worse"


def test_pairing_by_seed_finds_a_small_gain_that_the_seed_spread_would_hide():
    baseline = [0.950, 0.965, 0.958, 0.970, 0.945]
    changed = [b + d for b, d in zip(baseline, [0.004, 0.003, 0.004, 0.003, 0.004], strict=True)]
    result = paired_comparison(baseline, changed)
    assert result.verdict == "better"
    assert result.mean_difference == pytest.approx(0.0036)


def test_three_seeds_need_t_not_two_standard_errors():
    result = paired_comparison([0.960, 0.962, 0.958], [0.964, 0.963, 0.962])
    assert result.mean_difference / result.standard_error == pytest.approx(3.0)
    assert result.margin == pytest.approx(4.303 * result.standard_error)
    assert result.verdict == "no detectable difference"


def test_t_is_taken_from_the_table_and_errs_wide_between_its_rows():
    assert t_critical(2) == T_CRITICAL[1] == 12.706
    assert t_critical(25) == T_CRITICAL[20]  # 24 degrees of freedom: the row for 20, wider
    with pytest.raises(ValueError, match="at least 2 seeds"):
        t_critical(1)


def test_unpaired_or_mismatched_runs_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="the same seeds in the same order"):
        paired_comparison([0.9, 0.91], [0.9, 0.91, 0.92])
