"""The back office (Django admin): staff edit their account's records through the services."""

import hashlib
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages

from sandbox.core.models import ApiKey, Customer, Job, Part, Vehicle, WorkOrder
from sandbox.core.seeding.builder import seed_database
from sandbox.webhooks.models import Event

pytestmark = pytest.mark.django_db


class FormReader(HTMLParser):
    """The values a browser would submit from the page's main form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n")


def form_of(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.data


@pytest.fixture
def seeded(settings) -> dict:
    # A fast hasher: the seed's passwords are hashed while the test waits.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return seed_database(3, "small")


def login(client, seeded: dict, account_name: str):
    account = next(a for a in seeded["accounts"] if a["name"] == account_name)
    user = account["users"][0]
    assert client.login(username=user["username"], password=user["password"])
    return account


@pytest.fixture
def johnsons(client, seeded) -> dict:
    return login(client, seeded, "Johnson's Auto Care")


def events(name: str) -> int:
    return Event.objects.filter(name=name).count()


def submit(client, url: str, **changes):
    """GET the admin page, change some fields as a user would, and POST it back."""
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {**form_of(page), **changes})


def test_completing_a_work_order_goes_through_the_service(client, johnsons):
    order = WorkOrder.objects.filter(shop__account_id=johnsons["id"], status="in_progress").first()
    updated, completed = events("workorder.updated"), events("workorder.completed")

    response = submit(client, f"/admin/core/workorder/{order.pk}/change/", status="completed")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "completed" and order.completed_at is not None
    assert events("workorder.updated") == updated + 1
    assert events("workorder.completed") == completed + 1


def test_adding_a_job_then_a_line_item_recomputes_the_totals(client, johnsons):
    order = WorkOrder.objects.filter(shop__account_id=johnsons["id"], status="in_progress").first()
    before = order.subtotal
    url = f"/admin/core/workorder/{order.pk}/change/"
    page = form_of(client.get(url))
    new = int(page["jobs-TOTAL_FORMS"])
    response = client.post(
        url,
        {
            **page,
            "jobs-TOTAL_FORMS": str(new + 1),
            f"jobs-{new}-name": "Cabin Air Filter",
            f"jobs-{new}-work_order": str(order.pk),
        },
    )
    assert response.status_code == 302
    job = Job.objects.get(work_order=order, name="Cabin Air Filter")

    response = submit(
        client,
        f"/admin/core/job/{job.pk}/change/",
        **{
            "line_items-0-type": "part",
            "line_items-0-description": "Cabin Air Filter",
            "line_items-0-quantity": "1",
            "line_items-0-unit_price": "29.99",
        },
    )

    assert response.status_code == 302
    order.refresh_from_db()
    job.refresh_from_db()
    assert job.subtotal == Decimal("29.99")
    assert order.subtotal == before + Decimal("29.99")
    assert order.tax == (order.subtotal * order.shop.tax_rate).quantize(Decimal("0.01"))
    assert order.total == order.subtotal + order.tax


def test_recording_a_payment_updates_amount_paid(client, johnsons):
    order = (
        WorkOrder.objects.filter(
            shop__account_id=johnsons["id"], status="completed", amount_paid=0
        ).first()
        or WorkOrder.objects.filter(
            shop__account_id=johnsons["id"], status="draft", total__gt=0
        ).first()
    )
    received = events("payment.received")

    response = client.post(
        "/admin/core/payment/add/", {"work_order": order.pk, "amount": "25.50", "method": "cash"}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.amount_paid == Decimal("25.50")
    assert events("payment.received") == received + 1


def test_stock_falling_below_the_threshold_records_low_stock(client, johnsons):
    part = Part.objects.filter(
        shop__account_id=johnsons["id"], quantity__gt=5, reorder_threshold__gte=2
    ).first()
    low = events("inventory.low_stock")

    response = submit(client, f"/admin/core/part/{part.pk}/change/", quantity="1")

    assert response.status_code == 302
    part.refresh_from_db()
    assert part.quantity == 1
    assert events("inventory.low_stock") == low + 1


def test_a_vin_with_an_o_re_renders_with_a_message_on_the_field(client, johnsons):
    vehicle = Vehicle.objects.filter(shop__account_id=johnsons["id"]).first()

    response = submit(client, f"/admin/core/vehicle/{vehicle.pk}/change/", vin="1HGCM82633O004352")

    assert response.status_code == 200
    assert "without I, O or Q" in response.context["adminform"].form.errors["vin"][0]
    assert Vehicle.objects.get(pk=vehicle.pk).vin == vehicle.vin


def test_an_invalid_customer_email_is_a_field_message(client, johnsons):
    customer = Customer.objects.filter(shop__account_id=johnsons["id"]).first()

    response = submit(client, f"/admin/core/customer/{customer.pk}/change/", email="not-an-email")

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_staff_of_another_account_cannot_see_or_open_johnsons_records(client, seeded):
    rivera = login(client, seeded, "Rivera Brothers Garage")
    johnsons = next(a for a in seeded["accounts"] if a["name"] == "Johnson's Auto Care")
    order = WorkOrder.objects.filter(shop__account_id=johnsons["id"]).first()
    customer = Customer.objects.filter(shop__account_id=johnsons["id"]).first()

    listing = client.get("/admin/core/workorder/")

    assert listing.status_code == 200
    assert (
        listing.context["cl"].result_count
        == WorkOrder.objects.filter(shop__account_id=rivera["id"]).count()
    )
    assert client.get(f"/admin/core/workorder/{order.pk}/change/").status_code == 404
    assert client.get(f"/admin/core/customer/{customer.pk}/change/").status_code == 404
    part = Part.objects.filter(shop__account_id=johnsons["id"]).first()
    assert client.post(f"/admin/core/part/{part.pk}/change/", {"quantity": 0}).status_code == 404
    search = client.get("/admin/core/customer/", {"q": customer.email or customer.last_name})
    assert all(c.shop.account_id == rivera["id"] for c in search.context["cl"].result_list)


def test_a_new_api_key_is_shown_once_and_stored_as_its_hash(client, johnsons):
    response = client.post("/admin/core/apikey/add/", {"name": "Portal"}, follow=True)

    assert response.status_code == 200
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    plain = next(word for word in text.split() if word.startswith("sk_test_"))
    key = ApiKey.objects.get(name="Portal")
    assert key.account_id == johnsons["id"]
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    page = client.get(f"/admin/core/apikey/{key.pk}/change/").content.decode()
    assert key.key_hash not in page and plain not in page


def test_revoking_a_key_sets_revoked_at(client, johnsons):
    key = ApiKey.objects.get(account_id=johnsons["id"])

    client.post("/admin/core/apikey/", {"action": "revoke", "_selected_action": [key.pk]})

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_every_back_office_page_renders_for_shop_staff(client, johnsons):
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "core":
            continue
        base = f"/admin/core/{model._meta.model_name}/"
        assert client.get(base).status_code == 200, base
        assert client.get(base + "add/").status_code in (200, 403), base
        obj = model_admin.get_queryset(client.get(base).wsgi_request).first()
        if obj is not None:
            assert client.get(f"{base}{obj.pk}/change/").status_code == 200, base
