"""The statistics, on inputs whose answers are known by hand."""

import math

import pytest

from apps.monitoring.drift import stats
from apps.monitoring.histograms import LATENCY


def test_the_same_mix_has_no_distance_and_no_significance():
    distance, p_value = stats.mix_shift({"a": 30, "b": 70}, {"a": 60, "b": 140})

    assert distance == pytest.approx(0, abs=1e-9)
    assert p_value == pytest.approx(1.0)


def test_disjoint_mixes_are_one_apart():
    distance, p_value = stats.mix_shift({"a": 50}, {"b": 50})

    assert distance == pytest.approx(1.0)
    assert p_value < 1e-10


def test_jensen_shannon_distance_and_chi_square_match_the_hand_computed_values():
    # P = (.5, .5), Q = (1, 0): M = (.75, .25); JSD = H(M) - (H(P) + H(Q)) / 2 = 0.31128 bits.
    distance, p_value = stats.mix_shift({"a": 50, "b": 50}, {"a": 100})

    assert distance == pytest.approx(math.sqrt(0.311278), abs=1e-5)
    # Expected counts (75, 25) per row: chi2 = 2 * (25²/75 + 25²/25) = 66.67, one degree of freedom.
    assert p_value == pytest.approx(3.2e-16, rel=0.1)


def test_two_proportion_z_test():
    # p1 = .1, p2 = .3, pooled .2: z = .2 / sqrt(.2 * .8 * .02) = 3.5355, two-sided p = 0.000407.
    increase, p_value = stats.proportion_shift(10, 100, 30, 100)

    assert increase == pytest.approx(0.2)
    assert p_value == pytest.approx(0.000407, rel=0.01)


def test_two_proportions_without_any_event_of_the_kind_are_not_different():
    assert stats.proportion_shift(0, 50, 0, 80) == (0.0, 1.0)


def test_histogram_shift_reads_as_a_share_of_the_usual_value():
    relative, ks, p_value = stats.histogram_shift((1.0, 2.0, 3.0), [10, 0, 0], [0, 0, 10])

    assert relative == pytest.approx(2.0)  # moved by 2 from a mean of 1
    assert ks == pytest.approx(1.0)
    assert p_value < 0.01


def test_identical_histograms_do_not_differ():
    relative, ks, p_value = stats.histogram_shift(
        LATENCY.centres, [0, 5, 50, 20] + [0] * 16, [0, 5, 50, 20] + [0] * 16
    )

    assert relative == 0 and ks == 0 and p_value == pytest.approx(1.0)


def test_doubled_volume_is_a_log2_ratio_of_one():
    score, p_value = stats.rate_shift(100, 100.0, 200, 100.0)

    assert score == pytest.approx(1.0)
    assert p_value < 1e-6


def test_a_steady_rate_is_not_significant():
    score, p_value = stats.rate_shift(700, 168.0, 100, 24.0)

    assert score == pytest.approx(abs(math.log2((100 / 24) / (700 / 168))))
    assert p_value > 0.5


def test_latency_quantiles_are_interpolated_inside_their_bucket():
    counts = [0] * len(LATENCY.edges)
    counts[LATENCY.edges.index(100.0)] = 100  # all in [100, 200) ms

    assert LATENCY.quantile(counts, 0.5) == pytest.approx(150.0)
    assert LATENCY.quantile(counts, 0.95) == pytest.approx(195.0)
    assert LATENCY.quantile([0] * len(LATENCY.edges), 0.5) is None


def test_few_expected_events_use_fishers_exact_test():
    # 1 of 200 against 4 of 40: the z-test would say p ≈ 0.0001; Fisher's exact test, 0.003.
    increase, p_value = stats.proportion_shift(1, 200, 4, 40)

    assert increase == pytest.approx(0.095)
    assert p_value == pytest.approx(0.00298, rel=0.01)
