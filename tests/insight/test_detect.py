"""The early-warning detectors on synthetic series (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import h3
import numpy as np
import pytest

from grassroots.insight import detect

FIRST = date(2024, 1, 1)


def seasonal_series(
    rng: np.random.Generator,
    *,
    days: int = 2 * 365 + 60,
    level: float = 4.0,
    amplitude: float = 0.9,
    peak_day: int = 190,
    size: float = 10.0,
    series: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts (series × days) and their true means: a strong annual season (×6 from
    trough to peak), fewer reports at weekends, NB noise."""
    ordinals = np.arange(FIRST.toordinal(), FIRST.toordinal() + days)
    angle = 2 * np.pi * ((ordinals % 365.25) - peak_day) / 365.25
    weekend = np.where((ordinals - 1) % 7 >= 5, 0.7, 1.0)
    mu = level * np.exp(amplitude * np.cos(angle)) * weekend
    mu = np.tile(mu, (series, 1))
    return rng.poisson(rng.gamma(size, mu / size)).astype(float), mu


def days_until_peak(peak_day: int = 190) -> int:
    """Length of a history from FIRST that ends at the seasonal peak of its second year."""
    ordinals = np.arange(FIRST.toordinal(), FIRST.toordinal() + 3 * 365)
    angle = np.cos(2 * np.pi * ((ordinals % 365.25) - peak_day) / 365.25)
    peaks = np.flatnonzero(angle > 0.9999)
    return int(peaks[peaks > 400][0]) + 1


def test_injected_spike_is_found_and_the_same_window_without_it_is_quiet():
    rng = np.random.default_rng(1)
    counts, mu = seasonal_series(rng)
    quiet = detect.detect_spikes(counts, FIRST, window=3)
    assert not quiet.alarm[0]
    spiked = counts.copy()
    spiked[0, -3:] += np.array([6, 12, 18])
    found = detect.detect_spikes(spiked, FIRST, window=3)
    assert found.alarm[0]
    assert found.model[0] == "seasonal"
    assert found.observed[0] == counts[0, -3:].sum() + 36
    assert found.expected[0] == pytest.approx(mu[0, -3:].sum(), rel=0.35)
    assert found.p_value[0] < 0.005 and found.score[0] > 1
    assert found.severity[0] in {detect.WARNING, detect.CRITICAL}


def test_a_normal_seasonal_peak_raises_nothing_but_the_same_counts_off_season_do():
    rng = np.random.default_rng(2)
    length = days_until_peak()
    counts, _mu = seasonal_series(rng, days=length + 183, series=40)
    at_peak = counts[:, :length]
    result = detect.detect_spikes(at_peak, FIRST, window=7)
    assert result.alarm.sum() <= 1  # 40 series at the peak of their season
    weekly = at_peak[:, :-7].sum(1) / (length - 7) * 7
    assert at_peak[:, -7:].sum(1).mean() > 1.8 * weekly.mean()  # a real peak
    # the same week's counts half a year later, in the trough, are an outbreak
    off_season = counts.copy()
    off_season[:, -7:] = at_peak[:, -7:]
    assert detect.detect_spikes(off_season, FIRST, window=7).alarm.mean() > 0.9


def test_false_alarm_rate_matches_the_quantile():
    rng = np.random.default_rng(3)
    counts, _mu = seasonal_series(rng, series=300, level=3.0)
    result = detect.detect_spikes(counts, FIRST, window=3)
    assert result.alarm.mean() < 0.02  # nominal 0.5 %; 300 series
    assert np.all((result.p_value >= 0) & (result.p_value <= 1))


def test_past_outbreak_in_the_history_does_not_hide_a_new_one():
    rng = np.random.default_rng(4)
    counts, _mu = seasonal_series(rng, level=3.0, amplitude=0.2)
    counts[0, -40:-33] += 30  # last month's outbreak, a week long
    counts[0, -3:] += np.array([4, 8, 10])
    result = detect.detect_spikes(counts, FIRST, window=3)
    assert result.alarm[0]


def test_trend_is_followed():
    rng = np.random.default_rng(5)
    days = 2 * 365 + 30
    t = np.arange(days) / 365.25
    mu = 2.0 * np.exp(0.7 * t)  # doubles every year
    counts = rng.poisson(np.tile(mu, (30, 1))).astype(float)
    result = detect.detect_spikes(counts, FIRST, window=7)
    assert result.expected.mean() == pytest.approx(mu[-7:].sum(), rel=0.15)
    assert result.alarm.sum() <= 1


def test_short_history_uses_the_local_model_and_sparse_series_need_min_count():
    rng = np.random.default_rng(6)
    counts, _mu = seasonal_series(rng, days=120, level=5.0, amplitude=0.1)
    spiked = counts.copy()
    spiked[0, -3:] += 25
    result = detect.detect_spikes(spiked, FIRST, window=3)
    assert result.model[0] == "local" and result.alarm[0]

    sparse = np.zeros((2, 400))
    sparse[:, [40, 200, 310]] = 1
    sparse[0, -3:] = [1, 2, 2]  # five in three days where there was one in four months
    sparse[1, -3:] = [1, 1, 1]  # three: unusual but below the minimum count
    result = detect.detect_spikes(sparse, FIRST, window=3)
    assert list(result.model) == ["sparse", "sparse"]
    assert list(result.alarm) == [True, False]


