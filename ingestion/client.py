"""Client for the vendor condition-monitoring API (contract: docs/vendor-api.md).

The only module that talks to the vendor. httpx and the standard library only: no Django, no
models, no numpy. It returns plain frozen dataclasses; waveforms stay base64 so the caller
decodes them with `ingestion.wire.decode_waveform` (keeping this module numpy-free).

Resilience: one pooled `httpx.Client`, explicit connect/read timeouts, bounded retries with
exponential backoff and full jitter on timeouts, connection errors, 5xx and 429 (Retry-After
honoured, capped), and a bounded worker pool for per-machine measurement downloads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import math
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
#: Encodings the contract allows for waveforms (decoded by ingestion.wire).
WAVEFORM_ENCODINGS = frozenset({"int16", "float32"})
#: A read timeout long enough for a 200-record page on a slow link, a short connect timeout so
#: a dead host fails fast.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
#: Largest page the vendor allows; fewer round trips per machine-day.
DEFAULT_PAGE_SIZE = 100

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class VendorError(Exception):
    """Any failure talking to the vendor API."""


class VendorAuthError(VendorError):
    """The API key was rejected (401/403); retrying cannot help."""


class VendorNotFound(VendorError):
    """The requested resource (e.g. a machine id) does not exist at the vendor."""


class VendorRequestError(VendorError):
    """The vendor rejected the request (4xx other than 401/403/404/429) or sent invalid JSON."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        """Keep status and the vendor's error code for the run log."""
        super().__init__(message)
        self.status = status
        self.code = code


class VendorUnavailable(VendorError):
    """Every attempt failed with a transient error (timeout, connection, 5xx, 429)."""

    def __init__(self, method: str, url: str, attempts: int, last_cause: str) -> None:
        """Name the URL, the number of attempts and the last cause in the message."""
        super().__init__(
            f"{method} {url} failed after {attempts} attempt(s); last cause: {last_cause}"
        )
        self.url = url
        self.attempts = attempts
        self.last_cause = last_cause


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bearing:
    """A bearing as the vendor describes it (vendor ids become external ids here)."""

    external_id: str
    machine_external_id: str
    location: str
    position: str
    bearing_type: str
    shaft_speed_rpm: float | None
    rolling_elements: int
    ball_diameter_mm: float
    pitch_diameter_mm: float
    contact_angle_deg: float
    #: "horizontal", "vertical", "axial" or None (optional in the contract).
    measurement_direction: str | None = None


@dataclass(frozen=True)
class Machine:
    """A machine with its bearings."""

    external_id: str
    name: str
    customer: str
    area: str
    subarea: str
    machine_type: str
    running_speed_rpm: float
    iso_group: int
    foundation: str
    rated_power_kw: float | None
    bearings: tuple[Bearing, ...]


@dataclass(frozen=True)
class Waveform:
    """An encoded acceleration waveform in g; decode with ingestion.wire.decode_waveform."""

    sample_rate_hz: float
    n_samples: int
    encoding: str
    scale: float | None
    data_b64: str


@dataclass(frozen=True)
class Measurement:
    """One measurement record, structurally valid (signal checks happen when decoding)."""

    measurement_id: str
    machine_external_id: str
    bearing_external_id: str
    timestamp: dt.datetime
    temperature_c: float | None
    waveform: Waveform


@dataclass(frozen=True)
class RejectedRecord:
    """A record the client could not parse; the run records it and moves on."""

    reason: str
    measurement_id: str | None
    machine_external_id: str | None
    bearing_external_id: str | None


@dataclass(frozen=True)
class MeasurementPage:
    """One page of one machine's measurements for a day."""

    machine_external_id: str
    date: dt.date
    page_number: int
    measurements: tuple[Measurement, ...]
    rejected: tuple[RejectedRecord, ...]


