"""WSGI entry point of the sandbox (gunicorn sandbox.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

# Always the sandbox: a caller may have exported the portal's settings (pytest-django does).
os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
application = get_wsgi_application()
