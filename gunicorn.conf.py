"""gunicorn settings for Right Support: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment, so one file serves a laptop and a cluster.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two workers per core plus one is gunicorn's rule of thumb for request/response work like ours.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Reports and million-row imports can take a while; the proxy in front should allow as long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# The app is imported once in the master and each worker is forked from it: workers start (and
# restart) in milliseconds instead of re-importing the statistics and PDF libraries, and share that
# memory until they write to it. Database connections are never shared: see post_fork.
preload_app = True
# Recycle workers now and then so a slow leak can never grow without bound; the jitter keeps them
# from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 4
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn's own logger, with invitation and calendar-feed tokens redacted from every line.
logger_class = "core.logs.RedactingGunicornLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    """Move everything the master has loaded out of the garbage collector's sight before forking:
    a worker's full collections then skip the app's modules, and never touch (and so copy) the
    memory it shares with the master."""
    import gc

    gc.freeze()


def post_fork(server, worker):
    """A forked worker drops any pooled connection it inherited from the master (without closing
    it, which would close the master's), so every worker opens connections of its own."""
    from core.extensions import db

    app = server.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
