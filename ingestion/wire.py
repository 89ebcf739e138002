"""The vendor's waveform wire format (docs/vendor-api.md): base64 int16 counts or float32.

Numpy and the standard library only. It sits beside the vendor client rather than in it
because the client stays httpx-only (it hands waveforms over still encoded), and the
simulator, which must not load the client, encodes with the same code the ingestion decodes
with.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping

import numpy as np

#: Waveform encodings of the vendor wire format mapped to numpy dtypes.
WAVEFORM_ENCODINGS: Mapping[str, np.dtype] = {
    "int16": np.dtype("<i2"),
    "float32": np.dtype("<f4"),
}

_INT16_FULL_SCALE = 32767


def encode_waveform(
    samples_g: np.ndarray, *, encoding: str = "int16", scale: float | None = None
) -> tuple[str, float | None]:
    """Encode a waveform in g for the wire; return (base64 data, scale in g per count or None).

    int16 uses a per-record scale (full scale = max |x| unless given) so quantisation noise
    stays ~90 dB below the largest sample; float32 is lossless for sensor data and carries
    NaN, which the simulator uses for broken records.
    """
    x = np.asarray(samples_g, dtype=np.float64).ravel()
    if encoding == "float32":
        return base64.b64encode(x.astype("<f4").tobytes()).decode("ascii"), scale
    if encoding != "int16":
        raise ValueError(f"unsupported waveform encoding {encoding!r}")
    if x.size and not np.isfinite(x).all():
        raise ValueError("int16 encoding cannot carry NaN or infinite samples; use float32")
    if scale is None:
        peak = float(np.abs(x).max()) if x.size else 0.0
        scale = peak / _INT16_FULL_SCALE if peak > 0.0 else 1.0 / _INT16_FULL_SCALE
    if not scale > 0.0:
        raise ValueError(f"int16 scale must be positive, got {scale!r}")
    counts = np.clip(np.rint(x / scale), -_INT16_FULL_SCALE, _INT16_FULL_SCALE).astype("<i2")
    return base64.b64encode(counts.tobytes()).decode("ascii"), float(scale)


def decode_waveform(
    data_b64: str,
    *,
    encoding: str,
    scale: float | None,
    n_samples: int | None = None,
) -> np.ndarray:
    """Decode a vendor waveform (base64 int16 x scale, or float32) into float64 samples in g."""
    return waveform_samples(
        waveform_bytes(data_b64), encoding=encoding, scale=scale, n_samples=n_samples
    )


def waveform_bytes(data_b64: str) -> bytes:
    """The sample bytes of a vendor waveform's base64 data (ValueError if not base64)."""
    try:
        return base64.b64decode(data_b64, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ValueError(f"waveform data is not valid base64: {exc}") from None


def waveform_samples(
    raw: bytes, *, encoding: str, scale: float | None, n_samples: int | None = None
) -> np.ndarray:
    """Float64 samples in g of a vendor waveform's sample bytes (int16 x scale, or float32)."""
    dtype = WAVEFORM_ENCODINGS.get(encoding)
    if dtype is None:
        expected = ", ".join(sorted(WAVEFORM_ENCODINGS))
        raise ValueError(f"unsupported waveform encoding {encoding!r}; expected one of {expected}")
    if len(raw) % dtype.itemsize:
        raise ValueError(
            f"{encoding} waveform payload of {len(raw)} bytes is not a multiple of {dtype.itemsize}"
        )
    samples = np.frombuffer(raw, dtype=dtype).astype(np.float64)
    if n_samples is not None and samples.size != n_samples:
        raise ValueError(f"waveform declares {n_samples} samples but carries {samples.size}")
    if encoding == "int16":
        if scale is None or not (math.isfinite(scale) and scale > 0.0):
            raise ValueError(f"int16 waveform needs a positive scale, got {scale!r}")
        samples *= scale
    elif scale is not None:
        # float32 payloads are already in g; a scale, if sent, is an extra multiplier.
        if not (math.isfinite(scale) and scale > 0.0):
            raise ValueError(f"waveform scale must be positive, got {scale!r}")
        samples *= scale
    return samples
