"""Your shops, connecting them through AutoSync's consent, teams, invites and disconnecting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.template.defaultfilters import date as date_filter
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.autosync import grants
from portal.http import StaffRequest
from portal.shops import invites, services
from portal.shops.access import MANAGERS, OWNERS, shop_member
from portal.shops.forms import InviteForm
from portal.shops.models import Connection, Invite, Membership, Role, Shop
from portal.ui.templatetags.ui import ago

# Each way a consent round trip can fail: (HTTP status, title, what happened, what to do).
FAILURES = {
    "state": (
        403,
        "This connection attempt could not be verified",
        "The answer from AutoSync does not belong to a connection started in this browser "
        "session (the link may have been opened twice, or in another browser).",
        "Start again from “Connect your AutoSync shop”.",
    ),
    "denied": (
        200,
        "You did not allow access",
        "AutoSync says access was not granted, so no shop was connected.",
        "If that was a mistake, connect again and choose to allow access.",
    ),
    "code": (
        400,
        "The connection request expired",
        "AutoSync did not accept the authorization: it may have expired or been used already.",
        "Connect again, and finish on AutoSync's page within ten minutes.",
    ),
    "refused": (
        400,
        "AutoSync could not complete the connection",
        "AutoSync refused the request.",
        "Try again. If it keeps happening, contact the portal's support.",
    ),
    "down": (
        503,
        "AutoSync is not reachable right now",
        "The portal could not reach AutoSync to finish connecting.",
        "Wait a few minutes, then connect again.",
    ),
    "unregistered": (
        503,
        "The portal is not registered with AutoSync",
        "This portal has no AutoSync client id yet, so it cannot ask for access.",
        "An administrator must register it (python manage.py register_with_sandbox, or set "
        "AUTOSYNC_CLIENT_ID and AUTOSYNC_CLIENT_SECRET).",
    ),
}


def _failure(request: HttpRequest, reason: str, detail: str = "") -> HttpResponse:
    status, title, happened, todo = FAILURES[reason]
    context = {"title": title, "happened": happened, "todo": todo, "detail": detail}
    return render(request, "shops/connect_failed.html", context, status=status)


@lru_cache(maxsize=4096)
def _reversed(urlconf: str, prefix: str, name: str, args: tuple[int, ...]) -> str:
    return reverse(name, urlconf=urlconf, args=args)


def _reverser() -> Callable[..., str]:
    """`reverse(name, args=args)` for this request, remembered: a URL depends on nothing else
    than the URLconf, the script prefix and the arguments, and a list of rows reverses a few
    names many times."""
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    return lambda name, *args: _reversed(urlconf, prefix, name, args)


# The rows of the staff's lists are dicts of plain values: the template engine reads a key of
# a dict at once, where an attribute of an object costs it a failed lookup first (on a list of
# twenty rows, the difference is most of the page's time).


def _when(moment: datetime) -> dict:
    """A moment as a <time> shows it: its ISO form and how long ago it was."""
    return {"iso": date_filter(timezone.localtime(moment), "c"), "ago": ago(moment)}


#: What a shop's row reads (a field it reads and this misses costs a query per shop).
ROW_FIELDS = (
    "role",
    "shop__name",
    "shop__remote_slug",
    "shop__granted",
    "shop__connection__status",
    "shop__connection__status_changed_at",
    "shop__connection__last_refreshed_at",
)


def _shop_row(membership: Membership, url: Callable[..., str]) -> dict:
    """A shop of the list: its name and links, the viewer's role, the shop's health and since
    when its state holds (`since`: what it is, e.g. "Paused", and `when`)."""
    shop, connection = membership.shop, membership.shop.connection
    health = shop.health
    # When the state shown by the badge began, not when the link was first made.
    since, when = "", None
    if connection is not None:
        if health in (Connection.Status.DISCONNECTED, Connection.Status.NEEDS_RECONNECTING):
            since = "Disconnected" if health == Connection.Status.DISCONNECTED else "Paused"
            when = connection.status_changed_at
        elif connection.last_refreshed_at:
            since, when = "Token refreshed", connection.last_refreshed_at
        else:
            since, when = "Connected", connection.status_changed_at
    return {
        "name": shop.name,
        "slug": shop.remote_slug,
        "role": membership.get_role_display(),
        "overview_url": url("dashboard:overview", shop.pk),
        "detail_url": url("shops:detail", shop.pk),
        "health": health,
        "health_label": shop.health_label,
        "since": since,
        "when": _when(when) if when else None,
        "reconnect": health == Connection.Status.NEEDS_RECONNECTING and membership.is_owner,
    }


@login_required
@require_GET
def shop_list(request: StaffRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("shop__connection")
        .only(*ROW_FIELDS)  # not the tokens, addresses and settings: half the cost
        .order_by("shop__name")
    )
    url = _reverser()
    return render(request, "shops/list.html", {"rows": [_shop_row(m, url) for m in memberships]})


# The states of the last consents that connected shops in this session, so that going back
# to the callback says "connected" rather than "could not be verified".
COMPLETED_CONSENTS = "portal_completed_consents"
COMPLETED_KEPT = 5


@login_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    """GET: what connecting does and the access it asks for; POST: off to AutoSync's consent."""
    if not settings.AUTOSYNC_CLIENT_ID:
        return _failure(request, "unregistered")
    if request.method == "GET":
        scopes = [
            {"scope": scope, "reason": reason} for scope, reason in grants.SCOPE_REASONS.items()
        ]
        return render(request, "consent/connect.html", {"scopes": scopes})
    callback = settings.PORTAL_BASE_URL + reverse("shops:connect-callback")
    return grants.authorize_redirect(request, callback)


