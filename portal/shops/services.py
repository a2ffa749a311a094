"""What happens to shops and connections: consent, connect, reconnect, lose the grant,
disconnect."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from portal import crypto
from portal.autosync import errors, grants
from portal.autosync.oauth import TokenResponse
from portal.autosync.text import clean
from portal.shops.models import Connection, Membership, Role, Shop
from portal.shops.signals import connection_needs_reconnecting, shop_disconnected

log = logging.getLogger(__name__)


@dataclass
class ConnectOutcome:
    connection: Connection | None = None
    shops: list[Shop] = field(default_factory=list)
    #: Shops another portal team already connected: nothing was stored.
    taken: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.taken)


@dataclass
class ConsentResult:
    """How a consent round trip ended: `failure` (a reason the callback has a page for) and
    its `detail`, or `taken` (shops of another team), or the connected `shops`."""

    failure: str | None = None
    detail: str = ""
    taken: list[str] = field(default_factory=list)
    shops: list[Shop] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return bool(self.shops)


@sensitive_variables()
def complete_consent(user, state_data: dict, query: Mapping[str, str]) -> ConsentResult:
    """The end of a consent this session started (`state_data`, from grants.pop_state), with
    AutoSync's answer in `query`: exchange the code, list the shops the grant reaches and
    connect them for `user`.

    Once tokens were issued, every way of not keeping them (a refusal, an error of AutoSync,
    a bug of ours) revokes the grant here before returning or raising: a grant the portal
    does not keep must not stay live."""
    error = query.get("error")
    if error == "access_denied":
        return ConsentResult(failure="denied")
    code = query.get("code")
    if error or not code:
        log.warning("AutoSync's consent came back with error %r", error)
        return ConsentResult(failure="refused", detail=f"AutoSync answered: {error or 'no code'}.")
    try:
        tokens = grants.exchange(state_data, code)
    except grants.CodeRejected:
        return ConsentResult(failure="code")
    except errors.AutoSyncError as exc:
        log.warning("Exchanging a consent code failed: %r", exc)
        return ConsentResult(failure="refused" if exc.permanent else "down")
    result = None
    try:
        result = _keep(user, tokens)
        return result
    finally:
        if result is None or not result.connected:
            grants.revoke_issued(tokens)


@sensitive_variables()
def _keep(user, tokens: TokenResponse) -> ConsentResult:
    try:
        remote_shops = grants.list_shops(tokens.access_token)
    except errors.AutoSyncError as exc:
        log.warning("Listing the shops of a new grant failed: %r", exc)
        if isinstance(exc, errors.InsufficientScope):
            detail = "The shops list was not part of the grant."
            return ConsentResult(failure="refused", detail=detail)
        return ConsentResult(failure="refused" if exc.permanent else "down")
    if not remote_shops:
        return ConsentResult(failure="refused", detail="No shop was selected on AutoSync's page.")
    try:
        outcome = connect(user, tokens, remote_shops)
    except IntegrityError:
        # Another consent for the same new shops was saved at the same moment.
        return ConsentResult(failure="refused", detail="The shops were being connected twice.")
    if outcome.refused:
        return ConsentResult(taken=outcome.taken)
    return ConsentResult(shops=outcome.shops)


@sensitive_variables()
def connect(user, tokens: TokenResponse, remote_shops: list[dict]) -> ConnectOutcome:
    """Store a new grant for the shops it reaches, or refuse and store nothing.

    A grant that reaches shops already connected by the same owner updates that connection in
    place (reconnecting); shops it no longer reaches are marked not granted. A shop whose team
    does not include `user` as an owner is never attached to them."""
    remote_ids = [int(s["id"]) for s in remote_shops]
    with transaction.atomic():
        existing = {
            s.remote_id: s
            for s in Shop.objects.select_for_update(of=("self",))
            .filter(remote_id__in=remote_ids)
            .select_related("connection")
        }
        owned = set(
            Membership.objects.filter(
                user=user, role=Role.OWNER, shop__in=existing.values()
            ).values_list("shop_id", flat=True)
        )
        taken = [s.name for s in existing.values() if s.pk not in owned and s.memberships.exists()]
        if taken:
            return ConnectOutcome(taken=sorted(taken))

        previous = sorted(
            {s.connection for s in existing.values() if s.connection}, key=lambda c: c.pk
        )
        connection = previous[0] if previous else Connection()
        replaced = [t for t in [_stored_refresh_token(connection)] if t]
        connection.store_tokens(tokens)
        connection.connected_by = user
        connection.set_status(Connection.Status.CONNECTED)
        connection.save()

        shops = []
        for data in remote_shops:
            shop = existing.get(int(data["id"])) or Shop(remote_id=int(data["id"]))
            shop.name = clean(str(data.get("name") or ""))[:255] or f"Shop {data['id']}"
            shop.remote_slug = clean(str(data.get("slug") or ""))[:255]
            shop.remote_status = clean(str(data.get("status") or ""))[:32]
            shop.keep_public_details(data)
            shop.connection = connection
            shop.granted = True
            shop.save()
            Membership.objects.get_or_create(user=user, shop=shop, defaults={"role": Role.OWNER})
            shops.append(shop)
        connection.shops.exclude(remote_id__in=remote_ids).update(granted=False)

        # An older grant of this team whose shops all moved to this one is no longer needed.
        for other in previous[1:]:
            if not other.shops.exists() and other.refresh_token_encrypted:
                replaced.append(_stored_refresh_token(other))
                other.forget_tokens()
                other.set_status(Connection.Status.DISCONNECTED, "Replaced by a newer connection")
                other.save()
    # After the commit, so that a failed write never leaves the portal without a live grant.
    for refresh_token in filter(None, replaced):
        grants.revoke(refresh_token)
    return ConnectOutcome(connection=connection, shops=shops)


def _stored_refresh_token(connection: Connection) -> str:
    """The refresh token to revoke, or "" (none stored, or no configured key decrypts it:
    the portal must still be able to let go of a connection)."""
    try:
        return connection.refresh_token
    except crypto.InvalidToken:
        log.error("No encryption key decrypts the tokens of connection %s", connection.pk)
        return ""


def mark_needs_reconnecting(connection_id: int, reason: str) -> bool:
    """AutoSync rejected the grant: pause its shops and tell their owners (once)."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        if connection.status != Connection.Status.CONNECTED:
            return False
        connection.set_status(Connection.Status.NEEDS_RECONNECTING, reason[:255])
        connection.save(update_fields=["status", "status_reason", "status_changed_at"])
        transaction.on_commit(lambda: _email_owners_to_reconnect(connection))
        connection_needs_reconnecting.send(sender=Connection, connection=connection)
    log.warning("AutoSync connection %s needs reconnecting: %s", connection_id, reason)
    return True


