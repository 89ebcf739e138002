"""/api/export/readings.csv and /api/data/query as text/csv: one writer, streamed, scoped."""

import csv
import datetime as dt
import io

import pytest
from django.http import StreamingHttpResponse

from monitoring.api import exports as csv_out
from monitoring.selectors import exports
from monitoring.services import latest_state_rebuild, rollups_rebuild
from tests.factories import (
    FLEET_READINGS,
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    fleet_fixtures,
)
from tests.monitoring.conftest import TokenClient

fleet, fleet_db = fleet_fixtures()

EXPORT = "/api/export/readings.csv"
HEADER = [
    "time", "epoch_ms", "customer", "area", "machine", "bearing", "status",
    "acceleration_rms_g", "acceleration_peak_g", "acceleration_crest_factor",
    "acceleration_kurtosis", "velocity_rms_mm_s", "velocity_peak_mm_s",
    "velocity_crest_factor", "temperature_c", "envelope_rms_ge", "envelope_peak_ge",
    "envelope_bpfo_score", "envelope_bpfi_score", "envelope_bsf_score", "envelope_ftf_score",
]  # fmt: skip


def body(response) -> bytes:
    assert response.status_code == 200, response.content if not response.streaming else ""
    return b"".join(response.streaming_content)


def table(response, delimiter=",") -> list[list[str]]:
    text = body(response).decode("utf-8")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


# --- the writer's pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "suffix"), [("mm/s", "_mm_s"), ("°C", "_c"), ("g", "_g"), ("1", "")]
)
def test_units_become_column_suffixes(unit, suffix):
    assert csv_out.unit_suffix(unit) == suffix


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_escaped(start):
    assert csv_out.safe_text(f"{start}1+1") == f"'{start}1+1"
    assert csv_out.safe_text(f"a{start}") == f"a{start}"


def test_the_writer_escapes_text_but_not_numbers():
    text = b"".join(csv_out.csv_stream(["a", "b"], [["=1+1", -1.5], [None, 2]])).decode()
    assert text == "a,b\r\n'=1+1,-1.5\r\n,2\r\n"


# --- over the fleet (read-only) --------------------------------------------------------------


def test_staff_export_everything_oldest_first_with_units(fleet_db, client):
    response = client.get(EXPORT)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = response["Content-Disposition"]
    assert name == 'attachment; filename="readings_all_first_2026-03-10.csv"'
    rows = table(response)
    assert rows[0] == HEADER
    assert len(rows) == 1 + len(FLEET_READINGS)
    times = [dt.datetime.fromisoformat(r[0]) for r in rows[1:]]
    assert times == sorted(times)
    for row, when in zip(rows[1:], times, strict=True):
        assert int(row[1]) == int(when.timestamp() * 1000)
        assert row[0].endswith("+00:00")
    first = rows[1]  # m4/b5 on March 1st
    assert first[2:7] == ["Globex", "Utilities", "Air Compressor", "Screw DE", "Normal"]
    assert first[0] == "2026-03-01T08:00:00+00:00"
    assert float(first[HEADER.index("velocity_rms_mm_s")]) == 1.0
    assert float(first[HEADER.index("temperature_c")]) == 30.0


def test_metrics_pick_the_indicator_columns(fleet_db, client):
    rows = table(
        client.get(f"{EXPORT}?metrics=velocity.rms,temperature&machine_id={fleet_db.m1.pk}")
    )
    assert rows[0] == [*HEADER[:7], "velocity_rms_mm_s", "temperature_c"]
    assert len(rows) == 1 + 7
    assert {r[4] for r in rows[1:]} == {"Boiler Feed Pump"}
    assert {r[5] for r in rows[1:]} == {"Motor DE", "Pump NDE"}


def test_missing_temperature_is_an_empty_cell(fleet_db, client):
    url = f"{EXPORT}?bearing_id={fleet_db.b2.pk}&metrics=temperature"
    assert [r[-1] for r in table(client.get(url))[1:]] == ["38.0", "", "39.0"]


def test_semicolon_and_bom(fleet_db, client):
    response = client.get(f"{EXPORT}?delimiter=;&bom=true&machine_id={fleet_db.m3.pk}")
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1][HEADER.index("velocity_rms_mm_s")] == "3.0"  # a decimal point, always
    assert raw.count(b"\xef\xbb\xbf") == 1


def test_empty_export_is_a_header_row(fleet_db, client):
    response = client.get(f"{EXPORT}?start=2020-01-01T00:00:00Z&end=2020-01-02T00:00:00Z")
    assert table(response) == [HEADER]
    assert "readings_all_2020-01-01_2020-01-02.csv" in response["Content-Disposition"]


