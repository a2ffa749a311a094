"""After a create failed ambiguously: find the record it may have made, with list filters only.

AutoSync has no idempotency keys, so a POST whose answer was lost (timeout, reset, 5xx) may or
may not have created its record. Before sending it again the client looks for a record made
since just before the call whose fields equal what was sent, and adopts the newest such one.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .pages import iter_all

if TYPE_CHECKING:
    from .client import AutoSyncClient


def find_customer(client: AutoSyncClient, shop_id: int, sent: dict, since: datetime) -> dict | None:
    term = sent.get("email") or sent["last_name"]
    return _newest(
        iter_all(client.list_customers, shop_id, search=term, created_after=since), sent, since
    )


def find_vehicle(client: AutoSyncClient, shop_id: int, sent: dict, since: datetime) -> dict | None:
    vin = sent.get("vin")
    records = iter_all(
        client.list_vehicles,
        shop_id,
        customer_id=sent["customer_id"],
        vin=vin.upper() if vin else None,
    )
    return _newest(records, sent, since)


def find_work_order(
    client: AutoSyncClient, shop_id: int, sent: dict, since: datetime
) -> dict | None:
    records = iter_all(
        client.list_work_orders,
        shop_id,
        customer_id=sent["customer_id"],
        vehicle_id=sent["vehicle_id"],
        created_after=since,
    )
    # The list form nests the customer, vehicle and technician.
    nested = {"customer_id": "customer", "vehicle_id": "vehicle", "technician_id": "technician"}
    matches = [
        record
        for record in records
        if all(_id_of(record.get(nested[name])) == sent[name] for name in nested if name in sent)
    ]
    return _newest(matches, {k: v for k, v in sent.items() if k not in nested}, since)


def find_appointment(
    client: AutoSyncClient, shop_id: int, sent: dict, since: datetime
) -> dict | None:
    """Appointments have no filters: the newest are on the last pages (lists go by id)."""
    first = client.list_appointments(shop_id, page=1, per_page=100)
    if first.total is None:
        return _newest(iter_all(client.list_appointments, shop_id), sent, since)
    last = max(1, math.ceil(first.total / 100))
    records = list(first.items) if last <= 2 else []
    for number in range(last, max(1, last - 2), -1):  # the 200 newest at most
        if number > 1:
            records += client.list_appointments(shop_id, page=number, per_page=100).items
    return _newest(records, sent, since)


def find_job(client: AutoSyncClient, shop_id: int, work_order_id: int, sent: dict) -> dict | None:
    """Jobs carry no creation time: the newest job with the same name and line items."""
    wanted = {"name": sent["name"]}
    candidates = [
        job
        for job in iter_all(client.list_jobs, shop_id, work_order_id)
        if "line_items" not in sent
        or _descriptions(job.get("line_items")) == _descriptions(sent["line_items"])
    ]
    return _newest(candidates, wanted, since=None)


def _newest(records, sent: dict, since: datetime | None) -> dict | None:
    found = [r for r in records if _matches(sent, r) and _recent(r, since)]
    return max(found, key=lambda r: r.get("id") or 0, default=None)


def _recent(record: dict, since: datetime | None) -> bool:
    created = _instant(record.get("created_at"))  # an extra field on some resources
    return since is None or created is None or created >= since


def _matches(sent: dict, record: dict) -> bool:
    """Every field sent equals the record's (fields the record does not show are skipped)."""
    return all(_same(name, value, record[name]) for name, value in sent.items() if name in record)


def _same(name: str, sent: Any, got: Any) -> bool:
    if isinstance(sent, dict):
        return isinstance(got, dict) and _matches(sent, got)
    if isinstance(sent, list):
        return isinstance(got, list) and len(sent) == len(got)
    if name == "phone":
        return _digits(sent) == _digits(got)
    if name.endswith("_time"):
        return _instant(sent) == _instant(got)
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent == got
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return math.isclose(sent, got)
    # AutoSync may trim text and stores emails and VINs in its own case.
    return _text(sent) == _text(got)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip().casefold()


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", value or "")


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    return None


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


def _descriptions(items: Any) -> list[str]:
    return [_text(i.get("description")) for i in items or [] if isinstance(i, dict)]
