"""Shops, customers and vehicles."""

import re

from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse

from sandbox.core import representations as rep
from sandbox.core import services
from sandbox.core.models import Customer, Shop, Vehicle

from .. import query
from ..bodies import Body, Boolean, Id, Integer, Object, Text
from ..envelope import ok, ok_page
from .base import needs, one

# A search made only of phone characters is also matched against the phone's digits, so
# "(555) 123" finds "555-123-4567"; a search with letters is not (its digits alone would
# match almost every phone).
PHONE_SEARCH_RE = re.compile(r"^[\d\s().+\-]*\d[\d\s().+\-]*$")


@needs("shops:read")
def list_shops(request: HttpRequest) -> HttpResponse:
    credential = request.credential
    shops = Shop.objects.filter(account_id=credential.account_id)
    if credential.shop_ids is not None:
        shops = shops.filter(id__in=credential.shop_ids)
    rows, pagination = query.page_of(request, shops)
    return ok_page([rep.shop(s) for s in rows], **pagination)


@needs("shops:read")
def get_shop(request: HttpRequest, shop: Shop) -> HttpResponse:
    return ok(rep.shop(shop))


# --- customers --------------------------------------------------------------------------------

ADDRESS = Object({name: Text(nullable=True) for name in services.ADDRESS_FIELDS})


def customer_body(*, create: bool) -> Body:
    return Body(
        {
            "first_name": Text(required=create),
            "last_name": Text(required=create),
            "email": Text(nullable=True),
            "phone": Text(nullable=True),
            "is_business": Boolean(),
            "address": ADDRESS,
        }
    )


NEW_CUSTOMER = customer_body(create=True)
CUSTOMER_CHANGES = customer_body(create=False)


@needs("customers:read")
def list_customers(request: HttpRequest, shop: Shop) -> HttpResponse:
    customers = Customer.objects.filter(shop=shop)
    search = query.text(request, "search")
    if search:
        search = search.strip()
        found = (
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(full_name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
        )
        if PHONE_SEARCH_RE.match(search):
            found |= Q(phone_digits__contains=re.sub(r"\D", "", search))
        customers = customers.annotate(
            full_name=Concat("first_name", Value(" "), "last_name")
        ).filter(found)
    is_business = query.boolean(request, "is_business")
    if is_business is not None:
        customers = customers.filter(is_business=is_business)
    created_after = query.moment(request, "created_after")
    if created_after is not None:
        customers = customers.filter(created_at__gt=created_after)
    rows, pagination = query.page_of(request, customers)
    return ok_page([rep.customer(c) for c in rows], **pagination)


@needs("customers:read")
def get_customer(request: HttpRequest, shop: Shop, customer_id: int) -> HttpResponse:
    return ok(rep.customer(one(shop.customers, "customer", pk=customer_id)))


@needs("customers:write")
def create_customer(request: HttpRequest, shop: Shop) -> HttpResponse:
    customer = services.create_customer(shop, **NEW_CUSTOMER.parse(request))
    return ok(rep.customer(customer), status=201)


@needs("customers:write")
def update_customer(request: HttpRequest, shop: Shop, customer_id: int) -> HttpResponse:
    customer = one(shop.customers, "customer", pk=customer_id)
    changes = CUSTOMER_CHANGES.parse(request)
    return ok(rep.customer(services.update_customer(customer, **changes)))


# --- vehicles ---------------------------------------------------------------------------------

NEW_VEHICLE = Body(
    {
        "customer_id": Id(required=True),
        "year": Integer(required=True),
        "make": Text(required=True),
        "model": Text(required=True),
        "vin": Text(nullable=True),
        "license_plate": Text(nullable=True),
        "mileage": Integer(nullable=True),
    }
)


@needs("vehicles:read")
def list_vehicles(request: HttpRequest, shop: Shop) -> HttpResponse:
    vehicles = Vehicle.objects.filter(shop=shop)
    customer_id = query.record_id(request, "customer_id")
    if customer_id is not None:
        vehicles = vehicles.filter(customer_id=customer_id)
    # VINs and plates are stored upper case, so an upper-cased exact match is case-insensitive
    # and still uses their indexes.
    for name in ("vin", "license_plate"):
        value = query.text(request, name)
        if value is not None:
            vehicles = vehicles.filter(**{name: value.strip().upper()})
    rows, pagination = query.page_of(request, vehicles)
    return ok_page([rep.vehicle(v) for v in rows], **pagination)


@needs("vehicles:read")
def get_vehicle(request: HttpRequest, shop: Shop, vehicle_id: int) -> HttpResponse:
    return ok(rep.vehicle(one(shop.vehicles, "vehicle", pk=vehicle_id)))


@needs("vehicles:write")
def create_vehicle(request: HttpRequest, shop: Shop) -> HttpResponse:
    vehicle = services.create_vehicle(shop, **NEW_VEHICLE.parse(request))
    return ok(rep.vehicle(vehicle), status=201)
