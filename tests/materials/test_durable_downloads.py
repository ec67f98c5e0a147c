"""Every download that is sent is on record: each is committed in its own request before the PDF goes
out, so killing every worker and the master outright (SIGKILL, no chance to clean up) loses none.
Through a real gunicorn server with four workers, on a database of its own."""

import os
import signal

from sqlalchemy import create_engine, func, select

from bench.http import Visitor
from materials.models import Download
from tests.support import served_site, until_every_worker_answers, worker_pids

WORKERS = 4
PASSWORD = "a-long-password-for-tests"
EMAIL = "downloads@school.example.org"


def test_no_download_is_lost_when_every_process_is_killed(tmp_path):
    with served_site(tmp_path, "durable", {EMAIL: "dsl"}, PASSWORD, WORKERS) as site:
        visitor = Visitor(site.base)
        visitor.sign_in(EMAIL, PASSWORD)

        def download(n):
            return Visitor(site.base, visitor.cookies).get(f"/materials/poster.pdf?probe=durable-{n}")

        replies = until_every_worker_answers(site.log, "durable", WORKERS, download)
        assert all(r.status == 200 and r.body.startswith(b"%PDF") for r in replies)

        workers = worker_pids(site.master.pid)
        os.kill(site.master.pid, signal.SIGKILL)  # the master first, so it cannot start new workers
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        site.master.wait()

        engine = create_engine(site.url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(select(Download.user_id, func.count()).group_by(Download.user_id)).all()
        finally:
            engine.dispose()
    assert rows == [(site.ids[EMAIL], len(replies))]