def test_batched_fit_equals_fitting_each_series_alone():
    rng = np.random.default_rng(7)
    counts, _mu = seasonal_series(rng, series=3, level=6.0)
    together = detect.detect_spikes(counts, FIRST, window=3)
    for i in range(3):
        alone = detect.detect_spikes(counts[i : i + 1], FIRST, window=3)
        assert alone.expected[0] == pytest.approx(together.expected[i], rel=1e-3)


def test_needs_history_before_the_window():
    with pytest.raises(ValueError):
        detect.detect_spikes(np.ones((1, 3)), FIRST, window=3)


# -- clusters ------------------------------------------------------------------------------

CENTER = h3.latlng_to_cell(30.25, 120.15, 8)


def test_cluster_in_neighbouring_cells_is_found():
    ring = list(h3.grid_disk(CENTER, 1))
    far = sorted(set(h3.grid_disk(CENTER, 6)) - set(h3.grid_disk(CENTER, 4)))
    observed = {cell: 3 for cell in ring}  # 21 reports over 7 cells
    for cell in far[:30]:
        observed[cell] = 1  # background, one report here and there
    expected = {cell: 0.4 for cell in h3.grid_disk(CENTER, 6)}
    clusters = detect.detect_clusters(observed, expected, default_expected=0.4)
    assert len(clusters) == 1
    cluster = clusters[0]
    assert set(cluster.cells) <= set(ring) and len(cluster.cells) == 7
    assert cluster.observed == 21
    assert cluster.expected == pytest.approx(2.8)
    assert cluster.p_value < 0.001


def test_no_cluster_where_counts_match_the_baseline():
    rng = np.random.default_rng(8)
    cells = list(h3.grid_disk(CENTER, 5))
    expected = {cell: 1.5 for cell in cells}
    observed = {cell: int(rng.poisson(1.5)) for cell in cells}
    assert detect.detect_clusters(observed, expected, default_expected=1.5) == []
    # a busy place is busy every week: many reports, but as many as usual
    expected[CENTER] = 20.0
    observed[CENTER] = 24
    assert detect.detect_clusters(observed, expected, default_expected=1.5) == []


def test_smoothed_rates_give_cells_without_history_a_small_baseline():
    rates = detect.smoothed_rates({"a": 30, "b": 0}, days=30)
    assert rates["b"] > 0
    assert rates["a"] > rates["b"]
    assert detect.smoothed_rates({}, days=30) == {}


# -- repeats -----------------------------------------------------------------------------


def test_repeats_group_by_key_and_ignore_empty_keys():
    day = date(2026, 5, 1)
    events = [("phone-1", day + timedelta(days=i), i) for i in range(6)]
    events += [("phone-2", day, 10), ("phone-2", day, 11)]
    events += [("", day, 20)] * 5
    events += [("addr", day + timedelta(days=i), 30 + i) for i in range(3)]
    found = detect.detect_repeats(events, min_count=3)
    assert [(r.key, r.count, r.severity) for r in found] == [
        ("phone-1", 6, detect.WARNING),
        ("addr", 3, detect.INFO),
    ]
    assert found[0].first == day and found[0].last == day + timedelta(days=5)
    assert found[0].items == tuple(range(6))


def test_normalise_address():
    assert detect.normalise_address("  幸福路 12 号，3-201 ") == "幸福路12号3201"
    assert detect.normalise_address("幸福路") == ""  # too vague to group on


# -- sensors -----------------------------------------------------------------------------

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def hours(n: int) -> list[datetime]:
    return [T0 + timedelta(hours=i) for i in range(n)]


def test_sensor_repeatedly_over_threshold_without_an_open_case():
    values = [1.0, 3.2, 1.1, 3.5, 3.1, 1.0]
    result = detect.assess_sensor(hours(6), values, threshold=3.0, has_open_case=False)
    assert result.reason == "repeated" and result.over_count == 3
    handled = detect.assess_sensor(hours(6), values, threshold=3.0, has_open_case=True)
    assert handled.reason == ""


def test_sensor_rising_towards_the_threshold():
    values = [1.0, 1.2, 1.35, 1.5, 1.7, 1.85, 2.0, 2.2]  # +0.17 an hour, threshold at 3.0
    result = detect.assess_sensor(hours(8), values, threshold=3.0)
    assert result.reason == "rising"
    assert result.hours_to_threshold == pytest.approx((3.0 - 2.2) / result.slope_per_hour)
    assert 3 < result.hours_to_threshold < 8
    falling = detect.assess_sensor(hours(8), values[::-1], threshold=3.0)
    assert falling.reason == ""
    # "below" devices (e.g. a pressure that must not drop): falling is the danger
    dropping = detect.assess_sensor(hours(8), [4 - v for v in values], threshold=1.0, above=False)
    assert dropping.reason == "rising"


def test_sensor_noise_is_not_a_trend():
    rng = np.random.default_rng(9)
    values = list(2.0 + rng.normal(0, 0.1, 24))
    assert detect.assess_sensor(hours(24), values, threshold=3.0).reason == ""
    assert detect.assess_sensor([], [], threshold=3.0).reason == ""


def test_sensor_excursions_that_keep_coming_back():
    quiet = [1.0, 1.1, 0.9]
    assert detect.assess_sensor(hours(3), quiet, threshold=3.0, excursions=2).reason == ""
    result = detect.assess_sensor(hours(3), quiet, threshold=3.0, excursions=3)
    assert (result.reason, result.severity) == ("recurring", detect.WARNING)
    assert detect.assess_sensor([], [], threshold=3.0, excursions=6).severity == detect.CRITICAL
