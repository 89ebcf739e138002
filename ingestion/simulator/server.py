"""HTTP server for the simulated vendor API (docs/vendor-api.md), stdlib only.

    with SimulatorServer(SimulatorConfig(seed=1)) as sim:
        client = VendorClient(sim.url, "dev-key")

Faults are injected per request from a hash of (seed, method + target, attempt number for that
target), so a test sees the same faults on every run while a retried request gets a fresh draw.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import itertools
import json
import logging
import socket
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ingestion.simulator.config import SimulatorConfig
from ingestion.simulator.dataset import VendorDataset
from ingestion.simulator.fleet import bearing_to_wire, stable_unit

logger = logging.getLogger("ingestion.simulator")

API_PREFIX = "/v1"
API_KEY_HEADER = "X-API-Key"


class ApiError(Exception):
    """An error response: status, machine-readable code, message and extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        """Store the response parts."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class SimulatorStats:
    """Thread-safe counters of what the simulator served and which faults it injected."""

    def __init__(self) -> None:
        """Start from zero."""
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests = 0
            self.by_status: Counter[int] = Counter()
            self.by_route: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()
            self.malformed: Counter[str] = Counter()
            self.records_served = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.measurement_in_flight = 0
            self.max_measurement_in_flight = 0

    def enter(self, route: str) -> None:
        """Record a request starting (tracks concurrency overall and on measurement pages)."""
        with self._lock:
            self.requests += 1
            self.by_route[route] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if route == "measurements":
                self.measurement_in_flight += 1
                self.max_measurement_in_flight = max(
                    self.max_measurement_in_flight, self.measurement_in_flight
                )

    def leave(self, route: str, status: int) -> None:
        """Record a request finishing with `status`."""
        with self._lock:
            self.in_flight -= 1
            if route == "measurements":
                self.measurement_in_flight -= 1
            self.by_status[status] += 1

    def fault(self, kind: str) -> None:
        """Count one injected fault."""
        with self._lock:
            self.faults[kind] += 1

    def served(self, records: int, malformed: Counter[str]) -> None:
        """Count records served on a page and the malformed ones among them."""
        with self._lock:
            self.records_served += records
            self.malformed.update(malformed)

    def snapshot(self) -> dict[str, Any]:
        """A consistent plain-dict copy of all counters."""
        with self._lock:
            return {
                "requests": self.requests,
                "by_status": dict(self.by_status),
                "by_route": dict(self.by_route),
                "faults": dict(self.faults),
                "malformed": dict(self.malformed),
                "records_served": self.records_served,
                "max_in_flight": self.max_in_flight,
                "max_measurement_in_flight": self.max_measurement_in_flight,
            }


def _encode_token(payload: dict[str, Any]) -> str:
    """Opaque page token (clients must not parse it)."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, expect: dict[str, Any]) -> int:
    """Offset from a page token issued for the same listing, or a 400."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = payload.pop("o")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise ApiError(400, "invalid_page_token", "page_token is malformed") from None
    if payload != expect or not isinstance(offset, int) or offset < 0:
        raise ApiError(400, "invalid_page_token", "page_token does not belong to this listing")
    return offset


class _App:
    """Request handling shared by all handler threads: routing, auth, faults, paging."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Build the dataset once; it is read-only afterwards and safe to share."""
        self.config = config
        self.dataset = VendorDataset(config)
        self.stats = SimulatorStats()
        self.stopping = threading.Event()
        self._attempts: Counter[str] = Counter()
        self._attempts_lock = threading.Lock()
        self._request_ids = itertools.count(1)

    # -- faults ------------------------------------------------------------------------------

    def _attempt(self, key: str) -> int:
        """1-based number of times this exact request has been seen."""
        with self._attempts_lock:
            self._attempts[key] += 1
            return self._attempts[key]

    def _delay(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        if seconds > 0.0:
            self.stopping.wait(seconds)

    def _rate_limited(self) -> ApiError:
        """A 429 with Retry-After."""
        seconds = self.config.retry_after_seconds
        return ApiError(
            429,
            "rate_limited",
            f"too many requests; retry after {seconds} s",
            {"Retry-After": str(seconds)},
        )

    def _server_error(self, status: int) -> ApiError:
        """A 5xx error; 503 also carries Retry-After, as overloaded gateways do."""
        if status == 503:
            seconds = str(self.config.retry_after_seconds)
            return ApiError(
                503, "unavailable", "service temporarily unavailable", {"Retry-After": seconds}
            )
        return ApiError(status, "internal_error", "internal server error")

    def inject_faults(self, key: str) -> None:
        """Raise an injected error response or delay, as the fault configuration says."""
        cfg = self.config
        attempt = self._attempt(key)
        if attempt <= cfg.fail_first_n:
            self.stats.fault(f"fail_first_{cfg.fail_first_kind}")
            if cfg.fail_first_kind == "rate_limit":
                raise self._rate_limited()
            if cfg.fail_first_kind == "slow":
                self._delay(cfg.slow_seconds)
                return
            raise self._server_error(cfg.fail_first_status)

        def draw(kind: str) -> float:
            """Independent uniform draw per fault kind for this attempt of this request."""
            return stable_unit(cfg.seed, key, attempt, kind)

        if cfg.rate_limit_rate and draw("rate_limit") < cfg.rate_limit_rate:
            self.stats.fault("rate_limited")
            raise self._rate_limited()
        if cfg.error_rate and draw("error") < cfg.error_rate:
            status = 503 if draw("error_status") < 0.5 else 500
            self.stats.fault(f"error_{status}")
            raise self._server_error(status)
        if cfg.slow_rate and draw("slow") < cfg.slow_rate:
            self.stats.fault("slow")
            self._delay(cfg.slow_seconds)

    # -- routing -----------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any) -> tuple[int, dict, dict[str, str]]:
        """Serve one request; returns (status, JSON body, extra headers)."""
        split = urlsplit(target)
        parts = [unquote(p) for p in split.path.split("/") if p]
        route = self._route_name(parts)
        request_id = f"req-{next(self._request_ids):08d}"
        self.stats.enter(route)
        status = 500
        try:
            if method != "GET":
                raise ApiError(405, "method_not_allowed", f"{method} is not supported")
            if headers.get(API_KEY_HEADER) != self.config.api_key:
                self.stats.fault("unauthorized")
                raise ApiError(401, "unauthorized", f"missing or invalid {API_KEY_HEADER} header")
            self.inject_faults(f"{method} {target}")
            self._delay(self.config.latency_seconds)
            query = parse_qs(split.query, keep_blank_values=True)
            body = self._dispatch(parts, {k: v[-1] for k, v in query.items()})
            status = 200
            return 200, body, {"X-Request-Id": request_id}
        except ApiError as exc:
            status = exc.status
            body = {"error": {"code": exc.code, "message": exc.message, "request_id": request_id}}
            return status, body, {"X-Request-Id": request_id, **exc.headers}
        except Exception:
            logger.exception("simulator failed on %s %s", method, target)
            body = {
                "error": {
                    "code": "internal_error",
                    "message": "unexpected simulator error",
                    "request_id": request_id,
                }
            }
            return 500, body, {"X-Request-Id": request_id}
        finally:
            self.stats.leave(route, status)

    @staticmethod
    def _route_name(parts: list[str]) -> str:
        """Coarse route label for the counters."""
        if parts[:2] != ["v1", "machines"]:
            return "other"
        if len(parts) in (2, 3):
            return "machines" if len(parts) == 2 else "machine"
        if len(parts) == 4 and parts[3] in ("bearings", "measurements"):
            return parts[3]
        return "other"

    def _dispatch(self, parts: list[str], query: dict[str, str]) -> dict[str, Any]:
        """Route to the endpoint handlers."""
        if parts[:2] == ["v1", "machines"]:
            if len(parts) == 2:
                return self._list_machines(query)
            machine = self.dataset.fleet.machine(parts[2])
            if machine is None:
                raise ApiError(404, "not_found", f"machine {parts[2]!r} does not exist")
            if len(parts) == 3:
                return self.dataset.machine_wire(machine)
            if len(parts) == 4 and parts[3] == "bearings":
                return {
                    "items": [bearing_to_wire(b) for b in machine.bearings],
                    "next_page_token": None,
                }
            if len(parts) == 4 and parts[3] == "measurements":
                return self._list_measurements(machine, query)
        raise ApiError(404, "not_found", "no such endpoint")

    def _page_size(self, query: dict[str, str]) -> int:
        """Validated page_size parameter."""
        raw = query.get("page_size")
        if raw is None:
            return self.config.default_page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.config.max_page_size:
            limit = self.config.max_page_size
            raise ApiError(400, "invalid_parameter", f"page_size must be an integer 1..{limit}")
        return int(raw)

    def _page(
        self, total: int, query: dict[str, str], scope: dict[str, Any]
    ) -> tuple[int, int, str | None]:
        """(start, stop, next token) of the requested page of a listing of `total` items."""
        size = self._page_size(query)
        token = query.get("page_token")
        start = _decode_token(token, scope) if token else 0
        stop = min(start + size, total)
        next_token = _encode_token({**scope, "o": stop}) if stop < total else None
        return start, stop, next_token

    def _list_machines(self, query: dict[str, str]) -> dict[str, Any]:
        """GET /v1/machines[?customer=]."""
        customer = query.get("customer")
        machines = self.dataset.machines(customer or None)
        start, stop, next_token = self._page(len(machines), query, {"l": "machines", "c": customer})
        return {
            "items": [self.dataset.machine_wire(m) for m in machines[start:stop]],
            "next_page_token": next_token,
        }

    def _list_measurements(self, machine: Any, query: dict[str, str]) -> dict[str, Any]:
        """GET /v1/machines/{id}/measurements?date=YYYY-MM-DD."""
        raw_date = query.get("date")
        try:
            day = dt.date.fromisoformat(raw_date or "")
            if len(raw_date or "") != 10:
                raise ValueError
        except ValueError:
            raise ApiError(400, "invalid_parameter", "date must be given as YYYY-MM-DD") from None
        schedule = self.dataset.schedule(machine, day)
        scope = {"l": "measurements", "m": machine.external_id, "d": day.isoformat()}
        start, stop, next_token = self._page(len(schedule), query, scope)
        items = []
        malformed: Counter[str] = Counter()
        for item in schedule[start:stop]:
            record, kind = self.dataset.record(item)
            items.append(record)
            if kind:
                malformed[kind] += 1
        self.stats.served(len(items), malformed)
        return {"items": items, "next_page_token": next_token}


class _Handler(BaseHTTPRequestHandler):
    """Thin adapter from http.server to `_App`."""

    # HTTP/1.1 keeps connections alive, so the client's pool is exercised as in production.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would
    # stall every response by ~40 ms.
    disable_nagle_algorithm = True
    server_version = "VendorSimulator/1.0"
    server: _Server

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve()

    def do_POST(self) -> None:
        """Answer 405 after draining any body so the connection stays usable."""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve()

    do_PUT = do_PATCH = do_DELETE = do_POST

    def _serve(self) -> None:
        """Run the app and write its JSON response, ignoring clients that already left."""
        app = self.server.app
        self.server.track(self.connection, add=True)
        try:
            status, body, headers = app.handle(self.command, self.path, self.headers)
            payload = json.dumps(body, separators=(",", ":")).encode()
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            if status == 401:
                self.send_header("WWW-Authenticate", f'ApiKey header="{API_KEY_HEADER}"')
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client timed out and closed the connection while we were "slow".
            self.close_connection = True
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Route access logs to logging instead of stderr."""
        logger.info("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its app and can cut open connections on stop."""

    daemon_threads = True
    # Do not join handler threads on close: a keep-alive connection may idle for long.
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: _App) -> None:
        """Bind (port 0 picks a free port) and remember the app."""
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember connections that are mid-request so stop() can cut them."""
        with self._connections_lock:
            (self._connections.add if add else self._connections.discard)(conn)

    def cut_connections(self) -> None:
        """Shut down sockets of requests still being served (e.g. sleeping slow ones)."""
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SimulatorServer:
    """The simulated vendor API on a local port, in a background thread or in the foreground."""

    def __init__(
        self, config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Bind immediately so `url` is known before serving starts; port 0 = any free port."""
        self.config = config or SimulatorConfig()
        self._app = _App(self.config)
        self._server = _Server((host, port), self._app)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """Bound host."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """Bound port."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to give the client (endpoints live under /v1)."""
        return f"http://{self.host}:{self.port}"

    @property
    def stats(self) -> SimulatorStats:
        """Live counters of requests, statuses, faults and malformed records."""
        return self._app.stats

    @property
    def dataset(self) -> VendorDataset:
        """The data being served (fleet, schedule, records)."""
        return self._app.dataset

    @property
    def anchor_date(self) -> dt.date:
        """The date the outer-race defect reaches full severity."""
        return self._app.dataset.anchor_date

    def start(self) -> SimulatorServer:
        """Serve in a daemon thread and return self."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        # A short poll interval keeps stop() fast (tests start many servers).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vendor-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() or KeyboardInterrupt."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving, wake slow handlers and close the socket; idempotent."""
        self._app.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.cut_connections()
        self._server.server_close()

    def __enter__(self) -> SimulatorServer:
        """Start serving in the background."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop serving."""
        self.stop()