def _email_owners_to_reconnect(connection: Connection) -> None:
    shops = list(connection.shops.all())
    owners = set(
        Membership.objects.filter(shop__in=shops, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
    )
    context = {"shops": shops, "url": settings.PORTAL_BASE_URL + reverse("shops:list")}
    for email in sorted(owners):
        send_mail(
            subject="Reconnect your AutoSync shop to the portal",
            message=render_to_string("shops/email/needs_reconnecting.txt", context),
            from_email=None,
            recipient_list=[email],
        )


@sensitive_variables()
def disconnect(connection: Connection) -> tuple[list[Shop], bool]:
    """Forget the grant's tokens, stop syncing its shops, let the mirror remove their personal
    data (`shop_disconnected`), then revoke the grant at AutoSync. The shops and teams stay so
    that an owner can connect again. Returns the shops and whether AutoSync confirmed."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        refresh_token = _stored_refresh_token(connection)
        connection.forget_tokens()
        connection.set_status(Connection.Status.DISCONNECTED, "Disconnected by an owner")
        connection.save()
        shops = list(connection.shops.all())
        for shop in shops:
            shop_disconnected.send(sender=Shop, shop=shop)
    # After the commit: the portal has stopped using the grant whatever AutoSync answers.
    # Revoking the refresh token ends the whole grant (RFC 7009 §2.1).
    revoked = grants.revoke(refresh_token) if refresh_token else True
    return shops, revoked
