"""The one CSV writer: headers with units, cells safe for spreadsheets, streamed in chunks.

Every CSV the API serves (``/api/export/readings.csv``, ``/api/export/trends.csv`` and
``/api/data/query`` with ``Accept: text/csv``) is written by :func:`csv_stream` from rows of
plain values, so quoting, delimiters, the optional BOM and formula escaping are decided once.
Decimals are always written with a point, also with ``;`` (what European Excel expects as the
list separator); the API docs say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

from monitoring import clock, indicators
from monitoring.mongo import path_value
from monitoring.selectors.exports import TREND_INDICATORS, ReadingExport

CSV_MEDIA_TYPE = "text/csv"
BOM = "\ufeff"
#: Rows encoded into one chunk of the response (about 100-200 KB of text).
CHUNK_ROWS = 1000
#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EPOCH = dt.datetime(1970, 1, 1)
MILLISECOND = dt.timedelta(milliseconds=1)
READING_KEYS = ("time", "epoch_ms", "customer", "area", "machine", "bearing", "status")


def unit_suffix(unit: str) -> str:
    """A unit as a column-name suffix: ``mm/s`` -> ``_mm_s``, ``°C`` -> ``_c``, ``1`` -> ``""``."""
    if unit == "1":
        return ""
    words = re.sub(r"[^a-z0-9]+", "_", unit.replace("°", "").lower()).strip("_")
    return f"_{words}" if words else ""


def column(indicator: indicators.Indicator, aggregate: str = "") -> str:
    """The column of an indicator: ``velocity_rms_mm_s`` (or ``velocity_rms_avg_mm_s``)."""
    name = indicator.rollup_field + (f"_{aggregate}" if aggregate else "")
    return name + unit_suffix(indicator.unit)


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character is escaped with ``'``."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_stream(
    header: Sequence[str], rows: Iterable[Sequence], *, delimiter: str = ",", bom: bool = False
) -> Iterator[bytes]:
    """The CSV text of a header and rows, UTF-8, in chunks of :data:`CHUNK_ROWS` rows.

    Text cells are escaped against formula injection here; numbers are written as Python
    writes them (shortest round-trip, decimal point), None as an empty cell.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow([safe_text(v) if isinstance(v, str) else v for v in row])
        pending += 1
        if pending >= CHUNK_ROWS:
            yield _take(buffer, bom)
            bom, pending = False, 0
    yield _take(buffer, bom)


def _take(buffer: io.StringIO, bom: bool) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return ((BOM if bom else "") + text).encode("utf-8")


def _time_cells(zone: zoneinfo.ZoneInfo):
    """A function: naive UTC datetime -> (ISO 8601 in the zone, epoch milliseconds)."""
    utc_zone = zone.key == "UTC"

    def cells(when: dt.datetime) -> tuple[str, int]:
        aware = when.replace(tzinfo=dt.UTC)
        local = aware if utc_zone else aware.astimezone(zone)
        return local.isoformat(), (when - EPOCH) // MILLISECOND

    return cells


def reading_header(metrics: Sequence[str]) -> list[str]:
    """The readings CSV header: keys, then each chosen indicator with its unit."""
    return [*READING_KEYS, *(column(indicators.BY_NAME[m]) for m in metrics)]


def reading_rows(
    docs: Iterable[dict], *, plan: ReadingExport, metrics: Sequence[str], tz: str
) -> Iterator[list]:
    """One row per reading document, in the columns of :func:`reading_header`."""
    times = _time_cells(zoneinfo.ZoneInfo(tz))
    parts = [indicators.BY_NAME[m].parts for m in metrics]
    machines, bearings = plan.machines, plan.bearings
    for doc in docs:
        iso, epoch = times(doc["timestamp"])
        row = [
            iso,
            epoch,
            doc.get("customer", ""),
            doc.get("area", ""),
            machines.get(doc.get("machine_id"), ""),
            bearings.get(doc.get("bearing_id"), ""),
            doc.get("status", ""),
        ]
        row += [path_value(doc, p) for p in parts]
        yield row


def trend_header(level: str) -> list[str]:
    """The trends CSV header: bucket start, keys, count, avg/min/max of each indicator."""
    keys = ["customer", "area"] if level == "area" else ["machine", "bearing"]
    aggregates = [
        column(i, a) for i in TREND_INDICATORS[level] for a in ("avg", "min", "max")
    ]  # fmt: skip
    return ["bucket_start", "epoch_ms", *keys, "count", *aggregates]


def trend_rows(
    rows: Iterable[dict], *, level: str, tz: str, names: dict | None = None
) -> Iterator[list]:
    """One CSV row per bucket of ``trend_export_rows``; ``names`` maps ids to names."""
    times = _time_cells(zoneinfo.ZoneInfo(tz))
    names = names or {}
    keys = ("customer", "area") if level == "area" else ("machine_id", "bearing_id")
    fields = [i.rollup_field for i in TREND_INDICATORS[level]]
    for row in rows:
        iso, epoch = times(row["start"].replace(tzinfo=None))
        cells = [iso, epoch, *(names.get(row[k], row[k]) for k in keys), row["count"]]
        for f in fields:
            cells += [row[f]["avg"], row[f]["min"], row[f]["max"]]
        yield cells


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "data"


def file_name(what: str, *, who: str, start, end, tz: str) -> str:
    """``readings_acme_2026-03-01_2026-03-10.csv``: what, whose, local first and last day."""
    zone = zoneinfo.ZoneInfo(tz)
    first = start.astimezone(zone).date().isoformat() if start else "first"
    last = (end or clock.now()).astimezone(zone).date().isoformat()
    return f"{what}_{_slug(who)}_{first}_{last}.csv"


def csv_response(chunks: Iterable[bytes], name: str) -> StreamingHttpResponse:
    """A streamed CSV download named ``name``."""
    response = StreamingHttpResponse(chunks, content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
