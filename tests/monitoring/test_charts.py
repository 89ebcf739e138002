"""The SVG charts read back: spectrum range, pooling and markers; the trend's baseline."""

import datetime as dt

import numpy as np
import pytest

from monitoring import charts
from monitoring.charts import spectrum_svg, trend_svg
from tests.monitoring.support import elements, hz_at, markers, parse, polyline_points, x_ticks

RESOLUTION = 1.25  # Hz: 4096 samples at 5120 Hz
LINES = 2048
MARKERS = {"1x": 25.0, "BPFO": 89.6, "3xBPFI": 407.1, "past the end": 5000.0}


def _spectrum(lines: int = LINES) -> np.ndarray:
    amps = np.full(lines, 0.001)
    amps[20] = 0.5  # 25 Hz
    amps[1000] = 2.0  # 1250 Hz: the largest line, outside a 250 Hz zoom
    return amps


def test_full_range_spans_every_line_and_draws_the_markers_inside_it():
    svg = parse(spectrum_svg(_spectrum(), RESOLUTION, markers=MARKERS))
    span = (LINES - 1) * RESOLUTION
    assert max(x_ticks(svg)) <= span < max(x_ticks(svg)) + charts._nice_step(span)
    drawn = markers(svg)
    assert set(drawn) == {"1x", "BPFO", "3xBPFI"}  # 5000 Hz is beyond the last line
    assert hz_at(drawn["3xBPFI"], span) == pytest.approx(407.1, abs=0.2)


def test_a_zoom_keeps_the_lines_up_to_f_max_and_the_markers_within_it():
    svg = parse(spectrum_svg(_spectrum(), RESOLUTION, markers=MARKERS, f_max=250.0))
    [points] = polyline_points(svg)
    assert len(points) == 201  # lines 0 .. 200 (0 .. 250 Hz), each its own column
    assert points[-1][0] == pytest.approx(charts.MARGIN_LEFT + charts.PLOT_W, abs=0.1)
    assert max(x_ticks(svg)) == 250.0
    drawn = markers(svg)
    assert set(drawn) == {"1x", "BPFO"}
    assert hz_at(drawn["BPFO"], 250.0) == pytest.approx(89.6, abs=0.05)
    # The amplitude scale is the zoom's own: its top is the 25 Hz line, not the 1250 Hz one.
    assert min(y for _, y in points) == charts.MARGIN_TOP
    assert '">0.5</text>' in spectrum_svg(_spectrum(), RESOLUTION, f_max=250.0)


def test_a_zoom_still_max_pools_a_one_line_peak():
    amps = np.full(8192, 0.001)
    amps[3001] = 1.0  # one line among ~4.4 lines per pixel column
    svg = parse(spectrum_svg(amps, 0.25, f_max=1000.0))
    [points] = polyline_points(svg)
    assert len(points) == charts.PLOT_W
    assert min(y for _, y in points) == charts.MARGIN_TOP


def test_an_f_max_past_the_last_line_is_the_full_range():
    full = spectrum_svg(_spectrum(), RESOLUTION, markers=MARKERS)
    assert spectrum_svg(_spectrum(), RESOLUTION, markers=MARKERS, f_max=1e6) == full


@pytest.mark.parametrize(
    ("amps", "resolution", "f_max"),
    [([], 1.25, None), ([1.0, 2.0], 0.0, None), ([1.0, 2.0], float("nan"), None),
     ([1.0, 2.0], 1.25, 0.0)],
)  # fmt: skip
def test_nothing_to_draw_is_a_short_text(amps, resolution, f_max):
    assert spectrum_svg(amps, resolution, f_max=f_max) == '<p class="help">Empty spectrum.</p>'


def test_the_title_is_the_charts_label_escaped():
    svg = spectrum_svg(_spectrum(), RESOLUTION, title="Envelope <zoom>")
    assert 'aria-label="Envelope &lt;zoom&gt;"' in svg


def test_neighbouring_marker_labels_step_down():
    close = {"BSF": 58.0, "FTF": 9.9, "3xFTF": 29.7, "1x": 25.0, "2xFTF": 19.8}  # unordered
    svg = parse(spectrum_svg(_spectrum(), RESOLUTION, markers=close, f_max=100.0))
    labels = [t for t in elements(svg, "text") if t.get("fill") == charts.MARKER_COLOUR]
    rows = [float(t.get("y")) for t in sorted(labels, key=lambda t: float(t.get("x")))]
    # Any MARKER_LABEL_ROWS neighbours in frequency sit on as many different rows.
    for first in range(len(rows) - charts.MARKER_LABEL_ROWS + 1):
        window = rows[first : first + charts.MARKER_LABEL_ROWS]
        assert len(set(window)) == charts.MARKER_LABEL_ROWS


def _trend(baseline=None, boundaries=None):
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    points = [(t0 + dt.timedelta(hours=i), 1.0 + i / 10) for i in range(10)]
    return parse(trend_svg({"avg": points}, boundaries=boundaries, baseline=baseline))


def test_trend_baseline_is_a_dashed_line_labelled_at_its_value():
    svg = _trend(baseline=1.2, boundaries=(1.4, 2.8, 4.5))
    [line] = [e for e in elements(svg, "line") if e.get("stroke-dasharray") == "4,3"]
    v_max = 4.5 * 1.1  # the scale shows a tenth of the zone above the last boundary
    expected = charts.MARGIN_TOP + charts.PLOT_H * (1 - 1.2 / v_max)
    assert float(line.get("y1")) == float(line.get("y2")) == pytest.approx(expected, abs=0.05)
    [label] = [t for t in elements(svg, "text") if t.text == "baseline"]
    assert float(label.get("y")) == pytest.approx(expected - 3, abs=0.05)
    plain = _trend()
    assert not [e for e in elements(plain, "line") if e.get("stroke-dasharray")]
    assert "baseline" not in "".join(plain.itertext())