@sensitive_variables()  # every local: the code, the PKCE verifier, the tokens
@login_required
@require_GET
def connect_callback(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state_data = grants.pop_state(request, state)
    if state_data is None:
        return _repeated_callback(request, state) or _failure(request, "state")
    result = services.complete_consent(request.user, state_data, request.GET)
    if result.failure:
        return _failure(request, result.failure, detail=result.detail)
    if result.taken:
        return render(request, "shops/connect_taken.html", {"taken": result.taken}, status=409)
    shop_ids = [shop.pk for shop in result.shops]
    completed = request.session.get(COMPLETED_CONSENTS, {})
    completed[state] = shop_ids
    request.session[COMPLETED_CONSENTS] = dict(list(completed.items())[-COMPLETED_KEPT:])
    names = ", ".join(shop.name for shop in result.shops)
    messages.success(request, f"Connected to AutoSync: {names}.")
    return redirect("mirror:shop-sync", shop_id=shop_ids[0])


def _repeated_callback(request: HttpRequest, state: str) -> HttpResponse | None:
    """A callback this session already completed (the back button, a reload): say so."""
    shop_ids = request.session.get(COMPLETED_CONSENTS, {}).get(state) if state else None
    if not shop_ids:
        return None
    shops = list(Shop.objects.for_user(request.user).filter(pk__in=shop_ids))
    if not shops:
        return None
    names = ", ".join(shop.name for shop in shops)
    messages.info(request, f"This connection is already done: {names} is connected to AutoSync.")
    first = min(shops, key=lambda shop: shop_ids.index(shop.pk))  # where the first visit went
    return redirect("mirror:shop-sync", shop_id=first.pk)


@shop_member()
@require_GET
@vary_on_headers("HX-Request")
def shop_detail(request: StaffRequest, membership: Membership) -> HttpResponse:
    return _render_detail(request, membership, _invite_form(membership))


def _invite_form(membership: Membership, data=None) -> InviteForm:
    return InviteForm(data, shop=membership.shop, roles=membership.invitable_roles())


def _team_changed(request: StaffRequest, membership: Membership, message: str) -> HttpResponse:
    """After a change to the team: the team part for htmx, the shop page otherwise."""
    messages.success(request, message)
    if request.htmx:
        return _render_detail(request, membership, _invite_form(membership))
    return redirect(reverse("shops:detail", args=[membership.shop_id]) + "#team")


def _team(membership: Membership) -> tuple[list[dict], list[dict]]:
    """The shop's team and, for who may invite, its pending invites, as rows (two queries):
    the URLs each row's forms post to are made here, once, for the rows the viewer may change."""
    shop_id, url = membership.shop_id, _reverser()
    members = membership.shop.memberships.order_by("user__email").values_list(
        "pk", "role", "user__name", "user__email"
    )
    # The role <select>'s options with each role chosen, made once: a member's row takes its own.
    options = {
        role: format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, " selected" if value == role else "", label) for value, label in Role.choices),
        )
        for role in Role.values
    }
    team = []
    for pk, role, name, email in members:
        row = {
            "pk": pk,
            "name": name or email,  # as User.get_full_name says it
            "options": options[role],
            "role_label": Role(role).label,
            "role_url": "",
            "remove_url": "",
        }
        if membership.is_owner and pk != membership.pk:
            row["role_url"] = url("shops:member-role", shop_id, pk)
            row["remove_url"] = url("shops:member-remove", shop_id, pk)
        team.append(row)
    pending = []
    if membership.can_invite:
        for invite in membership.shop.invites.filter(accepted_at__isnull=True):
            row = {
                "pk": invite.pk,
                "email": invite.email,
                "role_label": invite.get_role_display(),
                "invited_ago": ago(invite.created_at),
                "resend_url": "",
                "cancel_url": "",
            }
            if membership.is_owner or invite.role == Role.STAFF:
                row["resend_url"] = url("shops:invite-resend", shop_id, invite.pk)
                row["cancel_url"] = url("shops:invite-cancel", shop_id, invite.pk)
            pending.append(row)
    return team, pending


def _render_detail(
    request: StaffRequest, membership: Membership, form: InviteForm, status: int = 200
) -> HttpResponse:
    team, pending = _team(membership)
    context = {
        "shop": membership.shop,
        "membership": membership,
        "team": team,
        "pending": pending,
        "form": form,
        "csrf_input": csrf_input(request),  # made once for the page's many forms
        "team_only": bool(request.htmx),
    }
    template = "shops/detail.html#team" if request.htmx else "shops/detail.html"
    return render(request, template, context, status=status)


