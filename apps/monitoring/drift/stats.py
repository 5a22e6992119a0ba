"""The statistics of drift, on aggregates only (counts per name, per bucket), with scipy.

Each function takes what SQL returned and gives (score, p-value); the caller decides what
is too little data and what crosses a threshold.
"""

import math

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon


def mix_shift(baseline: dict[str, int], current: dict[str, int]) -> tuple[float, float | None]:
    """Jensen-Shannon distance (base 2, 0 = same mix, 1 = disjoint) between two mixes of
    names, and the chi-square test of independence of mix and window."""
    names = sorted(set(baseline) | set(current))
    b = np.array([baseline.get(n, 0) for n in names], dtype=float)
    c = np.array([current.get(n, 0) for n in names], dtype=float)
    if b.sum() == 0 or c.sum() == 0:
        return 0.0, None
    distance = float(jensenshannon(b / b.sum(), c / c.sum(), base=2))
    if len(names) < 2:
        return distance, None
    chi2 = stats.chi2_contingency(np.vstack([b, c]), correction=False)
    return (0.0 if math.isnan(distance) else distance), float(chi2.pvalue)


def proportion_shift(x_base: int, n_base: int, x_cur: int, n_cur: int) -> tuple[float, float | None]:
    """Two-proportion z-test: (current rate - baseline rate, two-sided p-value).

    With fewer than 5 expected events in a cell the normal approximation claims more
    significance than the data has, so Fisher's exact test gives the p-value instead."""
    p_base, p_cur = x_base / n_base, x_cur / n_cur
    pooled = (x_base + x_cur) / (n_base + n_cur)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_base + 1 / n_cur))
    if spread == 0:
        return p_cur - p_base, 1.0
    if min(n_base, n_cur) * min(pooled, 1 - pooled) < 5:
        table = [[x_base, n_base - x_base], [x_cur, n_cur - x_cur]]
        return p_cur - p_base, float(stats.fisher_exact(table).pvalue)
    z = (p_cur - p_base) / spread
    return p_cur - p_base, float(2 * stats.norm.sf(abs(z)))


def histogram_shift(
    centres: tuple[float, ...], baseline: list[int], current: list[int]
) -> tuple[float, float, float | None]:
    """Distance between two histograms over the same buckets: (Wasserstein distance divided
    by the baseline mean, so it reads as "shifted by this share of the usual value"; the KS
    statistic on the bucketed CDFs; its asymptotic two-sample p-value)."""
    b, c = np.asarray(baseline, dtype=float), np.asarray(current, dtype=float)
    n_b, n_c = b.sum(), c.sum()
    values = np.asarray(centres, dtype=float)
    distance = float(stats.wasserstein_distance(values, values, u_weights=b, v_weights=c))
    mean = float((values * b).sum() / n_b)
    relative = distance / mean if mean > 0 else (0.0 if distance == 0 else math.inf)
    ks = float(np.abs(np.cumsum(b) / n_b - np.cumsum(c) / n_c).max())
    effective = n_b * n_c / (n_b + n_c)
    p_value = float(stats.kstwobign.sf(ks * math.sqrt(effective)))
    return relative, ks, p_value


def rate_shift(n_base: int, hours_base: float, n_cur: int, hours_cur: float) -> tuple[float, float]:
    """Events per hour: (|log2(current rate / baseline rate)|, exact conditional binomial
    p-value that both windows share one Poisson rate)."""
    rate_b, rate_c = n_base / hours_base, n_cur / hours_cur
    if rate_b == 0 or rate_c == 0:
        score = math.inf if rate_b != rate_c else 0.0
    else:
        score = abs(math.log2(rate_c / rate_b))
    share = hours_cur / (hours_base + hours_cur)
    return score, float(stats.binomtest(n_cur, n_base + n_cur, share).pvalue)
