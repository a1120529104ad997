"""Production server settings: `gunicorn -c gunicorn.conf.py salamat.wsgi`.

Sync workers with persistent database connections (DB_CONN_MAX_AGE, default 600 s)
measured fastest for Django here; static files are served by WhiteNoise from
collectstatic's compressed, hashed copies. Every value can be overridden from the
environment (GUNICORN_WORKERS, GUNICORN_BIND, ...).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Bulk traceability requests (50,000 codes) and EPCIS captures may take tens of seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that no leak can grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# The application writes one JSON access line per request itself (logger salamat.access, with
# the request id); GUNICORN_ACCESS_LOG=- adds gunicorn's own plain line.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Each worker builds the FHIR library's models now (seconds), not on a clinic's first write.
    Only when the app served is the platform (Django set up); another app boots as it is."""
    from django.apps import apps

    if not apps.ready:
        return
    from salamat.records.services.engine import warm_up

    warm_up()


def child_exit(server, worker):
    """A dead worker's live gauges leave the metrics (prometheus_client's multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
