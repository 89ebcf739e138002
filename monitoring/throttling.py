"""API rate limits as fixed-window counters: one small atomic increment per request."""

import logging

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class CounterThrottleMixin:
    """Counts a client's requests per window of the rate's period (e.g. per minute).

    DRF's own rate throttles keep each client's request times as a list that every request
    reads and writes back whole: up to rate-many floats pickled twice per request (two Redis
    round trips carrying them when REDIS_URL is set), and two workers answering the same client
    at once overwrite each other's list, so requests go uncounted. A counter per client and
    window is one increment, atomic in Redis and under a lock in local memory. The price: a
    client can spend the end of one window and the start of the next back to back.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        return self._count(f"{self.key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """This request's number in its window: the counter after incrementing it."""
        for _ in range(3):
            try:
                return self.cache.incr(key)
            except ValueError:  # no counter yet for this window (or it just expired)
                # A second past the window's end, so a late request still finds it.
                if self.cache.add(key, 1, timeout=self.duration + 1):
                    return 1
        # Only a cache evicting the counter again and again gets here: serve, do not fail.
        logger.warning("throttle counter %s could be neither added nor incremented", key)
        return 1

    def wait(self) -> float:
        """Seconds until the window ends and the client may send again."""
        return max(self.window_end - self.now, 0.001)


class UserCounterThrottle(CounterThrottleMixin, UserRateThrottle):
    """Per authenticated user (API_THROTTLE_USER); anonymous requests count per address."""


class AnonCounterThrottle(CounterThrottleMixin, AnonRateThrottle):
    """Per client address for requests without valid credentials (API_THROTTLE_ANON)."""
