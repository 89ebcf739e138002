"""gunicorn configuration (``gunicorn -c gunicorn.conf.py``); every value from the environment."""

import multiprocessing
import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factory_site.settings.production")

wsgi_app = "factory_site.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "2"))
# Recycle workers now and then so a slow leak never becomes an outage; jitter avoids a herd.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# Load Django once in the master; pymongo connects lazily, so each worker opens its own pool.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() == "true"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus metrics from every worker in one scrape (prometheus-client's multiprocess mode):
# workers write their counters to files in this folder, /metrics sums them. Set before the app
# (and prometheus_client) is loaded; a fresh private folder when the operator names none.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="fm-prometheus-")


def on_starting(server):
    """Forget a previous server's metric files (counters restart with the server)."""
    for path in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        path.unlink(missing_ok=True)


def child_exit(server, worker):
    """A recycled worker's live gauges go; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Leave the loaded application out of garbage collection.

    Modules, settings, URL patterns and serializers live as long as the worker: frozen, the
    collector stops traversing them on every full collection (and, forked from a preloading
    master, stops touching the pages they share with it).
    """
    import gc

    gc.freeze()
