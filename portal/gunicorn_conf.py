"""gunicorn settings of the portal: `gunicorn portal.wsgi -c python:portal.gunicorn_conf`.

The access log keeps its usual format, but without the OAuth callback's code and state; with
DEBUG off, the deployment checks run before any worker starts (portal.checks)."""

logger_class = "portal.logfilters.GunicornLogger"


def on_starting(server) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from portal.checks import refuse_to_start_unsafe

    refuse_to_start_unsafe()
