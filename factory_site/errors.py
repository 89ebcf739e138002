"""Recognise an unreachable database and describe it in one line, without credentials."""

from urllib.parse import urlsplit, urlunsplit

from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

from factory_site.embedded import EmbeddedServerError


def redact_uri(uri: str) -> str:
    """The URI with any user name and password removed."""
    if not uri:
        return uri
    parts = urlsplit(uri)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def is_database_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) means the database could not be reached."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ServerSelectionTimeoutError, ConnectionFailure, EmbeddedServerError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def database_unreachable_message(exc: BaseException | None = None) -> str:
    """One line naming the database (without credentials) and what to check."""
    from django.conf import settings

    if isinstance(exc, EmbeddedServerError):
        return f"error: embedded database: {exc}"
    db = settings.DATABASES["default"]
    if db.get("HOST"):
        return (
            f"error: cannot reach MongoDB at {redact_uri(db['HOST'])} (database {db['NAME']!r}): "
            "check that the server runs, the host and port, credentials, TLS and firewall "
            "(MONGODB_URI)"
        )
    return (
        f"error: cannot reach the embedded database for {db.get('EMBEDDED_PATH')}: "
        "see `python manage.py dbserver status` and its log, or set MONGODB_URI"
    )
