"""Access logs without secrets: the OAuth callback's `code` and `state` (and any parameter
named like a token) are replaced in runserver's and gunicorn's access lines."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

from portal.debug import redact_query, redact_url

REQUEST_TARGET = re.compile(r"(?P<target>/\S*\?\S*)")


def _redact_line(text: str) -> str:
    return REQUEST_TARGET.sub(lambda m: redact_url(m.group("target")), text)


class RedactQuery(logging.Filter):
    """For runserver's `django.server` logger: its args hold the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_line(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _redact_line(record.msg)
        return True


class GunicornLogger(Logger):
    """gunicorn's access log with the same redaction (`-c python:portal.gunicorn_conf`)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key == "q" and isinstance(value, str):
                atoms[key] = redact_query(value)
            elif isinstance(value, str) and "?" in value:
                # %(r)s, the Referer, {raw_uri}e, {query_string}e...
                atoms[key] = _redact_line(value) if "/" in value else redact_query(value)
        return atoms


class RequestAndTask(logging.Filter):
    """Adds `request_id` (django-guid's, carried from the web request into its tasks) and
    `task_id` (the running Celery task's) to every record, and `context`, both in brackets
    for readable lines ("" outside a request and a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery import current_task
        from django_guid import get_guid

        record.request_id = get_guid()
        task = current_task
        record.task_id = task.request.id if task and task.request.id else None
        ids = [
            f"{label}={value}"
            for label, value in (("request", record.request_id), ("task", record.task_id))
            if value
        ]
        record.context = f" [{' '.join(ids)}]" if ids else ""
        return True
