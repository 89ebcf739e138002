"""The customers a request may read: decided once per request, required by every plant read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    """Every customer (staff, jobs) or a fixed set of customers (a plant user; maybe none).

    Data follows the machine: customer and area are copied from a machine onto its bearings,
    readings and rollups (and moved with it), so a condition on ``customer`` scopes them all.
    """

    customers: frozenset[str] | None

    @classmethod
    def everything(cls) -> Scope:
        """No restriction: staff requests and background jobs."""
        return cls(None)

    @classmethod
    def of(cls, customers: Iterable[str]) -> Scope:
        """Only these customers' data (none at all for an empty set)."""
        return cls(frozenset(customers))

    @property
    def unrestricted(self) -> bool:
        return self.customers is None

    def allows(self, customer: str | None) -> bool:
        """Whether a document of this customer is visible."""
        return self.customers is None or customer in self.customers

    def allowed(self, requested: Sequence[str] | None = None) -> list[str] | None:
        """The customers a read may return given a requested filter; None means any."""
        if self.customers is None:
            return list(requested) if requested else None
        if requested:
            return [c for c in requested if c in self.customers]
        return sorted(self.customers)

    def condition(self, requested: Sequence[str] | None = None) -> dict | None:
        """The Mongo condition on ``customer`` (None: no restriction)."""
        allowed = self.allowed(requested)
        return None if allowed is None else {"$in": allowed}

    def match(
        self,
        customer: Sequence[str] | None = None,
        area: Sequence[str] | None = None,
        **extra: Any,
    ) -> dict:
        """A ``$match`` document: the scope, customer/area filters and extra conditions."""
        match: dict[str, Any] = dict(extra)
        condition = self.condition(customer)
        if condition is not None:
            match["customer"] = condition
        if area:
            match["area"] = {"$in": list(area)}
        return match

    def cache_key(self) -> str:
        """A stable text for cache keys."""
        return "*" if self.customers is None else ",".join(sorted(self.customers))
