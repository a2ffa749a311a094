"""The webhook receiver (a signed machine endpoint) and a shop's sync progress page."""

from __future__ import annotations

import hashlib
import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.autosync.signatures import verify_signature
from portal.shops.models import Membership

from . import progress
from .models import WebhookEvent
from .tasks import process_event

log = logging.getLogger(__name__)


# No CSRF token: AutoSync is not a browser with a session. The HMAC signature over the raw
# body is this endpoint's authentication, checked before anything else is done.
@csrf_exempt
@require_POST
def autosync_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, record once under the delivery's key, answer at once; a task applies it."""
    raw = request.body
    signature = request.headers.get("X-AutoSync-Signature")
    if not verify_signature(raw, signature, settings.AUTOSYNC_WEBHOOK_SECRET):
        log.warning("Refused a webhook with a missing or bad signature")
        return JsonResponse({"error": "invalid signature"}, status=401)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "the body is not JSON"}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        return JsonResponse({"error": "the body is not an AutoSync event"}, status=400)
    shop_id = body.get("shop_id")
    delivery = (request.headers.get("X-AutoSync-Delivery") or "").strip()
    # Without a delivery id the body itself is the key: a resend is byte-identical.
    key = delivery if 0 < len(delivery) <= 100 else "sha256:" + hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            key=key,
            defaults={
                "name": body["event"][:64],
                "shop_remote_id": shop_id if isinstance(shop_id, int) else None,
                "timestamp": str(body.get("timestamp") or "")[:64],
                "body": body,
            },
        )
        if created:
            process_event.delay(event.pk)  # queued when this transaction commits
    return JsonResponse({"received": True, "duplicate": not created})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def shop_sync(request: HttpRequest, shop_id: int) -> HttpResponse:
    """A shop's sync: progress bars per resource while it runs, the books after."""
    membership = get_object_or_404(
        Membership.objects.select_related("shop__connection"), user=request.user, shop_id=shop_id
    )
    # ?panel=1 is the shop page's panel: the bars only, polled while a sync runs.
    context = progress.context(membership.shop, compact=request.GET.get("panel") == "1")
    template = "mirror/sync.html#progress" if request.htmx else "mirror/sync.html"
    return render(request, template, context)
