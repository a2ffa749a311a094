"""What needs an answer: booking requests, bookings AutoSync would not take, and owners'
change or cancel requests. The answers are `portal.booking.services`' (the same guarded path
as the public booking); these views only ask and say what happened.

The items are never swapped under a service writer's hands (a note half typed would go): a
notice at the top asks for the inbox's version (`news`) every REFRESH_SECONDS and, once it
differs from the version the items were rendered with, says so with a link that reloads the
inbox. While nothing changed the answer is 204, rendering nothing."""

from __future__ import annotations

from dataclasses import dataclass

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
from portal.shops.models import Membership, Shop

from . import polls, sql
from .health import frame
from .views import REFRESH_SECONDS, SEEN_HEADER, signed_out_poll
from .waiting import WAITING, changes_of, failures_of, requests_of, with_appointments


class AnswerForm(forms.Form):
    """An answer: which button was pressed, and the note (shown to the owner)."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("approve", "decline", "retry", "done")],
        error_messages={"invalid_choice": "Choose an answer."},
    )
    note = forms.CharField(required=False, max_length=2000, strip=True)


#: What waits, in one query: the bookings to answer (the `booking_to_answer` partial index's
#: rows: requests and failures nobody dealt with) and the pending change requests (few, with
#: their bookings: "still being sent" and the like show in their rows). How many, the newest
#: of each (a new item has a larger id), and the latest `updated_at` (an item that left and
#: one that came back at once, a booking's state moving on). Written out like
#: figures._VERSION_SQL: every open inbox asks for it every 20 s.
_NEWS_SQL = """
SELECT waiting.bookings, waiting.newest_booking, waiting.touched,
  changes.changes, changes.newest_change, changes.touched
FROM
  (SELECT COUNT(*) AS bookings, MAX(id) AS newest_booking, MAX(updated_at) AS touched
     FROM {booking} WHERE shop_id = %(shop)s AND state IN (%(requested)s, %(failed)s)
     AND answered_at IS NULL) AS waiting,
  (SELECT COUNT(*) AS changes, MAX(c.id) AS newest_change, MAX(b.updated_at) AS touched
     FROM {change} AS c LEFT JOIN {booking} AS b ON b.id = c.booking_id
     WHERE c.shop_id = %(shop)s AND c.outcome = %(pending)s) AS changes
"""


@dataclass(frozen=True)
class News:
    """The inbox's version: how many wait, the newest booking and change request (0 for
    none), and the tag of all of it."""

    waiting: int
    newest_booking: int
    newest_change: int
    tag: str

    def came_in(self, waiting: int, newest_booking: int, newest_change: int) -> bool:
        """Whether something new arrived since the inbox showed these figures (else an item
        went, or changed)."""
        return (
            self.newest_booking > newest_booking
            or self.newest_change > newest_change
            or self.waiting > waiting
        )


def news_of(shop: Shop) -> News:
    """The inbox's version now (`_NEWS_SQL`, one query)."""
    params = {"shop": shop.pk, **WAITING}
    row = sql.one_row(_NEWS_SQL, params, booking=Booking, change=ChangeRequest)
    return News(
        waiting=row[0] + row[3],
        newest_booking=row[1] or 0,
        newest_change=row[4] or 0,
        tag=polls.tag_of(*row),
    )


def _number(request: StaffRequest, key: str) -> int:
    value = request.GET.get(key, "")
    return int(value) if value.isdigit() and len(value) < 19 else 0


@signed_out_poll
@shop_member()
@require_GET
@vary_on_headers("HX-Request", SEEN_HEADER)
def news(request: StaffRequest, membership: Membership) -> HttpResponse:
    """The inbox's notice, polled: 204 while the inbox is as the page shows it (its tag in
    `X-Dashboard-Seen`; 304 to `If-None-Match`), else the notice saying what changed (the
    page's figures in the query: `n` waiting, the newest booking `b` and change `c`), which
    polls no more. Without htmx, the inbox."""
    current = news_of(membership.shop)
    if unchanged := polls.unchanged(request, current.tag):
        return unchanged
    if not request.htmx:
        return redirect("dashboard:inbox", shop_id=membership.shop_id)
    context = {
        "shop": membership.shop,
        "news": current,
        "changed": True,
        "came_in": current.came_in(
            _number(request, "n"), _number(request, "b"), _number(request, "c")
        ),
    }
    return polls.tagged(render(request, "dashboard/manage/inbox.html#news", context), current.tag)


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
    # The version first: a change while the items are read shows as news at the next poll.
    news = news_of(shop)
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
        "news": news,
        "refresh_seconds": REFRESH_SECONDS,
        "seen_header": SEEN_HEADER,
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
