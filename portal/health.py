"""Health for load balancers and operators (docs/deploy.md).

- `/healthz`: can this web process serve pages? Its database, cache and broker answer, and its
  static files were collected (with hashed static files, a missing manifest would answer every
  page with a 500). 200 when all pass, 500 otherwise (django-health-check's view: HTML, or JSON
  with `Accept: application/json` or `?format=json`).
- `/readyz`: the same checks, plus what only the portal knows: how long ago the newest webhook
  was processed, how many webhooks wait, and how many syncs failed in the last 24 hours; 503
  when a check fails. Counts and ages only: no shop, customer or token in it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import storages
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """Celery's broker accepts a connection (Redis in production, the folder in development)."""

    def run(self) -> None:
        from portal.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as error:  # kombu raises many kinds; the message names none
            raise ServiceUnavailable("The broker does not answer.") from error


@dataclasses.dataclass
class StaticFiles(HealthCheck):
    """Hashed static files need `collectstatic`'s manifest: without it every page fails."""

    def run(self) -> None:
        storage = storages["staticfiles"]
        if isinstance(storage, ManifestFilesMixin) and storage.read_manifest() is None:
            raise ServiceUnavailable("Static files are not collected: run collectstatic.")


class Healthz(HealthCheckView):
    checks = (Database, Cache, Broker, StaticFiles)


def _portal_figures() -> dict:
    from portal.mirror.models import SyncRun, WebhookEvent

    now = timezone.now()
    newest = WebhookEvent.objects.filter(processed_at__isnull=False).aggregate(
        at=Max("processed_at")
    )["at"]
    return {
        "newest_webhook_processed_seconds_ago": (
            round((now - newest).total_seconds()) if newest else None
        ),
        "webhooks_waiting": WebhookEvent.objects.filter(processed_at__isnull=True).count(),
        "failed_syncs_24h": SyncRun.objects.filter(
            status=SyncRun.Status.FAILED, finished_at__gte=now - timedelta(hours=24)
        ).count(),
    }


class Readyz(Healthz):
    async def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        failing = [type(result.check).__name__ for result in results if result.error]
        report: dict = {"ready": not failing, "failing": failing}
        if "Database" not in failing:
            report |= await sync_to_async(_portal_figures)()
        return JsonResponse(report, status=503 if failing else 200)
