"""The ingestion run a log line belongs to (the logging filter in settings adds it to every line).

Standard library only, so ingestion sets it in one line and the logging filter reads it without
loading anything else of ingestion. A context variable for the run's own thread, and a
process-wide fallback for the vendor client's download threads, which do not inherit context
variables (one run per process at a time: the run lock sees to that).
"""

import contextvars

_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("ingestion_run", default=None)
_process_run_id: str | None = None


def run_started(run_id) -> contextvars.Token:
    """Tag every log line of this run with ``run_id`` until :func:`run_ended`."""
    global _process_run_id
    _process_run_id = str(run_id)
    return _run_id.set(str(run_id))


def run_ended(token: contextvars.Token) -> None:
    """Stop tagging log lines with the run id set by :func:`run_started`."""
    global _process_run_id
    _run_id.reset(token)
    _process_run_id = None


def current_run_id() -> str | None:
    """The id of the ingestion run logging now, if any."""
    return _run_id.get() or _process_run_id