@dataclass(frozen=True)
class FetchFailure:
    """A machine-day that could not be fetched (yielded in place of its remaining pages)."""

    machine_external_id: str
    date: dt.date
    error: VendorError


@dataclass
class ClientStats:
    """Thread-safe request/retry counters; read `snapshot()` for the ingestion-run record."""

    requests: int = 0
    retries: int = 0
    retry_causes: Counter[str] = field(default_factory=Counter)
    backoff_seconds: float = 0.0
    pages: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **changes: float) -> None:
        """Increment numeric counters atomically."""
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, getattr(self, name) + value)

    def retry(self, cause: str, delay: float) -> None:
        """Record one retry, its cause class and the time waited before it."""
        with self._lock:
            self.retries += 1
            self.retry_causes[cause] += 1
            self.backoff_seconds += delay

    def snapshot(self) -> dict[str, Any]:
        """Plain-dict copy of the counters."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "retry_causes": dict(self.retry_causes),
                "backoff_seconds": self.backoff_seconds,
                "pages": self.pages,
            }


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


class _RecordError(ValueError):
    """A record violates the contract; becomes a RejectedRecord."""


def _require(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """obj[key] checked for presence and type, else a _RecordError naming the field."""
    if not isinstance(obj, dict) or key not in obj or obj[key] is None:
        raise _RecordError(f"missing field {key!r} in {where}")
    value = obj[key]
    # bool is an int subclass; a vendor sending true for a count is a contract violation.
    if isinstance(value, bool) or not isinstance(value, kind):
        raise _RecordError(f"field {key!r} in {where} has type {type(value).__name__}")
    return value


def _parse_bearing(raw: Any, machine_id: str | None = None) -> Bearing:
    """Wire bearing -> Bearing."""
    geometry = _require(raw, "geometry", dict, "bearing")
    num = (int, float)
    shaft = raw.get("shaft_speed_rpm")
    return Bearing(
        external_id=_require(raw, "id", str, "bearing"),
        machine_external_id=raw.get("machine_id") or machine_id or "",
        location=_require(raw, "location", str, "bearing"),
        position=_require(raw, "position", str, "bearing"),
        bearing_type=_require(raw, "type", str, "bearing"),
        shaft_speed_rpm=float(shaft) if isinstance(shaft, num) else None,
        rolling_elements=_require(geometry, "rolling_elements", int, "bearing geometry"),
        ball_diameter_mm=float(_require(geometry, "ball_diameter_mm", num, "bearing geometry")),
        pitch_diameter_mm=float(_require(geometry, "pitch_diameter_mm", num, "bearing geometry")),
        contact_angle_deg=float(geometry.get("contact_angle_deg") or 0.0),
        measurement_direction=_str_or_none(raw.get("measurement_direction")),
    )


def _parse_machine(raw: Any) -> Machine:
    """Wire machine (bearings embedded) -> Machine."""
    machine_id = _require(raw, "id", str, "machine")
    power = raw.get("rated_power_kw")
    return Machine(
        external_id=machine_id,
        name=_require(raw, "name", str, "machine"),
        customer=_require(raw, "customer", str, "machine"),
        area=_require(raw, "area", str, "machine"),
        subarea=_require(raw, "subarea", str, "machine"),
        machine_type=_require(raw, "machine_type", str, "machine"),
        running_speed_rpm=float(_require(raw, "running_speed_rpm", (int, float), "machine")),
        iso_group=_require(raw, "iso_group", int, "machine"),
        foundation=_require(raw, "foundation", str, "machine"),
        rated_power_kw=float(power) if isinstance(power, (int, float)) else None,
        bearings=tuple(_parse_bearing(b, machine_id) for b in raw.get("bearings") or ()),
    )


def _parse_timestamp(value: str) -> dt.datetime:
    """ISO 8601 with an explicit offset -> aware UTC datetime."""
    try:
        ts = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _RecordError(f"timestamp {value!r} is not ISO 8601") from None
    if ts.tzinfo is None:
        # A naive time is ambiguous; the contract requires UTC with Z or +00:00.
        raise _RecordError(f"timestamp {value!r} has no UTC offset")
    return ts.astimezone(dt.UTC)


def _parse_measurement(raw: Any) -> Measurement:
    """Wire measurement -> Measurement, or _RecordError for a contract violation."""
    wf = _require(raw, "waveform", dict, "measurement")
    encoding = _require(wf, "encoding", str, "waveform")
    if encoding not in WAVEFORM_ENCODINGS:
        raise _RecordError(f"unsupported waveform encoding {encoding!r}")
    scale = wf.get("scale")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
        raise _RecordError("waveform scale is not a number")
    temperature = raw.get("temperature_c")
    if temperature is not None and (
        isinstance(temperature, bool) or not isinstance(temperature, (int, float))
    ):
        raise _RecordError("temperature_c is not a number")
    return Measurement(
        measurement_id=_require(raw, "measurement_id", str, "measurement"),
        machine_external_id=_require(raw, "machine_id", str, "measurement"),
        bearing_external_id=_require(raw, "bearing_id", str, "measurement"),
        timestamp=_parse_timestamp(_require(raw, "timestamp", str, "measurement")),
        temperature_c=None if temperature is None else float(temperature),
        waveform=Waveform(
            sample_rate_hz=float(_require(wf, "sample_rate_hz", (int, float), "waveform")),
            n_samples=_require(wf, "n_samples", int, "waveform"),
            encoding=encoding,
            scale=None if scale is None else float(scale),
            data_b64=_require(wf, "data", str, "waveform"),
        ),
    )


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _error_detail(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) from the contract's JSON error body, tolerating anything else."""
    try:
        err = response.json().get("error") or {}
        return err.get("code"), err.get("message") or response.reason_phrase
    except (ValueError, AttributeError):
        return None, response.reason_phrase or f"HTTP {response.status_code}"


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------


