"""The sync's books: requests sent to AutoSync per shop, resource and minute, and each
resource's state (AutoSync's total at the last look, last success and error, records skipped,
when the resource became complete). The sync engine writes them; the webhook processor, the
commands and pages read them here, without importing the engine."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, models
from django.utils import timezone

from portal.autosync.client import AutoSyncClient
from portal.shops import tokens
from portal.shops.models import Shop

from .models import RequestCount, ResourceState, RunProgress, SyncRun, WebhookRefusal
from .resources import REGISTRY


def client_for(shop: Shop, budget_timeout: float | None = None) -> AutoSyncClient:
    """The shop's background client (portal.shops.tokens.client_for) whose every request is
    counted here. By default it never waits for the budget: BudgetExhausted(retry_after=…)
    tells the task when to come back, so a worker is never held (a command may wait)."""
    return tokens.client_for(
        shop,
        priority="background",
        budget_timeout=budget_timeout,
        on_request=lambda method, path, status, seconds: count_request(shop.pk, resource_of(path)),
    )


def resource_of(path: str) -> str:
    """`/shops/7/workorders/12` → `workorders` (requests are counted per resource)."""
    parts = path.strip("/").split("/")
    return parts[2] if len(parts) > 2 and parts[0] == "shops" else "shops"


def count_request(shop_id: int, resource: str) -> None:
    """Add one request to the shop's count for this minute (one upsert, race-free)."""
    minute = timezone.now().replace(second=0, microsecond=0)
    field = RequestCount._meta.get_field("minute")
    q = connection.ops.quote_name
    table = q(RequestCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('shop_id')}, {q('resource')}, {q('minute')}, {q('count')}) "  # noqa: S608
            f"VALUES (%s, %s, %s, 1) ON CONFLICT ({q('shop_id')}, {q('resource')}, {q('minute')}) "
            f"DO UPDATE SET {q('count')} = {table}.{q('count')} + 1",
            [shop_id, resource, field.get_db_prep_save(minute, connection)],
        )


def count_refusal(reason: str, shop_remote_id: int | None) -> None:
    """Add one refused webhook delivery to this hour's count (one upsert, race-free). Only a
    shop the portal knows is named: a body cannot make up rows for any number it likes."""
    if shop_remote_id is not None and not Shop.objects.filter(remote_id=shop_remote_id).exists():
        shop_remote_id = None
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    field = WebhookRefusal._meta.get_field("hour")
    q = connection.ops.quote_name
    table = q(WebhookRefusal._meta.db_table)
    columns = f"{q('shop_remote_id')}, {q('hour')}, {q('reason')}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {q('count')}) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT ({columns}) DO UPDATE SET {q('count')} = {table}.{q('count')} + 1",
            [shop_remote_id or 0, field.get_db_prep_save(hour, connection), reason],
        )


def refusals_since(shop: Shop, since) -> int:
    """Webhook deliveries naming the shop refused since `since` (counted by the hour)."""
    total = WebhookRefusal.objects.filter(shop_remote_id=shop.remote_id, hour__gte=since).aggregate(
        total=models.Sum("count")
    )["total"]
    return total or 0


def requests_last_hour(shop_id: int) -> dict[str, int]:
    since = timezone.now() - timedelta(hours=1)
    counts: dict[str, int] = {}
    for resource, count in RequestCount.objects.filter(
        shop_id=shop_id, minute__gte=since
    ).values_list("resource", "count"):
        counts[resource] = counts.get(resource, 0) + count
    return counts


def _state(shop: Shop | int, resource: str, **values) -> None:
    shop_id = shop if isinstance(shop, int) else shop.pk
    ResourceState.objects.update_or_create(shop_id=shop_id, resource=resource, defaults=values)


def note_total(shop: Shop | int, resource: str, total: int) -> None:
    """AutoSync's total of the resource, as its list just said."""
    _state(shop, resource, remote_total=total)


def listing_started(shop: Shop | int, resource: str) -> None:
    """A full sync begins: what it skips of the resource is counted afresh."""
    _state(shop, resource, skipped=0, last_skipped="")


def succeeded(shop: Shop | int, resource: str) -> None:
    _state(shop, resource, last_success_at=timezone.now(), last_error="")


def failed(shop: Shop | int, resource: str, message: str) -> None:
    _state(shop, resource, last_error=message[:2000], last_error_at=timezone.now())


def completed(shop: Shop | int, resource: str) -> None:
    """Every page of the resource was read once: from now on the mirror holds all of it (the
    first time only; a later listing does not move the date)."""
    _state(shop, resource)
    shop_id = shop if isinstance(shop, int) else shop.pk
    ResourceState.objects.filter(
        shop_id=shop_id, resource=resource, completed_at__isnull=True
    ).update(completed_at=timezone.now())


def complete(shop: Shop | int, resource: str) -> bool:
    """Whether the mirror holds all of the shop's `resource`. Booking stays closed until the
    appointments are complete: a slot is never offered against unsynced appointments."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    return ResourceState.objects.filter(
        shop_id=shop_id, resource=resource, completed_at__isnull=False
    ).exists()


def arriving(shop: Shop | int) -> list[str]:
    """The resources still arriving (never completely mirrored), in the registry's order."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    done = set(
        ResourceState.objects.filter(shop_id=shop_id, completed_at__isnull=False).values_list(
            "resource", flat=True
        )
    )
    return [name for name in REGISTRY if name not in done]


def forget_completeness(shop: Shop | int, resources: list[str]) -> None:
    """The mirrored rows of `resources` were deleted (a disconnect): they are incomplete."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    ResourceState.objects.filter(shop_id=shop_id, resource__in=resources).update(completed_at=None)


def recorded(shop: Shop) -> dict[str, dict]:
    """Per resource, what the books record: AutoSync's total, last success and error, records
    skipped, requests in the last hour. Two small queries, however large the mirror."""
    fields = ("remote_total", "last_success_at", "last_error", "skipped", "last_skipped")
    states = {
        state["resource"]: state
        for state in ResourceState.objects.filter(shop=shop).values("resource", *fields)
    }
    spent = requests_last_hour(shop.pk)
    result = {}
    for name in REGISTRY:
        state = states.get(name)
        result[name] = {
            "remote_total": state["remote_total"] if state else None,
            "last_success": state["last_success_at"] if state else None,
            "last_error": (state["last_error"] or None) if state else None,
            "skipped": state["skipped"] if state else 0,
            "last_skipped": (state["last_skipped"] or None) if state else None,
            "requests_last_hour": spent.get(name, 0),
        }
    return result


def last_full_listing(shop: Shop) -> dict[str, int]:
    """Per resource, the records the shop's newest finished full sync read (its progress):
    what the mirror held once that sync was done. One query, however large the mirror."""
    newest = SyncRun.objects.filter(
        shop=shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.DONE
    ).values("pk")[:1]
    return dict(
        RunProgress.objects.filter(run=models.Subquery(newest)).values_list("resource", "done")
    )


def status_of(shop: Shop) -> dict[str, dict]:
    """Per resource: mirrored count (counted now: for commands and rare pages), and what the
    books record (`recorded`)."""
    return {
        name: {"mirrored": REGISTRY[name].model.objects.of(shop).live().count(), **book}
        for name, book in recorded(shop).items()
    }
