"""The vendor wire codec (ingestion.wire): int16 and float32 waveforms."""

from __future__ import annotations

import numpy as np
import pytest

from ingestion.wire import decode_waveform, encode_waveform
from monitoring.vibration.measurement import compute_measurement
from tests.monitoring.vibration.support import FS, N, sine


def test_int16_waveform_round_trip_within_quantisation() -> None:
    x = sine(1.3, 160.0) + np.random.default_rng(0).normal(0.0, 0.05, N)
    data, scale = encode_waveform(x, encoding="int16")
    assert scale == pytest.approx(np.abs(x).max() / 32767)
    back = decode_waveform(data, encoding="int16", scale=scale, n_samples=N)
    assert np.abs(back - x).max() <= scale / 2 + 1e-12
    assert len(data) < 4 * N / 3 * 2 + 4  # 2 bytes per sample, base64


def test_float32_waveform_round_trip_and_nan() -> None:
    x = sine(0.5, 100.0)
    x[10] = np.nan
    data, scale = encode_waveform(x, encoding="float32")
    assert scale is None
    back = decode_waveform(data, encoding="float32", scale=None)
    np.testing.assert_array_equal(np.isnan(back), np.isnan(x))
    with pytest.raises(ValueError, match="NaN"):
        compute_measurement(back, FS, group=2, foundation="rigid")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_b64": "AAAA", "encoding": "int8", "scale": 1.0}, "unsupported"),
        ({"data_b64": "not base64!", "encoding": "int16", "scale": 1.0}, "base64"),
        ({"data_b64": "AAAA", "encoding": "int16", "scale": 1.0}, "multiple of 2"),
        ({"data_b64": "AAAAAA==", "encoding": "int16", "scale": None}, "scale"),
        ({"data_b64": "AAAAAA==", "encoding": "int16", "scale": 1.0, "n_samples": 5}, "declares"),
    ],
)
def test_decode_waveform_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_waveform(**kwargs)


def test_empty_waveform_decodes_then_fails_analysis() -> None:
    empty = decode_waveform("", encoding="int16", scale=1e-4, n_samples=0)
    with pytest.raises(ValueError, match="empty"):
        compute_measurement(empty, FS, group=2, foundation="rigid")
