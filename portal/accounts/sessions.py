"""Django's database sessions, read with SQL compiled once per process.

Every page with a session cookie reads its session: through the ORM, building that one
`SELECT` took longer than the database took to answer it (a third of a garage poll). The
query is the ORM's own (`Session.objects.filter(session_key=…, expire_date__gt=now)`),
compiled once with stand-ins for the key and the time; everything else is Django's
`django.contrib.sessions.backends.db` as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

_KEY, _NOW = "stand-in-session-key", datetime(1901, 1, 1, tzinfo=UTC)


@cache
def _query(alias: str, vendor: str) -> tuple[str, list, int, int]:
    """The SQL, its parameters, and the positions of the key and of the time among them."""
    rows = Session.objects.using(alias).filter(session_key=_KEY, expire_date__gt=_NOW)
    sql, params = rows.values_list("session_data").query.sql_with_params()
    params = list(params)
    return sql, params, params.index(_KEY), params.index(_adapt(_NOW, alias))


def _adapt(moment: datetime, alias: str):
    connection = connections[alias]
    return connection.ops.adapt_datetimefield_value(moment)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        alias = router.db_for_read(Session)
        sql, params, key_at, now_at = _query(alias, connections[alias].vendor)
        params = list(params)
        params[key_at] = self.session_key
        params[now_at] = _adapt(timezone.now(), alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return Session(session_key=self.session_key, session_data=row[0])
