"""Server-rendered SVG charts for the admin (no JavaScript, no CDN: plant networks are offline)."""

import itertools
from html import escape
from operator import itemgetter

import numpy as np

WIDTH, HEIGHT = 760, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 60, 15, 15, 40


def _nice_step(span: float, ticks: int = 6) -> float:
    """A 1/2/5 x 10^n step that splits ``span`` into about ``ticks`` intervals."""
    raw = span / ticks if span > 0 else 1.0
    magnitude = 10 ** np.floor(np.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


PLOT_W = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PLOT_H = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
MARKER_COLOUR = "#d9534f"
MARKER_LABEL_ROWS = 4


def _hz_x(freq: float, span: float) -> float:
    """The x pixel of a frequency on a spectrum chart spanning 0 to ``span`` Hz."""
    return MARGIN_LEFT + freq / span * PLOT_W


def _spectrum_axes(span: float, a_max: float, unit: str) -> list[str]:
    """The plot frame, the frequency ticks, three amplitude labels and the axis titles."""
    bottom = MARGIN_TOP + PLOT_H
    parts = [
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{PLOT_W}" height="{PLOT_H}" '
        'fill="none" stroke="#999"/>'
    ]
    step = _nice_step(span)
    for index in range(int(span / step + 1e-9) + 1):
        tick = index * step  # not a running sum: no drift past the last tick
        x = _hz_x(tick, span)
        parts.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#666"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g}</text>'
        )
    for fraction in (0.0, 0.5, 1.0):
        y = bottom - fraction * PLOT_H
        parts.append(
            f'<text x="{MARGIN_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{fraction * a_max:.3g}</text>"
        )
    middle = MARGIN_TOP + PLOT_H / 2
    parts.append(
        f'<text x="{MARGIN_LEFT + PLOT_W / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
        "Frequency (Hz)</text>"
        f'<text x="14" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle})">Amplitude ({escape(unit)})</text>'
    )
    return parts


def _spectrum_markers(markers: dict[str, float], span: float) -> list[str]:
    """A dashed vertical line and a label per marker inside (0, span] Hz; others are left out.

    Labels step down over :data:`MARKER_LABEL_ROWS` rows, in frequency order, so neighbouring
    markers stay legible.
    """
    inside = sorted(
        ((f, label) for label, f in markers.items() if 0 < f <= span), key=itemgetter(0)
    )
    parts = []
    for index, (freq, label) in enumerate(inside):
        x = _hz_x(freq, span)
        y = MARGIN_TOP + 10 + 11 * (index % MARKER_LABEL_ROWS)
        parts.append(
            f'<line x1="{x:.1f}" y1="{MARGIN_TOP}" x2="{x:.1f}" y2="{MARGIN_TOP + PLOT_H}" '
            f'stroke="{MARKER_COLOUR}" stroke-dasharray="3,3"/>'
            f'<text x="{x + 2:.1f}" y="{y}" fill="{MARKER_COLOUR}">{escape(label)}</text>'
        )
    return parts


def _spectrum_line(amplitudes: np.ndarray, resolution_hz: float, span: float, a_max: float) -> str:
    """The spectrum as a polyline, max-pooled to one value per pixel column at most."""
    n = len(amplitudes)
    # Max-pool so narrow peaks survive the downsampling.
    columns = min(PLOT_W, n)
    edges = np.linspace(0, n, columns + 1).astype(int)
    pooled = np.maximum.reduceat(amplitudes, edges[:-1])
    xs = _hz_x(edges[:-1] * resolution_hz, span)
    ys = MARGIN_TOP + PLOT_H - (pooled / a_max) * PLOT_H
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f'<polyline fill="none" stroke="#1f6feb" stroke-width="1" points="{points}"/>'


