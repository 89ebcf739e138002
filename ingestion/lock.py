"""A lease in the database that keeps two ingestion runs apart.

The lock is one ``IngestionLock`` document per name (unique index on ``name``). Acquiring is a
single atomic write: either an insert (nobody holds it; the unique index makes a racing second
insert fail) or a takeover of an expired lease (``find_one_and_update`` filtered on the expiry,
so two processes cannot both take over). The holder renews the lease from a heartbeat thread;
a holder killed with ``kill -9`` stops renewing and the next run takes over once it expires.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from monitoring.models import IngestionLock
from monitoring.mongo import collection

logger = logging.getLogger("ingestion.lock")

LOCK_NAME = "ingestion"


class LockHeldError(Exception):
    """Another live run holds the lock."""

    def __init__(self, name: str, holder: str, expires_at: dt.datetime | None) -> None:
        """Name the holder and when its lease ends, so the message says what to wait for."""
        until = f"; its lease expires at {expires_at:%Y-%m-%d %H:%M:%S} UTC" if expires_at else ""
        super().__init__(
            f"another ingestion run holds the lock {name!r} ({holder}){until}. "
            "Wait for it to finish, or for the lease to expire if that run died."
        )
        self.name = name
        self.holder = holder
        self.expires_at = expires_at


class LockLostError(Exception):
    """Our lease expired and another run took the lock; we must stop writing."""


@dataclass
class Lease:
    """A held lock: its name, our holder string, and who held it before if we took it over."""

    name: str
    holder: str
    ttl: dt.timedelta
    previous_holder: str | None = None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def host_describe() -> str:
    """This host and process, as ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_describe(*, run_id: object) -> str:
    """Who holds the lock: host, process id and the run, so an operator can find it."""
    return f"{host_describe()}:run={run_id}"


def lock_acquire(*, holder: str, ttl: dt.timedelta, name: str = LOCK_NAME) -> Lease:
    """Take the lock or raise LockHeldError; an expired lease of a dead run is taken over."""
    locks = collection(IngestionLock)
    now = _utcnow()
    lease = {"holder": holder, "acquired_at": now, "expires_at": now + ttl}
    previous = locks.find_one_and_update(
        {"name": name, "expires_at": {"$lt": now}},
        {"$set": lease},
        return_document=ReturnDocument.BEFORE,
    )
    if previous is not None:
        logger.warning(
            "took over the expired ingestion lock of %s (lease ended %s)",
            previous["holder"], previous["expires_at"],
        )  # fmt: skip
        return Lease(name, holder, ttl, previous_holder=previous["holder"])
    try:
        locks.insert_one({"name": name, **lease})
    except DuplicateKeyError:
        current = locks.find_one({"name": name}) or {}
        expires = current.get("expires_at")
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        raise LockHeldError(name, current.get("holder", "unknown"), expires) from None
    return Lease(name, holder, ttl)


def lock_renew(*, lease: Lease) -> bool:
    """Extend our lease; False when it is no longer ours (expired and taken over)."""
    result = collection(IngestionLock).update_one(
        {"name": lease.name, "holder": lease.holder},
        {"$set": {"expires_at": _utcnow() + lease.ttl}},
    )
    return result.matched_count == 1


def lock_release(*, lease: Lease) -> None:
    """Give the lock up (only if it is still ours)."""
    collection(IngestionLock).delete_one({"name": lease.name, "holder": lease.holder})


class Heartbeat:
    """Renews a lease (and calls ``beat``) every ``interval`` seconds in a daemon thread.

    Uses pymongo collections fetched on the caller's thread: Django connections are
    per thread, pymongo clients are thread-safe. A failed renewal sets ``lost``; the run checks
    it before each write and stops rather than write without the lock.
    """

    def __init__(
        self, *, lease: Lease, interval: float, beat: Callable[[], None] | None = None
    ) -> None:
        """Prepare (not start) the thread."""
        self.lease = lease
        self.interval = interval
        self.lost = threading.Event()
        self._beat = beat
        self._stop = threading.Event()
        self._locks = collection(IngestionLock)
        self._thread = threading.Thread(target=self._run, name="ingestion-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                result = self._locks.update_one(
                    {"name": self.lease.name, "holder": self.lease.holder},
                    {"$set": {"expires_at": _utcnow() + self.lease.ttl}},
                )
                if result.matched_count != 1:
                    logger.error("ingestion lock lost: another run took it over")
                    self.lost.set()
                    return
                if self._beat is not None:
                    self._beat()
            except PyMongoError as exc:
                # A blip is not fatal: the lease outlives several intervals.
                logger.warning("heartbeat failed: %s", exc)

    def check(self) -> None:
        """Raise LockLostError if the lease was lost."""
        if self.lost.is_set():
            raise LockLostError(
                f"the ingestion lock {self.lease.name!r} was taken over by another run"
            )

    def __enter__(self) -> Heartbeat:
        """Start renewing."""
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop renewing (the caller releases the lock)."""
        self._stop.set()
        self._thread.join(timeout=10)


@contextmanager
def lock_held(*, holder: str, ttl: dt.timedelta, name: str = LOCK_NAME) -> Iterator[Heartbeat]:
    """Hold the lock (renewed by a heartbeat) for a block; LockHeldError if another has it.

    For work besides ingestion runs that must not overlap one (rebuilds, owner moves). The
    heartbeat's ``check()`` raises LockLostError if the lease was taken over meanwhile.
    """
    lease = lock_acquire(holder=holder, ttl=ttl, name=name)
    try:
        with Heartbeat(lease=lease, interval=max(0.5, ttl.total_seconds() / 4)) as heartbeat:
            yield heartbeat
    finally:
        lock_release(lease=lease)
