"""The pure alarm rules: zone with hysteresis, baseline, Theil-Sen trend, stale sensor."""

import datetime as dt

import pytest

from monitoring.alarms import rules

LIMITS = rules.boundaries(2, "rigid")  # 1.4, 2.8, 4.5


def run_zone(values, active=None):
    """Feed values one by one; the severity after each."""
    seen, out = [], []
    for v in values:
        seen.append(v)
        active = rules.zone_step(seen, active=active, limits=LIMITS).severity
        out.append(active)
    return out


def test_zone_c_needs_two_consecutive_readings():
    assert run_zone([1.0, 3.0, 1.0, 3.0]) == [None, None, None, None]
    assert run_zone([1.0, 3.0, 3.1]) == [None, None, "alert"]


def test_zone_d_raises_on_one_reading_and_escalates_in_place():
    assert run_zone([1.0, 5.0]) == [None, "danger"]
    assert run_zone([3.0, 3.0, 5.0]) == [None, "alert", "danger"]


def test_zone_clears_after_three_readings_under_boundary_minus_hysteresis():
    # 2.6 is under B/C (2.8) but above 2.8 x 0.9 = 2.52: the alarm holds.
    assert run_zone([3.0, 3.0, 2.6, 2.6, 2.6, 2.6]) == [None, *["alert"] * 5]
    assert run_zone([3.0, 3.0, 2.4, 2.4, 2.4]) == [None, "alert", "alert", "alert", None]


def test_zone_dithering_around_a_boundary_does_not_flap():
    values = [3.0, 3.0] + [2.7, 2.9] * 10
    severities = run_zone(values)
    assert severities[1:] == ["alert"] * (len(values) - 1)


def test_zone_danger_deescalates_to_alert_with_hysteresis():
    out = run_zone([5.0, 3.5, 3.5, 3.5])
    assert out == ["danger", "danger", "danger", "alert"]


def test_velocity_baseline_threshold_follows_the_annex_and_is_capped():
    # baseline 1.0 + 0.25 x 2.8 = 1.7; a high baseline is capped at 1.25 x 2.8 = 3.5
    assert rules.velocity_baseline_threshold(1.0, limits=LIMITS) == pytest.approx(1.7)
    assert rules.velocity_baseline_threshold(3.4, limits=LIMITS) == pytest.approx(3.5)


def test_ratio_severity_warning_at_2x_alert_at_4x():
    assert rules.ratio_severity(5.9, 3.0)[0] is None
    assert rules.ratio_severity(6.0, 3.0)[0] == "warning"
    assert rules.ratio_severity(12.0, 3.0)[0] == "alert"


def test_theil_sen_ignores_an_outlier():
    t = list(range(20))
    y = [2.0 * x + 1.0 for x in t]
    y[5] = 500.0
    slope, intercept = rules.theil_sen(t, y)
    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(1.0)


T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_trend_projects_the_crossing_date():
    # 0.1 mm/s a day from 2.0: crosses 4.5 on day 25; now is day 13 -> within 30 days.
    points = [(T0 + dt.timedelta(days=d), 2.0 + 0.1 * d) for d in range(14)]
    crossing = rules.trend_crossing(points, limit=4.5, now=T0 + dt.timedelta(days=13))
    assert crossing == T0 + dt.timedelta(days=25)


def test_trend_is_quiet_when_flat_far_or_sparse():
    flat = [(T0 + dt.timedelta(days=d), 2.0) for d in range(14)]
    slow = [(T0 + dt.timedelta(days=d), 2.0 + 0.01 * d) for d in range(14)]
    now = T0 + dt.timedelta(days=13)
    assert rules.trend_crossing(flat, limit=4.5, now=now) is None
    assert rules.trend_crossing(slow, limit=4.5, now=now) is None
    assert rules.trend_crossing(slow[:3], limit=2.0, now=now) is None


def test_stale_severity():
    now = T0 + dt.timedelta(days=10)
    assert rules.stale_severity(now - dt.timedelta(hours=35), now=now) is None
    assert rules.stale_severity(now - dt.timedelta(hours=36), now=now) == "warning"
    assert rules.stale_severity(now - dt.timedelta(hours=72), now=now) == "alert"
    assert rules.stale_severity(None, now=now) is None


def test_params_for_keeps_defaults_and_ignores_unknown_keys():
    params = rules.params_for("zone", {"clear_after": 5, "bogus": 1})
    assert params["clear_after"] == 5 and "bogus" not in params
    assert params["raise_alert_after"] == 2
