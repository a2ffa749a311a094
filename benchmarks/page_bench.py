"""What the page benchmarks (booking_pages, garage_pages, dashboard_pages) share: production
settings on a work directory and database of the run's own."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support.servers import fresh_database_url


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
