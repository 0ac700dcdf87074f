"""The course's rule for judging an experiment: a paired comparison over seeds."""

import numpy as np
import pytest

from mnist_course.experiments import (
    T_CRITICAL,
    RunCache,
    paired_comparison,
    t_critical,
    t_quantile,
)


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


def test_t_quantile_matches_the_printed_table_for_every_row():
    for degrees, value in T_CRITICAL.items():
        assert t_quantile(0.975, degrees) == pytest.approx(value, abs=1e-3)


def test_a_bonferroni_interval_for_three_changes_is_wider_and_can_undo_a_verdict():
    assert t_critical(5, confidence=1 - 0.05 / 3) == pytest.approx(3.961, abs=1e-3)
    baseline = [0.960, 0.962, 0.958, 0.961, 0.959]
    changed = [b + d for b, d in zip(baseline, [0.004, 0.001, 0.003, 0.0005, 0.004], strict=True)]
    assert paired_comparison(baseline, changed).verdict == "better"
    strict = paired_comparison(baseline, changed, confidence=1 - 0.05 / 3)
    assert strict.verdict == "no detectable difference"


def test_confidence_and_probability_outside_their_range_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        t_critical(5, confidence=95)
    with pytest.raises(ValueError, match="from 0.5 up to 1"):
        t_quantile(0.2, 4)


def test_the_run_cache_trains_once_and_reads_back_scores_and_weights(tmp_path):
    calls = []

    def train():
        calls.append(1)
        return {"val_accuracy": 0.97}, {5: [np.arange(6.0).reshape(2, 3)], 10: [np.ones(3)]}

    settings = {"epochs": 10, "seed": 0, "hidden_units": [64, 64]}
    assert RunCache(tmp_path).run(settings, train) == ({"val_accuracy": 0.97}, "trained")
    again = RunCache(tmp_path)  # a new session reads the folder
    assert again.run(dict(reversed(settings.items())), train)[1] == "from cache"
    assert len(calls) == 1 and len(again) == 1
    np.testing.assert_array_equal(again.weights(settings, epoch=5)[0], np.arange(6.0).reshape(2, 3))
    assert {"epochs": 10, "seed": 1, "hidden_units": [64, 64]} not in again


def test_the_run_cache_names_what_is_missing(tmp_path):
    cache = RunCache(tmp_path)
    cache.save({"seed": 0}, {"val_accuracy": 0.9}, {5: [np.ones(2)]})
    with pytest.raises(FileNotFoundError, match=r"after epoch 10 .* saved \[5\]"):
        cache.weights({"seed": 0}, epoch=10)
    with pytest.raises(KeyError, match="train it first"):
        cache.scores({"seed": 1})
    with pytest.raises(TypeError, match="expected a dict"):
        cache.key([("seed", 0)])
