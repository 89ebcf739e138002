"""The printable machine report: one HTML page from a template, charts inline (no assets)."""

from __future__ import annotations

from django.template.loader import render_to_string

from monitoring import indicators
from monitoring.admin import STATUS_COLOURS
from monitoring.charts import trend_svg
from monitoring.mongo import path_value, utc


def _latest(reading: dict | None) -> list[dict]:
    """The reading's indicators as label, value and unit rows (value None when missing)."""
    return [
        {
            "label": i.label,
            "value": None if reading is None else path_value(reading, i.parts),
            "unit": "" if i.unit == "1" else i.unit,
        }
        for i in indicators.INDICATORS
    ]


def _zone(status: str | None) -> dict:
    colour = STATUS_COLOURS.get(status, "#777")
    return {"name": status or "no data", "colour": colour, "dark_text": status == "Satisfactory"}


def report_html(report: dict) -> str:
    """The report page of ``machine_report_get``'s answer."""
    bearings = []
    for row in report["bearings"]:
        bearing, reading = row["bearing"], row["reading"]
        chart = trend_svg(
            {"daily avg": row["trend"]["avg"], "daily max": row["trend"]["max"]},
            unit="velocity RMS (mm/s)",
            boundaries=report["boundaries"],
            width=680,
            height=200,
            title=f"Velocity RMS, {bearing.get('bearing_location', '')}",
        )
        bearings.append(
            {
                "bearing": bearing,
                "zone": _zone(bearing.get("status")),
                "reading_at": utc(reading["timestamp"]) if reading else None,
                "latest": _latest(reading),
                "chart": chart,
            }
        )
    context = {
        **report,
        "machine_zone": _zone(report["machine"].get("status")),
        "bearing_rows": bearings,
        "zone_legend": [_zone(status) for status in STATUS_COLOURS],
    }
    return render_to_string("monitoring/report.html", context)
