"""Every download that is sent is on record: each is committed in its own request before the PDF goes
out, so killing every worker and the master outright (SIGKILL, no chance to clean up) loses none.
Through a real gunicorn server with four workers, on a database of its own."""

import os
import signal

from sqlalchemy import create_engine, func, select

from bench.http import Visitor
from materials.models import Download
from tests.support import (
    WORKER_LOG,
    fresh_database,
    gunicorn_server,
    prepare_site,
    production_env,
    server_log,
    until_every_worker_answers,
    worker_pids,
)

WORKERS = 4
PASSWORD = "a-long-password-for-tests"
EMAIL = "downloads@school.example.org"


def test_no_download_is_lost_when_every_process_is_killed(tmp_path):
    with fresh_database(tmp_path, "durable") as url:
        ids = prepare_site(url, {EMAIL: "dsl"}, PASSWORD)
        with gunicorn_server(production_env(url), tmp_path, WORKERS, extra=WORKER_LOG) as (base, master):
            visitor = Visitor(base)
            visitor.sign_in(EMAIL, PASSWORD)

            def download(n):
                return Visitor(base, visitor.cookies).get(f"/materials/poster.pdf?probe=durable-{n}")

            replies = until_every_worker_answers(server_log(tmp_path, base), "durable", WORKERS, download)
            assert all(r.status == 200 and r.body.startswith(b"%PDF") for r in replies)

            workers = worker_pids(master.pid)
            os.kill(master.pid, signal.SIGKILL)  # the master first, so it cannot start new workers
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            master.wait()

        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(select(Download.user_id, func.count()).group_by(Download.user_id)).all()
        finally:
            engine.dispose()
        assert rows == [(ids[EMAIL], len(replies))]
