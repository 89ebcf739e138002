"""Reading the server-side SVG charts back: elements, points, ticks and markers by position."""

import re
import xml.etree.ElementTree as ET

from monitoring import charts

SVG = "{http://www.w3.org/2000/svg}"
#: The y of the frequency tick labels of a spectrum chart.
TICK_LABEL_Y = charts.MARGIN_TOP + charts.PLOT_H + 16


def svgs(html: str) -> dict[str, ET.Element]:
    """Every chart of a page (inline SVG), parsed, by its aria-label."""
    # The charts only (role="img"): the admin's own icons are SVG too.
    pattern = r'<svg\b[^>]*role="img".*?</svg>'
    found = [ET.fromstring(m) for m in re.findall(pattern, html, flags=re.DOTALL)]
    return {svg.get("aria-label"): svg for svg in found}


def parse(svg: str) -> ET.Element:
    """One SVG chart, parsed."""
    return ET.fromstring(svg)


def elements(svg: ET.Element, tag: str) -> list[ET.Element]:
    """The chart's elements of one tag (``rect``, ``line``, ``text``, ``polyline``)."""
    return list(svg.iter(SVG + tag))


def polyline_points(svg: ET.Element) -> list[list[tuple[float, float]]]:
    """The (x, y) points of each polyline, in drawing order."""
    out = []
    for line in elements(svg, "polyline"):
        pairs = (p.split(",") for p in line.get("points").split())
        out.append([(float(x), float(y)) for x, y in pairs])
    return out


def x_ticks(svg: ET.Element) -> list[float]:
    """The frequency tick labels of a spectrum chart, as numbers."""
    return [float(t.text) for t in elements(svg, "text") if float(t.get("y")) == TICK_LABEL_Y]


def markers(svg: ET.Element) -> dict[str, float]:
    """Marker label -> the x pixel of its dashed line."""
    lines = [e for e in elements(svg, "line") if e.get("stroke") == charts.MARKER_COLOUR]
    labels = [e for e in elements(svg, "text") if e.get("fill") == charts.MARKER_COLOUR]
    assert len(lines) == len(labels)
    return {t.text: float(line.get("x1")) for line, t in zip(lines, labels, strict=True)}


def hz_at(x: float, span_hz: float) -> float:
    """The frequency at pixel x of a spectrum chart spanning 0 to ``span_hz``."""
    return (x - charts.MARGIN_LEFT) / charts.PLOT_W * span_hz
