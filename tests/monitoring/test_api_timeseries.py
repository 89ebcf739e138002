"""/api/machines/{id}/timeseries: raw readings or hour/day buckets from the rollups."""

import pytest

from monitoring.selectors import timeseries
from tests.factories import fleet_fixtures

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()


def get(client, machine, query=""):
    return client.get(f"/api/machines/{machine.pk}/timeseries?{query}")


def series(body, bearing, metric):
    [match] = [
        s for s in body["series"] if s["bearing_id"] == str(bearing.pk) and s["metric"] == metric
    ]
    return match["points"]


def test_default_is_raw_last_seven_days_three_metrics(fleet_db, client):
    f = fleet_db
    response = get(client, f.m1)
    assert response.status_code == 200
    body = response.json()
    assert body["machine_id"] == str(f.m1.pk)
    assert body["start"] == "2026-03-03T12:30:00Z"
    assert body["end"] == "2026-03-10T12:30:00Z"
    assert body["interval"] == "raw"
    assert body["agg"] is None
    assert body["units"] == {"velocity.rms": "mm/s", "acceleration.rms": "g", "temperature": "°C"}
    # One series per bearing per metric, bearings in location order.
    assert [(s["bearing_location"], s["metric"], s["unit"]) for s in body["series"]] == [
        ("Motor DE", "velocity.rms", "mm/s"),
        ("Motor DE", "acceleration.rms", "g"),
        ("Motor DE", "temperature", "°C"),
        ("Pump NDE", "velocity.rms", "mm/s"),
        ("Pump NDE", "acceleration.rms", "g"),
        ("Pump NDE", "temperature", "°C"),
    ]
    assert series(body, f.b1, "velocity.rms") == [
        ["2026-03-10T10:10:00Z", 1.0],
        ["2026-03-10T11:10:00Z", 1.2],
        ["2026-03-10T11:40:00Z", 1.6],
        ["2026-03-10T12:10:00Z", 2.0],
    ]
    # A reading without temperature has no temperature point.
    assert series(body, f.b2, "temperature") == [
        ["2026-03-10T10:10:00Z", 38.0],
        ["2026-03-10T12:10:00Z", 39.0],
    ]


def test_raw_range_is_inclusive_and_offsets_are_honoured(fleet_db, client):
    f = fleet_db
    body = get(
        client,
        f.m1,
        "interval=raw&metrics=velocity.rms&bearing_id="
        f"{f.b1.pk}&start=2026-03-10T12:10:00%2B01:00&end=2026-03-10T11:40:00Z",
    ).json()
    # 12:10+01:00 is 11:10Z.
    assert body["start"] == "2026-03-10T11:10:00Z"
    assert [s["bearing_id"] for s in body["series"]] == [str(f.b1.pk)]
    assert series(body, f.b1, "velocity.rms") == [
        ["2026-03-10T11:10:00Z", 1.2],
        ["2026-03-10T11:40:00Z", 1.6],
    ]


@pytest.mark.parametrize("server_order", ["as stored", "reversed"])
def test_raw_points_are_oldest_first_in_any_order_read(fleet_db, client, monkeypatch, server_order):
    # Raw readings are read without a $sort (SecantusDB would sort every row again): the
    # points are put in order in Python, whatever order the index walk returns them in.
    f = fleet_db
    if server_order == "reversed":
        aggregate = timeseries.aggregate
        monkeypatch.setattr(
            timeseries, "aggregate", lambda *args, **kw: list(aggregate(*args, **kw))[::-1]
        )
    body = get(client, f.m1, "interval=raw&metrics=velocity.rms,temperature").json()
    for s in body["series"]:
        times = [t for t, _ in s["points"]]
        assert times == sorted(times) and len(set(times)) == len(times), s
    assert len(series(body, f.b1, "velocity.rms")) >= 3


def test_unencoded_plus_offset_is_accepted(fleet_db, client):
    # A literal "+" in a query string arrives as a space.
    f = fleet_db
    body = get(
        client,
        f.m1,
        "start=2026-03-10T12:10:00+01:00&end=2026-03-10T13:00:00+01:00"
        "&metrics=velocity.rms&interval=raw",
    ).json()
    assert [p[0] for p in series(body, f.b1, "velocity.rms")] == [
        "2026-03-10T11:10:00Z",
        "2026-03-10T11:40:00Z",
    ]


@pytest.mark.parametrize(
    ("agg", "expected"),
    [
        (
            "avg",
            [
                ["2026-03-10T10:00:00Z", 1.0],
                ["2026-03-10T11:00:00Z", 1.4],
                ["2026-03-10T12:00:00Z", 2.0],
            ],
        ),
        (
            "max",
            [
                ["2026-03-10T10:00:00Z", 1.0],
                ["2026-03-10T11:00:00Z", 1.6],
                ["2026-03-10T12:00:00Z", 2.0],
            ],
        ),
        (
            "min",
            [
                ["2026-03-10T10:00:00Z", 1.0],
                ["2026-03-10T11:00:00Z", 1.2],
                ["2026-03-10T12:00:00Z", 2.0],
            ],
        ),
    ],
)
def test_hourly_buckets(fleet_db, client, agg, expected):
    f = fleet_db
    body = get(client, f.m1, f"interval=hour&agg={agg}&metrics=velocity.rms").json()
    assert body["interval"] == "hour" and body["agg"] == agg
    points = series(body, f.b1, "velocity.rms")
    assert [p[0] for p in points] == [e[0] for e in expected]
    assert [p[1] for p in points] == pytest.approx([e[1] for e in expected])


