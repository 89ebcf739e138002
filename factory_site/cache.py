"""Redis as Django's cache, degrading instead of failing while Redis is away.

Django's RedisCache raises on every call when Redis is unreachable, which turns a cache outage
into 500s on every API request (throttling touches the cache on each one). This backend catches
connection errors in one place: reads miss (dashboards compute directly), writes are dropped,
and ``incr`` answers ``delta`` (throttling fails open: each request counts as the first of its
window). After a failure Redis is not asked again for ``RETRY_SECONDS`` (so an outage costs
one connection attempt per period, not one per call); the first call after that reconnects.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from factory_site import metrics

logger = logging.getLogger(__name__)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrades_to(fallback):
    """Wrap a cache method so a Redis outage returns ``fallback(*args, **kwargs)``."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if self._outage.skipping():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except REDIS_DOWN as exc:
                metrics.CACHE_ERRORS.labels(method.__name__).inc()
                self._outage.failed(exc)
                return fallback(*args, **kwargs)
            self._outage.succeeded()
            return result

        return wrapper

    return decorate


class _Outage:
    """Whether Redis is considered away, shared by the cache objects of one process."""

    def __init__(self, retry_seconds: float):
        self.retry_seconds = retry_seconds
        self.until = 0.0
        self.down = False
        self.lock = threading.Lock()

    def skipping(self) -> bool:
        return self.down and time.monotonic() < self.until

    def failed(self, exc: BaseException) -> None:
        with self.lock:
            if not self.down:
                logger.warning(
                    "cache: Redis unreachable (%s); serving without it, retrying every %gs",
                    type(exc).__name__, self.retry_seconds,
                )  # fmt: skip
            self.down = True
            self.until = time.monotonic() + self.retry_seconds

    def succeeded(self) -> None:
        if self.down:
            with self.lock:
                if self.down:
                    logger.warning("cache: Redis is back")
                self.down = False


_OUTAGES: dict[str, _Outage] = {}


def _get_default(key, default=None, version=None):
    return default


def _incr_fallback(key, delta=1, version=None):
    return delta


class TolerantRedisCache(RedisCache):
    """RedisCache whose calls degrade (miss, drop, fail open) while Redis is unreachable."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": dict(params.get("OPTIONS") or {})}
        retry = float(params["OPTIONS"].pop("RETRY_SECONDS", 5.0))
        super().__init__(server, params)
        # Django makes one cache object per thread: they share one view of the outage.
        self._outage = _OUTAGES.setdefault(str(server), _Outage(retry))

    get = _degrades_to(_get_default)(RedisCache.get)
    get_many = _degrades_to(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _degrades_to(lambda *a, **k: False)(RedisCache.has_key)
    set = _degrades_to(lambda *a, **k: None)(RedisCache.set)
    set_many = _degrades_to(lambda *a, **k: [])(RedisCache.set_many)
    add = _degrades_to(lambda *a, **k: False)(RedisCache.add)
    touch = _degrades_to(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrades_to(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _degrades_to(lambda *a, **k: None)(RedisCache.delete_many)
    incr = _degrades_to(_incr_fallback)(RedisCache.incr)
    clear = _degrades_to(lambda *a, **k: False)(RedisCache.clear)
