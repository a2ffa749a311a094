"""Settings → Webhooks in the back office: attempts are visible and a delivery can be re-sent."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from sandbox.core import services
from sandbox.core.models import Account, Shop
from sandbox.webhooks.models import Attempt, Delivery, Endpoint


@pytest.fixture
def failed_delivery(db) -> Delivery:
    account = Account.objects.create(name="Admin Test Garage")
    shop = Shop.objects.create(account=account, name="Admin Test Garage", slug="admin-test")
    Endpoint.objects.create(account=account, url="http://127.0.0.1:9/hooks")
    services.create_customer(shop, first_name="Ada", last_name="Admin")
    delivery = Delivery.objects.get(event__shop=shop)
    for _ in range(3):
        Attempt.objects.create(
            delivery=delivery,
            url="http://127.0.0.1:9/hooks",
            started_at=timezone.now(),
            duration_ms=3,
            error="ConnectionError: refused",
        )
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.FAILED, attempts=3)
    delivery.refresh_from_db()
    return delivery


def test_a_new_endpoint_gets_its_own_secret(db):
    account = Account.objects.create(name="Secret Garage")
    first = Endpoint.objects.create(account=account, url="http://127.0.0.1:9/a")
    second = Endpoint.objects.create(account=account, url="http://127.0.0.1:9/b")
    assert first.secret.startswith("whsec_")
    assert first.secret != second.secret


def test_the_delivery_page_shows_every_attempt(admin_client, failed_delivery):
    page = admin_client.get(reverse("admin:webhooks_delivery_change", args=[failed_delivery.pk]))
    assert page.status_code == 200
    assert page.content.decode().count("ConnectionError: refused") == 3


def test_the_endpoint_page_shows_its_signing_secret(admin_client, failed_delivery):
    endpoint = failed_delivery.endpoint
    page = admin_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    assert endpoint.secret in page.content.decode()


def test_the_event_page_shows_the_body_that_is_sent(admin_client, failed_delivery):
    event = failed_delivery.event
    page = admin_client.get(reverse("admin:webhooks_event_change", args=[event.pk]))
    assert page.status_code == 200
    assert json.loads(event.body)["event"] == "customer.created"
    assert "customer.created" in page.content.decode()


def test_resending_a_failed_delivery_makes_it_pending_with_the_same_delivery_id(
    admin_client, failed_delivery
):
    answer = admin_client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "resend", "_selected_action": [failed_delivery.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    assert "1 delivery will be sent again" in answer.content.decode()
    resent = Delivery.objects.get(pk=failed_delivery.pk)
    assert resent.state == Delivery.State.PENDING
    assert resent.delivery_id == failed_delivery.delivery_id
    assert resent.attempts == 0  # the whole retry schedule again
    assert resent.next_attempt_at <= timezone.now()
    assert resent.attempt_log.count() == 3  # the history stays


def test_shop_staff_add_endpoints_to_their_own_account_and_see_only_theirs(
    client, django_user_model, failed_delivery
):
    theirs = Account.objects.create(name="Staff Garage")
    staff = django_user_model.objects.create_user("staffer", password="pw", is_staff=True)
    staff.account = theirs
    staff.save()
    client.force_login(staff)

    added = client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"url": "https://hooks.example.com/autosync", "is_active": "on"},
    )
    assert added.status_code == 302
    endpoint = Endpoint.objects.get(url="https://hooks.example.com/autosync")
    assert endpoint.account == theirs

    listing = client.get(reverse("admin:webhooks_endpoint_changelist")).content.decode()
    assert "hooks.example.com" in listing
    assert failed_delivery.endpoint.url not in listing
    others = reverse("admin:webhooks_delivery_change", args=[failed_delivery.pk])
    assert client.get(others).status_code in (302, 404)