def test_daily_buckets(fleet_db, client):
    f = fleet_db
    body = get(
        client,
        f.m3,
        "interval=day&metrics=velocity.rms,temperature"
        "&start=2026-03-01T00:00:00Z&end=2026-03-10T23:00:00Z",
    ).json()
    assert body["interval"] == "day"
    assert series(body, f.b4, "velocity.rms") == [["2026-03-10T00:00:00Z", 4.0]]
    assert series(body, f.b4, "temperature") == [["2026-03-10T00:00:00Z", 52.5]]
    body = get(client, f.m1, "interval=day&agg=max&metrics=temperature").json()
    assert series(body, f.b1, "temperature") == [["2026-03-10T00:00:00Z", 43.0]]


def test_every_metric_has_its_unit(fleet_db, client):
    f = fleet_db
    # Repeated: all of them comma-joined would pass the 200-character limit of one value.
    metrics = "&".join(f"metrics={m}" for m in timeseries.METRICS)
    body = get(client, f.m3, f"{metrics}&interval=raw").json()
    assert body["units"] == {
        "acceleration.rms": "g",
        "acceleration.peak": "g",
        "acceleration.crest_factor": "1",
        "acceleration.kurtosis": "1",
        "velocity.rms": "mm/s",
        "velocity.peak": "mm/s",
        "velocity.crest_factor": "1",
        "temperature": "°C",
        "envelope.rms": "gE",
        "envelope.peak": "gE",
        "envelope.bpfo_score": "1",
        "envelope.bpfi_score": "1",
        "envelope.bsf_score": "1",
        "envelope.ftf_score": "1",
    }
    assert series(body, f.b4, "velocity.peak") == [
        ["2026-03-10T11:00:00Z", 4.5],
        ["2026-03-10T12:00:00Z", 7.5],
    ]
    assert series(body, f.b4, "acceleration.kurtosis") == [
        ["2026-03-10T11:00:00Z", 3.0],
        ["2026-03-10T12:00:00Z", 3.0],
    ]


def test_default_interval_downsamples_when_raw_would_be_too_many(fleet_db, client, monkeypatch):
    f = fleet_db
    monkeypatch.setattr(timeseries, "TARGET_POINTS", 3)  # b1 has 4 readings in the range
    body = get(client, f.m1, "metrics=velocity.rms&start=2026-03-10T10:00:00Z").json()
    assert body["interval"] == "hour"
    assert len(series(body, f.b1, "velocity.rms")) == 3


def test_default_interval_is_day_for_long_ranges(fleet_db, client, monkeypatch):
    f = fleet_db
    monkeypatch.setattr(timeseries, "TARGET_POINTS", 3)
    body = get(client, f.m1, "metrics=velocity.rms&start=2026-01-01T00:00:00Z").json()
    assert body["interval"] == "day"
    assert series(body, f.b1, "velocity.rms") == [["2026-03-10T00:00:00Z", 1.45]]


def test_raw_over_the_limit_is_refused(fleet_db, client, monkeypatch):
    f = fleet_db
    monkeypatch.setattr(timeseries, "MAX_POINTS", 3)
    response = get(client, f.m1, "interval=raw")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["interval"]
    assert "4 raw points per series" in body["errors"]["interval"][0]
    assert "limit of 3" in body["errors"]["interval"][0]
    # Exact counts: the edge hours hold readings outside the range, which do not count.
    ok = get(client, f.m1, "interval=raw&start=2026-03-10T10:30:00Z&end=2026-03-10T12:05:00Z")
    assert ok.status_code == 200


def test_real_limit_is_ten_thousand(fleet_db, client):
    f = fleet_db
    body = get(client, f.m1, "interval=hour&start=2024-01-01T00:00:00Z").json()
    assert body["errors"]["interval"][0].endswith(
        "more than the limit of 10000; narrow the range or use a coarser interval."
    )


def test_machine_without_readings_has_empty_series(fleet_db, client):
    f = fleet_db
    body = get(client, f.m5, "metrics=temperature").json()
    assert body["series"] == [
        {
            "bearing_id": str(f.b6.pk),
            "bearing_location": "Motor NDE",
            "metric": "temperature",
            "unit": "°C",
            "points": [],
        }
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-03-10T10:00:00", "start"),  # naive: not guessed
        ("end=yesterday", "end"),
        ("start=2026-03-10T12:00:00Z&end=2026-03-10T10:00:00Z", "start"),
        ("metrics=velocity.rms,vibes", "metrics"),
        ("metrics=", "metrics"),
        ("interval=minute", "interval"),
        ("agg=median", "agg"),
        ("page_size=10", "page_size"),
        ("bearing=1", "bearing"),
    ],
)
def test_bad_parameters(fleet_db, client, query, field):
    f = fleet_db
    response = get(client, f.m1, query)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


def test_naive_timestamp_message(fleet_db, client):
    f = fleet_db
    body = get(client, f.m1, "start=2026-03-10T10:00:00").json()
    assert "no UTC offset" in body["errors"]["start"][0]


def test_unknown_metric_is_named(fleet_db, client):
    f = fleet_db
    body = get(client, f.m1, "metrics=vibes").json()
    assert "vibes" in body["errors"]["metrics"][0]


@pytest.mark.parametrize("bearing", ["b3", "malformed", "6650f1c2a1b2c3d4e5f60718"])
def test_bearing_not_on_machine_is_404(fleet_db, client, bearing):
    f = fleet_db
    bearing_id = getattr(f, bearing).pk if bearing == "b3" else bearing
    response = get(client, f.m1, f"bearing_id={bearing_id}")
    assert response.status_code == 404
    assert response.json()["detail"] == "No bearing with this id on this machine."


@pytest.mark.parametrize("machine_id", ["x", "6650f1c2a1b2c3d4e5f60718"])
def test_unknown_machine_is_404(fleet_db, client, machine_id):
    assert client.get(f"/api/machines/{machine_id}/timeseries").status_code == 404
