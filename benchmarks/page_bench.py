"""What the page benchmarks (booking_pages, garage_pages, dashboard_pages, staff_pages) share:
production settings on a work directory and database of the run's own, their command line,
the portal set up and served, a signed-in session, and the in-process query counts and
processor time of a page."""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support.servers import Gunicorn, drop_database, fresh_database_url


def production_on_this_machine(prefix: str) -> tuple[Path, str]:
    """A new work directory and database (SQLite there, or a fresh one beside DATABASE_URL),
    and the environment set for the portal with DEBUG off on them, plain HTTP, and the
    portal's /bare/ page beside it (benchmarks.booking_site). Returns both."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    database_url = fresh_database_url(os.environ.get("DATABASE_URL"), work)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.booking_site",  # the portal, plus /bare/
            "DEBUG": "0",
            # Production code on this machine's SQLite and folder broker: skip the start checks.
            "PORTAL_CHECK_ON_START": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(work),
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    return work, database_url


def arguments(description: str, requests: int = 400) -> argparse.Namespace:
    """The command line every page benchmark takes: requests per page, how many at once,
    gunicorn's workers, and a file to write the table's rows to."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--requests", type=int, default=requests, help="per page")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--json", help="also write the figures here, as rows of the table")
    return parser.parse_args()


@contextmanager
def portal_run(work: Path, database_url: str, workers: int) -> Iterator[Callable[[], Gunicorn]]:
    """Django set up on the settings production_on_this_machine chose, the run's database
    migrated and the static files collected (whitenoise serves them). Gives a function that
    serves the portal (with /bare/) under gunicorn on 127.0.0.1, logging into `work`; at the
    end, whatever happened, that server stops and the run's database is dropped."""
    servers = []

    def serve() -> Gunicorn:
        servers.append(
            Gunicorn(
                "portal.wsgi:application",
                {},
                log_path=work / "gunicorn.log",
                workers=workers,
                ready_path="/bare/",
            )
        )
        return servers[-1]

    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        yield serve
    finally:
        for server in servers:
            server.stop()
        drop_database(database_url)


def session_cookie(user=None, values: dict | None = None) -> str:
    """A new session's Cookie header, as a browser sends it: signed in as `user` (the
    staff's sign-in) if given, and holding `values` (the garage's sign-in puts the owner's
    email there)."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        client.force_login(user)
    if values:
        session = client.session
        session.update(values)
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def poll_pass(cookie: str, scope: str, what) -> dict:
    """The poll pass header the page gives the session of `cookie` (portal.accounts.passes),
    as the page's poll sends it back."""
    from portal.accounts import passes

    return {passes.HEADER: passes.for_session(cookie.split("=", 1)[1], scope, what)}


def client(cookie: str = ""):
    """Django's test client as the benchmark's requests come: to 127.0.0.1, with `cookie`."""
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", **({"HTTP_COOKIE": cookie} if cookie else {}))


def query_counts(
    pages: dict[str, str | tuple[str, dict, int]], cookie: str = "", repeat_view: bool = False
) -> dict[str, int]:
    """The queries each page makes, read in-process through the test client. A page is a
    path (answering 200), or a path with its headers and the status it answers. With
    `repeat_view`, each is requested once before it is counted, as a repeat view makes them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client(cookie)
    counts = {}
    for name, page in pages.items():
        path, headers, status = (page, {}, 200) if isinstance(page, str) else page
        if repeat_view:
            browser.get(path, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(path, headers=headers)
        if response.status_code != status:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[name] = len(queries)
    return counts


def cpu_ms(
    paths: str | list[str],
    cookie: str = "",
    headers: dict | None = None,
    count: int = 50,
    average=statistics.mean,
) -> float:
    """The processor time of one request (to `paths` in turn) through Django in this process,
    in ms: the `average` (the mean, or another such as statistics.median) of `count` after one
    to warm up. It is the page's own cost, without the server, the network or the other
    processes on a shared machine (SQLite's work included, PostgreSQL's not), so it holds up
    where requests per second do not."""
    paths = [paths] if isinstance(paths, str) else paths
    browser = client(cookie)
    browser.get(paths[0], headers=headers)  # warm
    times = []
    for n in range(count):
        started = time.process_time()
        browser.get(paths[n % len(paths)], headers=headers)
        times.append(time.process_time() - started)
    return average(times) * 1000
