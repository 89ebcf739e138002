"""The admin's pictures: a reading's spectrum and envelope spectrum, each full and 0-10x
shaft, and a machine's 30-day velocity trend per bearing over its ISO zones.

One renderer per picture, shared by every page that shows it (a reading's spectrum is on the
reading page and on the page of an alarm it triggered). Data that is missing, or bearing
geometry the kinematics reject, gives a short text or fewer markers, never an error.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from monitoring.charts import spectrum_svg, trend_svg
from monitoring.scope import Scope
from monitoring.selectors import reports, spectra
from monitoring.vibration.markers import SpectrumMarkers

#: The zoom shows 0 Hz to this many times the bearing's shaft speed.
ZOOM_ORDERS = 10
ROW = '<div style="display:flex;flex-wrap:wrap;gap:8px">{}{}</div>'
FIGURE = '<figure style="margin:0 0 12px"><figcaption><strong>{}</strong></figcaption>{}</figure>'


def _full_and_zoom(amplitudes, resolution_hz, *, shaft_hz, title: str, **chart) -> SafeString:
    """The chart over every line, and beside it the 0-10x shaft zoom (text if shaft unknown)."""
    full = spectrum_svg(amplitudes, resolution_hz, title=title, **chart)
    if shaft_hz is None:
        zoom = format_html('<p class="help">{}</p>', "Shaft speed unknown: no 0-10x zoom.")
    else:
        zoom = spectrum_svg(
            amplitudes, resolution_hz, title=f"{title}, 0-{ZOOM_ORDERS}x shaft",
            f_max=ZOOM_ORDERS * shaft_hz, **chart,
        )  # fmt: skip
    return format_html(ROW, mark_safe(full), mark_safe(zoom))


def reading_spectrum_html(reading_id) -> str:
    """A reading's spectrum (the /fft answer) with the 1x and fault markers, full and zoomed."""
    fft = spectra.fft_get(scope=Scope.everything(), reading_id=reading_id)
    if fft is None:
        return "no spectrum or waveform stored"
    # The /fft endpoint's markers, at the bearing's own shaft speed; staff-entered geometry
    # the kinematics reject leaves the 1x marker alone rather than failing the chart.
    markers = SpectrumMarkers(fft["running_speed_hz"], fft["fault_frequencies"]).labelled()
    charts = _full_and_zoom(
        fft["amplitudes"], fft["resolution_hz"], shaft_hz=fft["running_speed_hz"],
        title="Amplitude spectrum", unit=fft["amplitude_unit"], markers=markers,
    )  # fmt: skip
    caption = format_html(
        "<p>{} lines, {} Hz resolution, {} Hz sample rate, {} window</p>",
        fft["n_lines"], round(fft["resolution_hz"], 4), fft["sample_rate_hz"], fft["window"],
    )  # fmt: skip
    return format_html("{}{}", charts, caption)


def envelope_markers(markers: list[dict]) -> dict[str, float]:
    """Label -> Hz of each defect's harmonics as /envelope lists them ("BPFO", "2xBPFO", ...)."""
    out = {}
    for marker in markers:
        for harmonic in marker["harmonics"]:
            order = harmonic["order"]
            label = marker["name"] if order == 1 else f"{order}x{marker['name']}"
            out[label] = order * marker["frequency_hz"]
    return out


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.1f}"


def reading_envelope_html(reading_id) -> str:
    """A reading's envelope spectrum (the /envelope answer) with defect markers, full and zoomed."""
    env = spectra.envelope_get(scope=Scope.everything(), reading_id=reading_id)
    if env is None:
        return "no waveform stored: no envelope spectrum"
    charts = _full_and_zoom(
        env["amplitudes"], env["resolution_hz"], shaft_hz=env["shaft_hz"],
        title="Envelope spectrum", unit=env["amplitude_unit"],
        markers=envelope_markers(env["markers"]),
    )  # fmt: skip
    scores = format_html_join(
        ", ", "{} {}", ((m["name"], _score(m["score"])) for m in env["markers"])
    )
    caption = format_html(
        "<p>band {}-{} Hz, RMS {} gE, peak {} gE; match scores: {}</p>",
        *(round(v) for v in env["band_hz"]), round(env["rms"], 4), round(env["peak"], 4),
        scores or "no bearing geometry",
    )  # fmt: skip
    return format_html("{}{}", charts, caption)


def _trend_chart(bearing: dict, boundaries) -> SafeString:
    """One bearing's trend, titled with its location (a text when it has no rollups)."""
    location = bearing["bearing_location"]
    svg = trend_svg(
        {"hourly mean": bearing["points"]}, unit="velocity RMS (mm/s)", boundaries=boundaries,
        baseline=bearing["baseline"], title=f"Velocity RMS, {location}",
    )  # fmt: skip
    return format_html(FIGURE, location, mark_safe(svg))


def _zones_note(boundaries) -> str:
    if boundaries is None:
        return "no ISO zones: the machine's group or foundation is unknown"
    return "ISO zones A-D shaded, limits {} / {} / {} mm/s".format(*boundaries)


def machine_trend_html(machine_id) -> str:
    """Per bearing, hourly mean velocity RMS of the last 30 days with zones and baseline."""
    trend = reports.velocity_trend_get(scope=Scope.everything(), machine_id=machine_id)
    if trend is None or not trend["bearings"]:
        return "no bearings"
    charts = format_html_join(
        "", "{}", ((_trend_chart(b, trend["boundaries"]),) for b in trend["bearings"])
    )
    caption = format_html(
        "<p>From the hourly rollups, {} to {} UTC; {}; dashed: the bearing's baseline.</p>",
        f"{trend['start']:%Y-%m-%d %H:%M}", f"{trend['end']:%Y-%m-%d %H:%M}",
        _zones_note(trend["boundaries"]),
    )  # fmt: skip
    return format_html("{}{}", charts, caption)
