"""The /v1/ routes: exactly the endpoints of the AutoSync API reference, and its description."""

from django.urls import path, re_path, register_converter

from .views import counter, shops, workorders
from .views.base import endpoint
from .views.meta import openapi_document, unknown_path


class RecordIdConverter:
    """Ids are 64-bit: a longer number cannot name a record, so it is a 404 like any other."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RecordIdConverter, "id")

SHOP = "shops/<id:shop_id>"

urlpatterns = [
    path("openapi.json", endpoint(GET=openapi_document)),
    path("shops", endpoint(GET=shops.list_shops)),
    path(SHOP, endpoint(GET=shops.get_shop)),
    path(f"{SHOP}/customers", endpoint(GET=shops.list_customers, POST=shops.create_customer)),
    path(
        f"{SHOP}/customers/<id:customer_id>",
        endpoint(GET=shops.get_customer, PUT=shops.update_customer),
    ),
    path(f"{SHOP}/vehicles", endpoint(GET=shops.list_vehicles, POST=shops.create_vehicle)),
    path(f"{SHOP}/vehicles/<id:vehicle_id>", endpoint(GET=shops.get_vehicle)),
    path(
        f"{SHOP}/workorders",
        endpoint(GET=workorders.list_work_orders, POST=workorders.create_work_order),
    ),
    path(
        f"{SHOP}/workorders/<id:work_order_id>",
        endpoint(GET=workorders.get_work_order, PUT=workorders.update_work_order),
    ),
    path(
        f"{SHOP}/workorders/<id:work_order_id>/jobs",
        endpoint(GET=workorders.list_jobs, POST=workorders.create_job),
    ),
    path(
        f"{SHOP}/appointments",
        endpoint(GET=counter.list_appointments, POST=counter.create_appointment),
    ),
    path(f"{SHOP}/payments", endpoint(GET=counter.list_payments)),
    path(f"{SHOP}/payments/<id:payment_id>", endpoint(GET=counter.get_payment)),
    path(f"{SHOP}/inventory", endpoint(GET=counter.list_parts)),
    path(f"{SHOP}/inventory/<id:part_id>", endpoint(PATCH=counter.update_stock)),
    path(f"{SHOP}/employees", endpoint(GET=counter.list_employees)),
    # Anything else under /v1/ answers the 404 envelope, not Django's HTML page.
    re_path(r"^.*$", unknown_path),
]