@shop_member(MANAGERS)
@require_POST
@vary_on_headers("HX-Request")
def shop_invite(request: StaffRequest, membership: Membership) -> HttpResponse:
    form = _invite_form(membership, request.POST)
    if not form.is_valid():
        return _render_detail(request, membership, form, status=422)
    invite = form.save(commit=False)
    invite.shop = membership.shop
    invite.invited_by = request.user
    try:
        invite.save()
    except IntegrityError:  # the same address invited twice at once: one email is enough
        return _team_changed(request, membership, f"{invite.email} is already invited.")
    invites.send(invite)
    return _team_changed(request, membership, f"Invite sent to {invite.email}.")


def _pending_invite(membership: Membership, invite_id: int) -> Invite:
    invite = get_object_or_404(Invite, pk=invite_id, shop=membership.shop, accepted_at__isnull=True)
    if not membership.is_owner and invite.role != Role.STAFF:
        raise PermissionDenied("Only owners manage invites of owners and managers.")
    return invite


@shop_member(MANAGERS)
@require_POST
@vary_on_headers("HX-Request")
def invite_resend(request: StaffRequest, membership: Membership, invite_id: int) -> HttpResponse:
    invite = _pending_invite(membership, invite_id)
    invites.send(invite)
    return _team_changed(request, membership, f"Invite sent to {invite.email} again.")


@shop_member(MANAGERS)
@require_POST
@vary_on_headers("HX-Request")
def invite_cancel(request: StaffRequest, membership: Membership, invite_id: int) -> HttpResponse:
    invite = _pending_invite(membership, invite_id)
    invite.delete()  # its link now says it was withdrawn
    return _team_changed(request, membership, f"Invite of {invite.email} cancelled.")


def _teammate(membership: Membership, member_id: int) -> Membership:
    """Another member of the owner's shop; the shop always keeps at least one owner."""
    other = get_object_or_404(
        Membership.objects.select_related("user"), pk=member_id, shop=membership.shop
    )
    if other.pk == membership.pk:
        raise PermissionDenied("Ask another owner to change your own place in the team.")
    return other


@shop_member(OWNERS)
@require_POST
@vary_on_headers("HX-Request")
def member_role(request: StaffRequest, membership: Membership, member_id: int) -> HttpResponse:
    other = _teammate(membership, member_id)
    role = request.POST.get("role", "")
    if role not in Role.values:
        return HttpResponse("Choose owner, manager or staff.", status=400)
    other.role = role
    other.save(update_fields=["role"])
    name = other.user.get_full_name() or other.user.email
    return _team_changed(request, membership, f"{name} is now {Role(role).label.lower()}.")


@shop_member(OWNERS)
@require_POST
@vary_on_headers("HX-Request")
def member_remove(request: StaffRequest, membership: Membership, member_id: int) -> HttpResponse:
    other = _teammate(membership, member_id)
    other.delete()
    name = other.user.get_full_name() or other.user.email
    return _team_changed(request, membership, f"{name} was removed from the team.")


@shop_member(OWNERS)
@require_http_methods(["GET", "POST"])
def shop_disconnect(request: StaffRequest, membership: Membership) -> HttpResponse:
    connection = membership.shop.connection
    if connection is None or connection.status == Connection.Status.DISCONNECTED:
        messages.info(request, f"{membership.shop.name} is not connected.")
        return redirect("shops:detail", shop_id=membership.shop_id)
    shops = list(connection.shops.all())
    # The grant is AutoSync's unit: disconnecting ends it for every shop it reaches, so the
    # person doing it must own them all.
    owner_of = Membership.objects.filter(user=request.user, role__in=OWNERS, shop__in=shops)
    owned = set(owner_of.values_list("shop_id", flat=True))
    not_owned = [s.name for s in shops if s.pk not in owned]
    if request.method == "POST" and not not_owned:
        shops, revoked = services.disconnect(connection)
        messages.success(request, f"Disconnected {', '.join(s.name for s in shops)}.")
        if not revoked:
            messages.warning(
                request,
                "AutoSync could not be reached to revoke the access. The portal has deleted "
                "its tokens; you can also remove the portal in AutoSync's settings.",
            )
        return redirect("shops:list")
    context = {"shop": membership.shop, "shops": shops, "not_owned": not_owned}
    return render(request, "shops/disconnect.html", context, status=403 if not_owned else 200)


@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending = invites.invite_for(token)
    except invites.InviteUnusable as exc:
        return render(request, "shops/invite.html", {"problem": str(exc)}, status=410)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = invites.accept(pending, request.user)
        except invites.InviteUnusable as exc:
            return render(
                request, "shops/invite.html", {"invite": pending, "problem": str(exc)}, status=403
            )
        messages.success(request, f"You joined {membership.shop.name}.")
        return redirect("shops:detail", shop_id=membership.shop_id)
    context = {"invite": pending, "here": request.get_full_path(), "role": Role(pending.role).label}
    return render(request, "shops/invite.html", context)
