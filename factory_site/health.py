"""Readiness for orchestrators: ``/health/ready`` (``/health`` stays the load balancer's probe).

Ready means the database answers and every migration is applied; the answer also tells how old
the last ingestion run is (and whether it is older than ``READINESS_INGESTION_MAX_AGE_S``) but
does not fail on it: a late nightly job is no reason to take the web servers out of rotation.
No authentication, and nothing about the plant: no URIs, no counts, no customer names.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.mongo import utc
from monitoring.scope import Scope
from monitoring.selectors import system

_migrations_applied = False  # once true, true for the life of the process


class ReadinessSerializer(serializers.Serializer):
    """Whether this server should receive traffic, and why not."""

    status = serializers.ChoiceField(choices=["ready", "not_ready"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])
    migrations = serializers.ChoiceField(choices=["applied", "pending", "unknown"])
    last_ingestion_age_s = serializers.FloatField(
        allow_null=True, help_text="Seconds since the last ingestion run finished (or started)."
    )
    last_ingestion_outcome = serializers.CharField(allow_null=True)
    ingestion_stale = serializers.BooleanField(
        allow_null=True, help_text="Older than READINESS_INGESTION_MAX_AGE_S (null: no limit)."
    )
    version = serializers.CharField()


def migrations_state() -> str:
    """'applied' when no migration is pending (remembered once true: it cannot go back)."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrations_applied = not plan
    return "applied" if _migrations_applied else "pending"


def _ingestion_state(now: dt.datetime) -> dict:
    """Age and outcome of the most recent ingestion run (the started_at index, limit 1)."""
    run = system.last_run(scope=Scope.everything())
    if run is None:
        return {"last_ingestion_age_s": None, "last_ingestion_outcome": None}
    age = (now - utc(run.get("finished_at") or run["started_at"])).total_seconds()
    return {"last_ingestion_age_s": round(age, 1), "last_ingestion_outcome": run.get("outcome")}


def readiness_get() -> dict:
    """The readiness answer (never raises: an unreachable database is a 'not ready')."""
    health = system.health_get()
    data = {
        "database": health["database"],
        "migrations": "unknown",
        "last_ingestion_age_s": None,
        "last_ingestion_outcome": None,
        "ingestion_stale": None,
        "version": settings.APP_VERSION,
    }
    if health["database"] == "ok":
        try:
            data["migrations"] = migrations_state()
            data.update(_ingestion_state(dt.datetime.now(dt.UTC)))
        except Exception:  # the database went away between the ping and these reads
            data["database"] = "unreachable"
    limit = settings.READINESS_INGESTION_MAX_AGE_S
    if limit and data["migrations"] == "applied":
        age = data["last_ingestion_age_s"]
        data["ingestion_stale"] = age is None or age > limit
    ready = data["database"] == "ok" and data["migrations"] == "applied"
    return {"status": "ready" if ready else "not_ready", **data}


class ReadinessView(APIView):
    """Readiness for orchestrators: database, migrations, last ingestion run's age."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # orchestrators probe often from one address

    @extend_schema(
        tags=["utility"],
        summary="Readiness check",
        auth=[],
        responses={
            200: ReadinessSerializer,
            503: OpenApiResponse(
                ReadinessSerializer,
                description="The database is unreachable or migrations are pending.",
            ),
        },
    )
    def get(self, request):
        """200 when the database answers and every migration is applied, else 503."""
        data = readiness_get()
        code = status.HTTP_200_OK if data["status"] == "ready" else 503
        return Response(ReadinessSerializer(data).data, status=code)
