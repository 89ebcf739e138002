"""/api/machines/{id}/report: the printable HTML report, and charts.trend_svg."""

import datetime as dt
import re

from monitoring.charts import ZONE_FILLS, trend_svg
from tests.factories import fleet_fixtures
from tests.monitoring.conftest import TokenClient

fleet, fleet_db = fleet_fixtures()


def test_report_of_a_machine(fleet_db, client):
    response = client.get(f"/api/machines/{fleet_db.m1.pk}/report")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "<title>Machine report: Boiler Feed Pump</title>" in html
    assert "Motor DE" in html and "Pump NDE" in html and "6310" in html
    assert "No open alarms." in html
    assert "@media print" in html
    # Two bearings, one chart each, shaded with the machine's zone limits (group 2 rigid).
    assert html.count("<svg") == 2
    assert "limits 1.4 / 2.8 / 4.5 mm/s" in html
    assert ZONE_FILLS[0] in html
    # Motor DE's last reading is Satisfactory: its ISO zone colour.
    assert "#9acd32" in html
    assert "2026-03-10 12:10" in html
    # No external asset: the only URL is the SVG namespace.
    assert set(re.findall(r"https?://[^\"' ]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert "<script" not in html and "<link" not in html


def test_report_is_customer_scoped(fleet_db):
    acme = TokenClient("acme-report", is_staff=False, customers=["Acme"])
    assert acme.get(f"/api/machines/{fleet_db.m1.pk}/report").status_code == 200
    for url in (f"/api/machines/{fleet_db.m4.pk}/report", "/api/machines/nope/report"):
        response = acme.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 404
        assert response.json()["detail"] == "No machine with this id."
    assert acme.get(f"/api/machines/{fleet_db.m1.pk}/report?x=1").status_code == 400


def test_open_alarms_are_listed_with_their_evidence_and_scoped(fleet_db, client):
    from monitoring.alarms.lifecycle import alarm_act
    from monitoring.alarms.models import Alarm
    from monitoring.alarms.services import alarms_evaluate
    from monitoring.mongo import collection
    from tests.monitoring.alarms.support import series

    bearing = fleet_db.m1.bearings.get(bearing_location="Motor DE")
    alarms_evaluate(readings=series(bearing, [1.0] * 10 + [5.0], store=True))
    other = fleet_db.m4.bearings.first()  # another customer's machine
    alarms_evaluate(readings=series(other, [1.0] * 10 + [9.0], store=True))
    html = client.get(f"/api/machines/{fleet_db.m1.pk}/report").content.decode()
    assert "No open alarms." not in html
    assert "danger" in html and "Motor DE" in html
    assert "zone velocity.rms 5 mm/s &gt; 4.5 mm/s" in html  # group 2 rigid: D above 4.5
    assert "9 mm/s" not in html
    closed = collection(Alarm).find({"machine_id": fleet_db.m1.pk})
    for alarm in closed:
        alarm_act(alarm_id=alarm["_id"], action="close", actor="t",
                  expected_version=alarm["version"], resolution="repaired")  # fmt: skip
    html = client.get(f"/api/machines/{fleet_db.m1.pk}/report").content.decode()
    assert "No open alarms." in html


def test_trend_svg_shades_zones_and_draws_a_baseline():
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    points = [(t0 + dt.timedelta(days=i), 1.0 + i / 10) for i in range(10)]
    svg = trend_svg({"avg": points}, boundaries=(1.4, 2.8, 4.5), baseline=1.2)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert all(fill in svg for fill in ZONE_FILLS)
    assert 'stroke-dasharray="4,3"' in svg
    assert svg.count("<polyline") == 1
    plain = trend_svg({"avg": points})
    assert not any(fill in plain for fill in ZONE_FILLS) and "stroke-dasharray" not in plain
    assert "No data" in trend_svg({"avg": [], "max": []})
