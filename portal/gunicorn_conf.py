"""gunicorn settings of the portal: `gunicorn portal.wsgi -c python:portal.gunicorn_conf`.

The access log keeps its usual format, but without the OAuth callback's code and state."""

logger_class = "portal.logfilters.GunicornLogger"
