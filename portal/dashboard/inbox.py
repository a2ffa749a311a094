"""What needs an answer: booking requests, bookings AutoSync would not take, and owners'
change or cancel requests. The answers are `portal.booking.services`' (the same guarded path
as the public booking); these views only ask and say what happened."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.booking import services
from portal.booking.models import Booking, ChangeRequest
from portal.http import StaffRequest
from portal.shops.access import shop_member
from portal.shops.models import Membership

from .health import frame
from .waiting import changes_of, failures_of, requests_of, with_appointments


class AnswerForm(forms.Form):
    """An answer: which button was pressed, and the note (shown to the owner)."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("approve", "decline", "retry", "done")],
        error_messages={"invalid_choice": "Choose an answer."},
    )
    note = forms.CharField(required=False, max_length=2000, strip=True)


@shop_member()
@require_GET
@vary_on_headers("HX-Request")
def inbox(request: StaffRequest, membership: Membership) -> HttpResponse:
    return _render(request, membership)


def _render(
    request: StaffRequest, membership: Membership, status: int = 200, kept: tuple = ()
) -> HttpResponse:
    """The inbox, or its items for htmx. `kept` is (kind, id, note) of an answer that was
    not taken: its note is shown again as it was typed."""
    shop = membership.shop
    requests, failures, changes = (
        list(requests_of(shop)),
        list(failures_of(shop)),
        with_appointments(shop, list(changes_of(shop))),
    )
    context = {
        **frame(membership, "inbox", waiting=len(requests) + len(failures) + len(changes)),
        "requests": requests,
        "failures": failures,
        "changes": changes,
        "items_only": bool(request.htmx),
        "kept": kept,
    }
    template = "dashboard/manage/inbox.html" + ("#items" if request.htmx else "")
    return render(request, template, context, status=status)


def _answered(
    request: StaffRequest, membership: Membership, status: int = 200, kept: tuple = ()
) -> HttpResponse:
    """After an answer: the items for htmx (with the message); without JavaScript the inbox,
    redirected to after a success (PRG), rendered with the note kept after a refusal."""
    if request.htmx:
        # htmx swaps 2xx and 422 only (base.html): a refusal it must show comes as a 422.
        return _render(request, membership, status=422 if status >= 400 else 200, kept=kept)
    if status != 200:
        return _render(request, membership, status=status, kept=kept)
    return redirect("dashboard:inbox", shop_id=membership.shop_id)


@shop_member()
@require_POST
@vary_on_headers("HX-Request")
def answer_booking(request: StaffRequest, membership: Membership, booking_id: int) -> HttpResponse:
    """Approve or decline a request; retry, decline or mark done a failed booking."""
    booking = get_object_or_404(
        Booking.objects.select_related("shop"), pk=booking_id, shop=membership.shop
    )
    form = AnswerForm(request.POST)
    kept = ("booking", booking.pk, request.POST.get("note", ""))
    if not form.is_valid():
        messages.error(request, _problem(form))
        return _answered(request, membership, status=422, kept=kept)
    action, note = form.cleaned_data["action"], form.cleaned_data["note"]
    allowed = {
        Booking.State.REQUESTED: {"approve", "decline"},
        Booking.State.FAILED: {"retry", "decline", "done"},
    }.get(booking.state, set())
    status = 200
    try:
        if action not in allowed:
            raise services.AlreadyAnswered
        if action == "approve":
            services.approve_request(booking, request.user, note)
            messages.success(request, f"Approved {booking.name}'s visit: sent to AutoSync.")
        elif action == "retry":
            services.retry_failed(booking, request.user, note)
            messages.success(request, f"Sending {booking.name}'s visit to AutoSync again.")
        elif action == "decline":
            services.decline_request(booking, request.user, note)
            messages.success(request, f"Declined {booking.name}'s visit: they will get an email.")
        else:
            services.dismiss_failed(booking, request.user, note)
            messages.success(request, f"{booking.name}'s booking is marked as dealt with.")
    except services.SlotTaken:
        status = 409
        messages.error(
            request,
            f"{booking.name}'s time is no longer free (the bays are full then, the shop's "
            "hours changed, or the time has passed), so nothing was sent to AutoSync. Decline "
            "it with a note suggesting another time, or call them.",
        )
    except services.AlreadyAnswered:
        status = 409
        messages.info(request, f"{booking.name}'s booking was already answered.")
    return _answered(request, membership, status=status, kept=kept if status != 200 else ())


@shop_member()
@require_POST
@vary_on_headers("HX-Request")
def answer_change(request: StaffRequest, membership: Membership, change_id: int) -> HttpResponse:
    """Mark an owner's change or cancel request done (made at AutoSync), or decline it: about
    a portal booking or an appointment the shop made by phone, the owner is emailed."""
    change = get_object_or_404(
        ChangeRequest.objects.select_related("booking"), pk=change_id, shop=membership.shop
    )
    form = AnswerForm(request.POST)
    kept = ("change", change.pk, request.POST.get("note", ""))
    if not form.is_valid() or form.cleaned_data["action"] not in ("done", "decline"):
        messages.error(request, _problem(form) if form.errors else "Choose an answer.")
        return _answered(request, membership, status=422, kept=kept)
    outcome = (
        ChangeRequest.Outcome.DONE
        if form.cleaned_data["action"] == "done"
        else ChangeRequest.Outcome.DECLINED
    )
    name = change.booking.name if change.booking else change.email
    try:
        services.answer_change_request(change, request.user, outcome, form.cleaned_data["note"])
    except services.AlreadyAnswered:
        messages.info(request, f"{name}'s request was already answered.")
        return _answered(request, membership, status=409)
    except services.StillConfirming:
        messages.error(
            request,
            f"{name}'s visit is still being sent to AutoSync. Once it shows as confirmed, "
            "cancel the appointment in AutoSync, then mark this done.",
        )
        return _answered(request, membership, status=409, kept=kept)
    messages.success(request, f"Answered {name}'s request: they will get an email.")
    return _answered(request, membership)


def _problem(form: AnswerForm) -> str:
    if "note" in form.errors:
        return "The note is too long: keep it under 2,000 characters."
    return "Choose an answer."