def spectrum_svg(
    amplitudes: np.ndarray,
    resolution_hz: float,
    *,
    unit: str = "g",
    markers: dict[str, float] | None = None,
    f_max: float | None = None,
    title: str = "Amplitude spectrum",
) -> str:
    """An inline SVG chart of a spectrum from 0 Hz to ``f_max`` (default: every line), marked."""
    amplitudes = np.asarray(amplitudes, dtype=np.float64)
    if amplitudes.size == 0 or not resolution_hz > 0 or (f_max is not None and not f_max > 0):
        return '<p class="help">Empty spectrum.</p>'
    span = (amplitudes.size - 1) * resolution_hz or resolution_hz
    if f_max is not None and f_max < span:
        # The lines up to f_max (a zoom); the x axis ends at f_max itself.
        span = float(f_max)
        amplitudes = amplitudes[: int(span / resolution_hz + 1e-9) + 1]
    a_max = float(amplitudes.max()) or 1.0
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
            'style="background:#fff;border:1px solid #ccc;font:11px sans-serif">',
            *_spectrum_axes(span, a_max, unit),
            *_spectrum_markers(markers or {}, span),
            _spectrum_line(amplitudes, resolution_hz, span, a_max),
            "</svg>",
        ]
    )


#: Zone fills (A, B, C, D) below, between and above the boundaries: the ISO zone colours of
#: the admin's status badges, pale so the lines stay readable (also in black-and-white print).
ZONE_FILLS = ("#e8f5e9", "#f4f9e4", "#fff3e0", "#ffebee")
SERIES_COLOURS = ("#1f6feb", "#c62828", "#6a737d", "#2e7d32")


def _baseline_line(y: float, plot_w: float) -> str:
    """A dashed reference line across the plot at pixel ``y``, labelled "baseline"."""
    return (
        f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{MARGIN_LEFT + plot_w}" y2="{y:.1f}" '
        'stroke="#333" stroke-dasharray="4,3"/>'
        f'<text x="{MARGIN_LEFT + plot_w - 4}" y="{y - 3:.1f}" text-anchor="end" fill="#333">'
        "baseline</text>"
    )


def trend_svg(
    series: dict[str, list[tuple]],
    *,
    unit: str = "mm/s",
    boundaries: tuple[float, ...] | None = None,
    baseline: float | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    title: str = "Trend",
) -> str:
    """An inline SVG line chart of time series (label -> [(datetime, value)]).

    ``boundaries`` (ascending, e.g. the ISO zone limits) shade the zones between them with
    :data:`ZONE_FILLS`; ``baseline`` draws a dashed reference line. Gaps (no point) are gaps.
    """
    points = [(t, v) for values in series.values() for t, v in values if v is not None]
    if not points:
        return '<p class="help">No data in this period.</p>'
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    t0 = min(t for t, _ in points)
    t_span = (max(t for t, _ in points) - t0).total_seconds() or 1.0
    # The scale shows every zone boundary (and a bit of the zone above the last one).
    limits = [b * 1.1 for b in boundaries or ()] + [baseline or 0.0]
    v_max = max([v for _, v in points] + limits) or 1.0

    def x(t) -> float:
        return MARGIN_LEFT + (t - t0).total_seconds() / t_span * plot_w

    def y(v: float) -> float:
        return MARGIN_TOP + plot_h - min(v, v_max) / v_max * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'style="background:#fff;font:11px sans-serif">'
    ]
    edges = [0.0, *(boundaries or ()), v_max]
    for index, (low, high) in enumerate(itertools.pairwise(edges)):
        if boundaries and low < v_max:
            fill = ZONE_FILLS[min(index, len(ZONE_FILLS) - 1)]
            parts.append(
                f'<rect x="{MARGIN_LEFT}" y="{y(high):.1f}" width="{plot_w}" '
                f'height="{y(low) - y(high):.1f}" fill="{fill}"/>'
            )
    parts.append(
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#999"/>'
    )
    step = _nice_step(v_max, 4)
    tick = 0.0
    while tick <= v_max + 1e-9:
        parts.append(
            f'<text x="{MARGIN_LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
        tick += step
    first, last = t0, max(t for t, _ in points)
    for t, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f'<text x="{x(t):.1f}" y="{MARGIN_TOP + plot_h + 16}" text-anchor="{anchor}">'
            f"{t:%Y-%m-%d}</text>"
        )
    parts.append(
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2})">{escape(unit)}</text>'
    )
    if baseline is not None:
        parts.append(_baseline_line(y(baseline), plot_w))
    for index, (label, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in values if v is not None)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>'
            f'<text x="{MARGIN_LEFT + 6 + 110 * index}" y="{MARGIN_TOP + 12}" fill="{colour}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