def test_a_plant_user_never_sees_another_customer(fleet_db):
    acme = TokenClient("acme-export", is_staff=False, customers=["Acme"])
    rows = table(acme.get(EXPORT))
    assert len(rows) == 1 + 13 and {r[2] for r in rows[1:]} == {"Acme"}
    assert table(acme.get(f"{EXPORT}?customer=Globex")) == [HEADER]
    assert table(acme.get(f"{EXPORT}?machine_id={fleet_db.m4.pk}")) == [HEADER]
    assert "readings_acme_" in acme.get(EXPORT)["Content-Disposition"]


def test_bad_parameters_are_400_in_json(fleet_db, client):
    for query, field in [
        ("tz=Mars/Base", "tz"),
        ("delimiter=|", "delimiter"),
        ("bom=maybe", "bom"),
        ("metrics=speed", "metrics"),
        ("fields=status", "fields"),
        ("start=2026-03-02T00:00:00Z&end=2026-03-01T00:00:00Z", "start"),
    ]:
        response = client.get(f"{EXPORT}?{query}", HTTP_ACCEPT="text/csv")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "application/json"
        assert field in response.json()["errors"], query


def test_data_query_as_csv_is_the_export(fleet_db, client):
    for query in ["", f"machine_id={fleet_db.m1.pk}&status=Normal", "customer=Globex"]:
        exported = body(client.get(f"{EXPORT}?{query}"))
        negotiated = client.get(f"/api/data/query?{query}", HTTP_ACCEPT="text/csv")
        assert isinstance(negotiated, StreamingHttpResponse)
        assert body(negotiated) == exported, query
    # JSON stays the default answer, paginated as before.
    assert "results" in client.get("/api/data/query").json()


# --- dedicated data --------------------------------------------------------------------------


@pytest.mark.django_db
def test_times_in_a_zone_across_the_dst_change(client):
    bearing = BearingFactory()
    # Europe/Berlin moves from +01:00 to +02:00 at 01:00 UTC on 2026-03-29.
    for hour in (0, 1):
        ReadingFactory(bearing=bearing, timestamp=dt.datetime(2026, 3, 29, hour, 30, tzinfo=dt.UTC))
    rows = table(client.get(f"{EXPORT}?tz=Europe/Berlin"))
    assert [r[0] for r in rows[1:]] == ["2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"]
    assert [int(r[1]) for r in rows[1:]] == [1774744200000, 1774747800000]


@pytest.mark.django_db
def test_a_hostile_customer_name_is_escaped(client):
    machine = MachineFactory(customer="=cmd|'/C calc'!A0", machine_name="@SUM(A1)", area="-x")
    ReadingFactory(bearing=BearingFactory(machine=machine, bearing_location="+DE"))
    row = table(client.get(EXPORT))[1]
    assert row[2:6] == ["'=cmd|'/C calc'!A0", "'-x", "'@SUM(A1)", "'+DE"]


@pytest.mark.django_db
def test_over_the_row_limit_is_400_with_the_count(client, settings):
    bearing = BearingFactory()
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    for i in range(12):
        status = "Alert" if i < 2 else "Normal"
        ReadingFactory(
            bearing=bearing, timestamp=start + dt.timedelta(minutes=20 * i), status=status
        )
    rollups_rebuild()
    latest_state_rebuild()
    settings.EXPORT_MAX_ROWS = 10
    response = client.get(EXPORT)
    assert response.status_code == 400
    assert "12 readings" in response.json()["errors"]["start"][0]
    assert "limit of 10" in response.json()["errors"]["start"][0]
    assert client.get("/api/data/query", HTTP_ACCEPT="text/csv").status_code == 400
    # The rollups' bound (12) is over the limit, the exact count (2) is not.
    assert len(table(client.get(f"{EXPORT}?status=Alert"))) == 1 + 2
    settings.EXPORT_MAX_ROWS = 12
    assert len(table(client.get(EXPORT))) == 1 + 12


@pytest.mark.django_db
def test_the_export_streams_window_by_window(client, monkeypatch, recorder):
    """The first chunk is sent before later windows are read: rows are never all in memory."""
    bearing = BearingFactory()
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    for i in range(30):
        ReadingFactory(bearing=bearing, timestamp=start + dt.timedelta(hours=i))
    rollups_rebuild()
    monkeypatch.setattr(exports, "WINDOW_ROWS", 5)
    monkeypatch.setattr(csv_out, "CHUNK_ROWS", 5)
    response = client.get(EXPORT)
    chunks = iter(response.streaming_content)
    next(chunks)
    readings_queries = [c for c in recorder.commands if c.get("aggregate") == "readings"]
    rest = b"".join(chunks)
    after = [c for c in recorder.commands if c.get("aggregate") == "readings"]
    assert len(readings_queries) < len(after)
    assert len(after) >= 6  # six windows of five hours
    assert rest.count(b"\r\n") == 30 - 5 + 1 - 1  # header and 5 rows were in the first chunk


@pytest.mark.django_db
def test_windows_cover_the_whole_range_without_rollups(client):
    """Rollups only size the windows: readings whose hours have none are still exported."""
    ReadingFactory(timestamp=dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC))
    assert len(table(client.get(EXPORT))) == 2
