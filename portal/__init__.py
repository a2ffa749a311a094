"""The AutoSync customer portal: a Django project, an OAuth platform integration of AutoSync."""

from .celery import app as celery_app

__all__ = ("celery_app",)
