"""The webhook receiver (a signed machine endpoint) and a shop's sync progress page."""

from __future__ import annotations

import hashlib
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.autosync.signatures import verify_signature
from portal.http import StaffRequest
from portal.shops.access import shop_member
from portal.shops.models import Membership, Shop

from . import books, progress, records
from .models import WebhookEvent, WebhookRefusal
from .tasks import process_event

log = logging.getLogger(__name__)


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _event(raw: bytes) -> tuple[dict | None, str]:
    """The body as the contract shapes an event, cleaned for storage; or None and why not."""
    try:
        # NaN and Infinity are not JSON (and PostgreSQL's jsonb refuses them).
        body = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, "the body is not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        return None, "the body is not an AutoSync event"
    shop_id, timestamp = body.get("shop_id"), body.get("timestamp")
    if records.integer(shop_id) is None or shop_id <= 0:
        return None, "shop_id is not an AutoSync shop id"
    if not 0 < len(body["event"]) <= 64:
        return None, "event is not an event name"
    if not (timestamp is None or (isinstance(timestamp, str) and len(timestamp) <= 64)):
        return None, "timestamp is not a time"
    if not isinstance(body.get("data", {}), dict):
        return None, "data is not an object"
    try:
        return records.payload(body), ""
    except records.Unmappable as error:
        return None, f"the body cannot be stored: {error}"


def _named_shop(raw: bytes) -> int | None:
    """The shop id a refused body names, if it names one (for the shop's health page)."""
    try:
        body = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    shop_id = body.get("shop_id") if isinstance(body, dict) else None
    return shop_id if records.integer(shop_id) is not None and shop_id > 0 else None


# No CSRF token: AutoSync is not a browser with a session. The HMAC signature over the raw
# body is this endpoint's authentication, checked before anything else is done.
@csrf_exempt
@require_POST
def autosync_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, record once, answer at once; a task applies it. Once: under the delivery's id
    and under the body's digest (a resend under a new delivery id is the same event)."""
    raw = request.body
    signature = request.headers.get("X-AutoSync-Signature")
    if not verify_signature(raw, signature, settings.AUTOSYNC_WEBHOOK_SECRET):
        log.warning("Refused a webhook with a missing or bad signature")
        # Counted for no shop: anyone can send a body naming a shop, and only a signed one
        # is AutoSync's word (the secret is the portal's, so a wrong one shows portal-wide).
        books.count_refusal(WebhookRefusal.Reason.SIGNATURE, None)
        return JsonResponse({"error": "invalid signature"}, status=401)
    body, problem = _event(raw)
    if body is None:
        log.warning("Refused a signed webhook: %s", problem)
        books.count_refusal(WebhookRefusal.Reason.MALFORMED, _named_shop(raw))
        return JsonResponse({"error": problem}, status=400)
    if not Shop.objects.syncable().filter(remote_id=body["shop_id"]).exists():
        # Personal data of a shop we do not mirror: not kept at all.
        log.info(
            "Webhook %s for AutoSync shop %s ignored: not connected", body["event"], body["shop_id"]
        )
        return JsonResponse({"received": True, "ignored": True})
    digest = hashlib.sha256(raw).hexdigest()
    delivery = (request.headers.get("X-AutoSync-Delivery") or "").strip()
    # Without a delivery id the body itself is the key: a resend is byte-identical.
    key = delivery if 0 < len(delivery) <= 100 else "sha256:" + digest
    # Both `key` and `digest` are unique: a repeat of either is refused by the database, in
    # one statement, whoever recorded it first.
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                key=key,
                digest=digest,
                name=body["event"],
                shop_remote_id=body["shop_id"],
                timestamp=body.get("timestamp") or "",
                body=body,
            )
            process_event.delay(event.pk)  # queued when this transaction commits
    except IntegrityError:  # the same delivery or the same body, recorded already
        return JsonResponse({"received": True, "duplicate": True})
    return JsonResponse({"received": True, "duplicate": False})


@shop_member()
@require_GET
@vary_on_headers("HX-Request")
def shop_sync(request: StaffRequest, membership: Membership) -> HttpResponse:
    """A shop's sync: progress bars per resource while it runs, the books after."""
    # ?panel=1 is the shop page's panel: the bars only, polled while a sync runs.
    context = progress.context(membership.shop, compact=request.GET.get("panel") == "1")
    template = "mirror/sync.html#progress" if request.htmx else "mirror/sync.html"
    return render(request, template, context)