class VendorClient:
    """Vendor API client; thread-safe, use as a context manager or call close()."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_concurrency: int = 4,
        page_size: int = DEFAULT_PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """Configure retries and the pool; `sleep` and `rng` are injectable for tests."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if backoff_base < 0 or backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must not be negative")
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_concurrency = max_concurrency
        self.page_size = page_size
        self.stats = ClientStats()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={API_KEY_HEADER: api_key, "Accept": "application/json"},
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            # One connection per worker; more would only queue at the vendor.
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
            transport=transport,
            follow_redirects=False,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> VendorClient:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close on exit."""
        self.close()

    # -- transport with retries ----------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Delay before retry number `attempt`: Retry-After if given, else full jitter."""
        if retry_after is not None:
            # The server said when; waiting less would only earn another 429. Capped so a
            # hostile or buggy header cannot stall a nightly run for hours.
            return min(retry_after, self.backoff_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        # Full jitter (AWS architecture blog): spreads retries of parallel workers apart.
        with self._rng_lock:
            return self._rng.uniform(0.0, ceiling)

    def _get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET with bounded retries; returns decoded JSON or raises a VendorError."""
        # The full URL (with date and page token, never the key) makes failures reproducible.
        url = str(self._http.build_request("GET", path, params=params).url)
        last_cause = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            self.stats.add(requests=1)
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException as exc:
                cause, last_cause = "timeout", f"timeout ({type(exc).__name__})"
            except httpx.TransportError as exc:
                cause, last_cause = "connection", f"connection error ({type(exc).__name__}: {exc})"
            else:
                status = response.status_code
                if status < 300:
                    try:
                        return response.json()
                    except ValueError:
                        raise VendorRequestError(
                            f"GET {url}: response is not valid JSON", status=status
                        ) from None
                code, message = _error_detail(response)
                if status in (401, 403):
                    raise VendorAuthError(f"GET {url}: HTTP {status} ({message})")
                if status == 404:
                    raise VendorNotFound(f"GET {url}: {message}")
                if status not in _RETRYABLE_STATUS:
                    raise VendorRequestError(
                        f"GET {url}: HTTP {status} ({message})", status=status, code=code
                    )
                cause = "rate_limited" if status == 429 else "server_error"
                last_cause = f"HTTP {status} ({message})"
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            if attempt == self.max_attempts:
                break
            delay = self._backoff(attempt, retry_after)
            self.stats.retry(cause, delay)
            logger.info(
                "vendor GET %s attempt %d/%d failed (%s); retrying in %.2f s",
                url,
                attempt,
                self.max_attempts,
                last_cause,
                delay,
            )
            self._sleep(delay)
        raise VendorUnavailable("GET", url, self.max_attempts, last_cause)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Follow next_page_token, yielding each page's raw items."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            query = dict(params, page_size=self.page_size)
            if token:
                query["page_token"] = token
            body = self._get_json(path, query)
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise VendorRequestError(f"GET {self.base_url}{path}: body has no 'items' list")
            self.stats.add(pages=1)
            yield body["items"]
            token = body.get("next_page_token")
            if not token:
                return
            if token in seen:
                # A vendor bug would otherwise loop forever.
                raise VendorRequestError(f"GET {self.base_url}{path}: page token repeated")
            seen.add(token)

    # -- machines and bearings ---------------------------------------------------------------

    def iter_machines(self, customer: str | None = None) -> Iterator[Machine]:
        """Machines (bearings embedded), optionally of one customer, page by page."""
        params = {"customer": customer} if customer else {}
        for items in self._pages("/v1/machines", params):
            for raw in items:
                try:
                    yield _parse_machine(raw)
                except _RecordError as exc:
                    # Catalogue records are few and needed whole: a broken one is a contract
                    # breach worth failing the run for, not skipping silently.
                    raise VendorRequestError(f"invalid machine record: {exc}") from None

    def list_machines(self, customer: str | None = None) -> list[Machine]:
        """All machines, optionally of one customer."""
        return list(self.iter_machines(customer))

    def get_machine(self, machine_external_id: str) -> Machine:
        """One machine by vendor id (VendorNotFound if unknown)."""
        raw = self._get_json(f"/v1/machines/{_path_segment(machine_external_id)}")
        try:
            return _parse_machine(raw)
        except _RecordError as exc:
            raise VendorRequestError(f"invalid machine record: {exc}") from None

    def list_bearings(self, machine_external_id: str) -> list[Bearing]:
        """Bearings of one machine."""
        path = f"/v1/machines/{_path_segment(machine_external_id)}/bearings"
        out: list[Bearing] = []
        for items in self._pages(path, {}):
            try:
                out.extend(_parse_bearing(raw, machine_external_id) for raw in items)
            except _RecordError as exc:
                raise VendorRequestError(f"invalid bearing record: {exc}") from None
        return out

    # -- measurements ------------------------------------------------------------------------

    def iter_measurement_pages(
        self, machine_external_id: str, date: dt.date
    ) -> Iterator[MeasurementPage]:
        """One machine's measurements for a UTC day, a page at a time (sequential)."""
        path = f"/v1/machines/{_path_segment(machine_external_id)}/measurements"
        for number, items in enumerate(self._pages(path, {"date": date.isoformat()}), start=1):
            measurements: list[Measurement] = []
            rejected: list[RejectedRecord] = []
            for raw in items:
                try:
                    measurements.append(_parse_measurement(raw))
                except _RecordError as exc:
                    get = raw.get if isinstance(raw, dict) else (lambda _key: None)
                    rejected.append(
                        RejectedRecord(
                            reason=str(exc),
                            measurement_id=_str_or_none(get("measurement_id")),
                            machine_external_id=_str_or_none(get("machine_id")),
                            bearing_external_id=_str_or_none(get("bearing_id")),
                        )
                    )
            yield MeasurementPage(
                machine_external_id, date, number, tuple(measurements), tuple(rejected)
            )

    def iter_measurements(
        self,
        date: dt.date,
        machine_external_ids: Iterable[str],
        *,
        fail_fast: bool = False,
    ) -> Iterator[MeasurementPage | FetchFailure]:
        """Fetch many machines' measurements for a day with at most `max_concurrency` workers.

        Pages are yielded as they arrive (machines interleave; pages of one machine stay in
        order). Memory stays bounded: at most `max_concurrency` pages queue for the caller and
        each worker holds one more while it waits. A machine whose download fails yields a
        FetchFailure (or raises, with `fail_fast`); VendorAuthError always raises, since no
        other machine can succeed either. Leaving the loop early stops the workers.
        """
        fetcher = _ConcurrentFetch(self, date, machine_external_ids)
        try:
            for item in fetcher.items():
                if isinstance(item, FetchFailure):
                    if fail_fast or isinstance(item.error, VendorAuthError):
                        raise item.error
                    logger.warning(
                        "vendor measurements of %s on %s failed: %s",
                        item.machine_external_id,
                        date,
                        item.error,
                    )
                yield item
        finally:
            fetcher.stop()


class _ConcurrentFetch:
    """Worker threads downloading machines' pages into a bounded queue for one consumer."""

    _DONE = object()

    def __init__(self, client: VendorClient, date: dt.date, machine_ids: Iterable[str]):
        self.client, self.date = client, date
        self.work: queue.SimpleQueue[str] = queue.SimpleQueue()
        ids = list(dict.fromkeys(machine_ids))
        for machine_id in ids:
            self.work.put(machine_id)
        self.results: queue.Queue[Any] = queue.Queue(maxsize=client.max_concurrency)
        self.stopped = threading.Event()
        self.threads = [
            threading.Thread(target=self._worker, name=f"vendor-fetch-{i}", daemon=True)
            for i in range(min(client.max_concurrency, len(ids)))
        ]
        for thread in self.threads:
            thread.start()

    def _put(self, item: Any) -> bool:
        """Hand an item to the consumer; False once the consumer has gone away."""
        while not self.stopped.is_set():
            try:
                self.results.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fetch(self, machine_id: str) -> bool:
        """Queue one machine's pages (or its failure); False once the consumer has gone."""
        try:
            for page in self.client.iter_measurement_pages(machine_id, self.date):
                if not self._put(page):
                    return False
        except VendorError as exc:
            return self._put(FetchFailure(machine_id, self.date, exc))
        return True

    def _worker(self) -> None:
        """Download machines from the work queue until it is empty or we are stopped."""
        try:
            while not self.stopped.is_set():
                try:
                    machine_id = self.work.get_nowait()
                except queue.Empty:
                    return
                if not self._fetch(machine_id):
                    return
        except Exception as exc:  # a bug: re-raised in the caller, not lost in a thread
            self._put(exc)
        finally:
            self._put(self._DONE)

    def items(self) -> Iterator[MeasurementPage | FetchFailure]:
        """Pages and failures as they arrive, until every worker is done."""
        finished = 0
        while finished < len(self.threads):
            item = self.results.get()
            if item is self._DONE:
                finished += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def stop(self) -> None:
        """Stop the workers: unblock those waiting on a full queue, wait for in-flight ones."""
        self.stopped.set()
        while any(t.is_alive() for t in self.threads):
            with contextlib.suppress(queue.Empty):
                self.results.get(timeout=0.05)
        for thread in self.threads:
            thread.join()


def _path_segment(value: str) -> str:
    """Percent-encode an id for use as one URL path segment."""
    return quote(value, safe="")


def _str_or_none(value: Any) -> str | None:
    """The value if it is a string, else None (for diagnostics of broken records)."""
    return value if isinstance(value, str) else None
