"""Which emails an owner gets: the preferences page, and the one-click unsubscribe link every
notification carries (RFC 8058)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.accounts.owners import owner_required
from portal.http import VehicleOwnerRequest

from . import notify
from .forms import WORDING, PreferencesForm
from .models import Notification
from .views import owner_links

#: When each kind of email is sent, as the unsubscribe page says it ("… when your car is …").
WHEN = {
    Notification.Kind.READY.value: "your car is ready for pickup",
    Notification.Kind.INSPECTION.value: "your shop sends you an inspection report",
    Notification.Kind.PAYMENT.value: "your shop receives a payment of yours",
}


@owner_required
@require_http_methods(["GET", "POST"])
def preferences(request: VehicleOwnerRequest) -> HttpResponse:
    email = request.owner.email
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            notify.choose(email, form.wanted())
            messages.success(request, "Saved: we email you only about what is ticked.")
            return redirect("garage:preferences")
    else:
        off = notify.turned_off(email)
        form = PreferencesForm(initial={kind: kind not in off for kind in WORDING})
    context = {"form": form, "owner_links": owner_links(request)}
    return render(request, "garage/notify/preferences.html", context)


# A mail provider's one-click POST comes without the portal's cookies: the signed token in the
# URL is what authorises it, and all it can do is stop one kind of email to one address.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: VehicleOwnerRequest) -> HttpResponse:
    """A GET asks to confirm (a mail scanner's visit unsubscribes nobody); the POST, from
    that page or from the mail app's "Unsubscribe" (List-Unsubscribe-Post), turns the kind
    off without signing in."""
    found = notify.read_unsubscribe_token(request.GET.get("token", ""))
    if found is None:
        return render(request, "garage/notify/unsubscribe.html", {"invalid": True}, status=404)
    email, kind = found
    context = {"email": email, "when": WHEN[kind]}
    if request.method == "POST":
        notify.turn_off(email, kind)
        context["done"] = True
    return render(request, "garage/notify/unsubscribe.html", context)
