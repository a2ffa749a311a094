"""AutoSync REST API v1: one method per endpoint, over the shared budget, with safe retries."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from . import errors, lookups
from .budget import Budget, Priority
from .errors import AutoSyncError, RateLimited, Unauthorized
from .pages import Page, iter_all, iter_pages
from .tokens import TokenSource

logger = logging.getLogger(__name__)

# A create that failed ambiguously looks for records made since this long before it was sent
# (a margin for the clock difference between us and AutoSync).
LOOKBACK = timedelta(minutes=2)
# 429s are not counted as failures (the budget waits for the reset), but a server that keeps
# answering 429 must not hold a caller forever.
MAX_RATE_LIMITED = 8
# The largest answer read. A page of 100 work orders is about 100 KB, a detail a few KB: an
# answer past this is not one AutoSync meant, and reading it whole could exhaust a worker.
MAX_RESPONSE_BYTES = 8 * 2**20

__all__ = ["AutoSyncClient", "Page", "ResponseRejected", "iter_all", "iter_pages"]


class ResponseRejected(errors.TransportError):
    """An answer that is not what was asked for: a page longer than `per_page`, a body over
    the size limit, JSON nested too deep to read. Asking again gets the same: permanent."""

    def __init__(self, message: str, *, method: str, status: int | None = None) -> None:
        super().__init__(message, ambiguous=method != "GET", status=status)
        self.permanent = True


OnRequest = Callable[[str, str, int | None, float], None]


class AutoSyncClient:
    """A credential's view of AutoSync (an API key or one shop's OAuth grant).

    Every request first takes room from `budget` under `budget_key` (the credential's name in
    the shared budget, e.g. "grant:42") with `priority`. Not thread-safe: one client per
    thread. `requests_made` counts the HTTP requests sent; `on_request(method, path, status,
    seconds)` is called after each (status None when no answer came).
    """

    def __init__(
        self,
        api_url: str,
        tokens: TokenSource,
        *,
        budget: Budget,
        budget_key: str,
        timeout: float | tuple[float, float],
        priority: Priority = "background",
        retries: int = 4,
        backoff: float = 0.5,
        budget_timeout: float | None = None,
        session: requests.Session | None = None,
        on_request: OnRequest | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.budget = budget
        self.budget_key = budget_key
        self.priority = priority
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        # A booking would rather fail fast than wait a minute; a sync can wait a window out.
        if budget_timeout is None:
            budget_timeout = 15.0 if priority == "interactive" else 150.0
        self.budget_timeout = budget_timeout
        self.session = session or requests.Session()
        self.on_request = on_request
        self.max_response_bytes = max_response_bytes
        self.requests_made = 0

    # --- Shops ----------------------------------------------------------------------------

    def list_shops(self, *, page: int = 1, per_page: int = 25) -> Page:
        """GET /v1/shops"""
        return self._list("/shops", page=page, per_page=per_page)

    def get_shop(self, shop_id: int) -> dict:
        """GET /v1/shops/{shop_id}"""
        return self._get(f"/shops/{shop_id}")

    # --- Customers ------------------------------------------------------------------------

    def list_customers(
        self,
        shop_id: int,
        *,
        search: str | None = None,
        is_business: bool | None = None,
        created_after: datetime | date | str | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> Page:
        """GET /v1/shops/{shop_id}/customers"""
        return self._list(
            f"/shops/{shop_id}/customers",
            search=search,
            is_business=is_business,
            created_after=created_after,
            page=page,
            per_page=per_page,
        )

    def get_customer(self, shop_id: int, customer_id: int) -> dict:
        """GET /v1/shops/{shop_id}/customers/{customer_id}"""
        return self._get(f"/shops/{shop_id}/customers/{customer_id}")

    def create_customer(
        self,
        shop_id: int,
        *,
        first_name: str,
        last_name: str,
        email: str | None = None,
        phone: str | None = None,
        is_business: bool | None = None,
        address: dict | None = None,
    ) -> dict:
        """POST /v1/shops/{shop_id}/customers"""
        fields = _present(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            is_business=is_business,
            address=address,
        )
        since = _now() - LOOKBACK
        return self._create(
            f"/shops/{shop_id}/customers",
            fields,
            lambda: lookups.find_customer(self, shop_id, fields, since),
        )

    def update_customer(self, shop_id: int, customer_id: int, **fields: Any) -> dict:
        """PUT /v1/shops/{shop_id}/customers/{customer_id} (only the fields given change)"""
        return self._request("PUT", f"/shops/{shop_id}/customers/{customer_id}", body=fields)

    # --- Vehicles -------------------------------------------------------------------------

    def list_vehicles(
        self,
        shop_id: int,
        *,
        customer_id: int | None = None,
        vin: str | None = None,
        license_plate: str | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> Page:
        """GET /v1/shops/{shop_id}/vehicles"""
        return self._list(
            f"/shops/{shop_id}/vehicles",
            customer_id=customer_id,
            vin=vin,
            license_plate=license_plate,
            page=page,
            per_page=per_page,
        )

    def get_vehicle(self, shop_id: int, vehicle_id: int) -> dict:
        """GET /v1/shops/{shop_id}/vehicles/{vehicle_id}"""
        return self._get(f"/shops/{shop_id}/vehicles/{vehicle_id}")

    def create_vehicle(
        self,
        shop_id: int,
        *,
        customer_id: int,
        year: int,
        make: str,
        model: str,
        vin: str | None = None,
        license_plate: str | None = None,
        mileage: int | None = None,
    ) -> dict:
        """POST /v1/shops/{shop_id}/vehicles"""
        fields = _present(
            customer_id=customer_id,
            year=year,
            make=make,
            model=model,
            vin=vin,
            license_plate=license_plate,
            mileage=mileage,
        )
        since = _now() - LOOKBACK
        return self._create(
            f"/shops/{shop_id}/vehicles",
            fields,
            lambda: lookups.find_vehicle(self, shop_id, fields, since),
        )

    # --- Work orders and jobs -------------------------------------------------------------

    def list_work_orders(
        self,
        shop_id: int,
        *,
        status: str | None = None,
        customer_id: int | None = None,
        vehicle_id: int | None = None,
        technician_id: int | None = None,
        created_after: datetime | date | str | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> Page:
        """GET /v1/shops/{shop_id}/workorders"""
        return self._list(
            f"/shops/{shop_id}/workorders",
            status=status,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            technician_id=technician_id,
            created_after=created_after,
            page=page,
            per_page=per_page,
        )

    def get_work_order(self, shop_id: int, work_order_id: int) -> dict:
        """GET /v1/shops/{shop_id}/workorders/{workorder_id} (with jobs, line items, payments)"""
        return self._get(f"/shops/{shop_id}/workorders/{work_order_id}")

    def create_work_order(
        self,
        shop_id: int,
        *,
        customer_id: int,
        vehicle_id: int,
        technician_id: int | None = None,
        notes: str | None = None,
    ) -> dict:
        """POST /v1/shops/{shop_id}/workorders"""
        fields = _present(
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            technician_id=technician_id,
            notes=notes,
        )
        since = _now() - LOOKBACK
        return self._create(
            f"/shops/{shop_id}/workorders",
            fields,
            lambda: lookups.find_work_order(self, shop_id, fields, since),
        )

    def update_work_order(self, shop_id: int, work_order_id: int, **fields: Any) -> dict:
        """PUT /v1/shops/{shop_id}/workorders/{workorder_id} (status, technician_id, notes)"""
        return self._request("PUT", f"/shops/{shop_id}/workorders/{work_order_id}", body=fields)

    def list_jobs(
        self, shop_id: int, work_order_id: int, *, page: int = 1, per_page: int = 25
    ) -> Page:
        """GET /v1/shops/{shop_id}/workorders/{wo_id}/jobs"""
        return self._list(
            f"/shops/{shop_id}/workorders/{work_order_id}/jobs", page=page, per_page=per_page
        )

    def create_job(
        self, shop_id: int, work_order_id: int, *, name: str, line_items: list[dict] | None = None
    ) -> dict:
        """POST /v1/shops/{shop_id}/workorders/{wo_id}/jobs"""
        fields = _present(name=name, line_items=line_items)
        return self._create(
            f"/shops/{shop_id}/workorders/{work_order_id}/jobs",
            fields,
            lambda: lookups.find_job(self, shop_id, work_order_id, fields),
        )

    # --- Appointments ---------------------------------------------------------------------

    def list_appointments(self, shop_id: int, *, page: int = 1, per_page: int = 25) -> Page:
        """GET /v1/shops/{shop_id}/appointments"""
        return self._list(f"/shops/{shop_id}/appointments", page=page, per_page=per_page)

    def create_appointment(
        self,
        shop_id: int,
        *,
        customer_id: int,
        start_time: datetime | str,
        vehicle_id: int | None = None,
        end_time: datetime | str | None = None,
        notes: str | None = None,
    ) -> dict:
        """POST /v1/shops/{shop_id}/appointments"""
        fields = _present(
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            start_time=start_time,
            end_time=end_time,
            notes=notes,
        )
        since = _now() - LOOKBACK
        return self._create(
            f"/shops/{shop_id}/appointments",
            fields,
            lambda: lookups.find_appointment(self, shop_id, fields, since),
        )

    # --- Payments, inventory, employees ---------------------------------------------------

    def list_payments(self, shop_id: int, *, page: int = 1, per_page: int = 25) -> Page:
        """GET /v1/shops/{shop_id}/payments"""
        return self._list(f"/shops/{shop_id}/payments", page=page, per_page=per_page)

    def get_payment(self, shop_id: int, payment_id: int) -> dict:
        """GET /v1/shops/{shop_id}/payments/{payment_id}"""
        return self._get(f"/shops/{shop_id}/payments/{payment_id}")

    def list_parts(self, shop_id: int, *, page: int = 1, per_page: int = 25) -> Page:
        """GET /v1/shops/{shop_id}/inventory"""
        return self._list(f"/shops/{shop_id}/inventory", page=page, per_page=per_page)

    def update_part(
        self,
        shop_id: int,
        part_id: int,
        *,
        quantity: int | None = None,
        cost: float | None = None,
        price: float | None = None,
    ) -> dict:
        """PATCH /v1/shops/{shop_id}/inventory/{part_id}"""
        fields = _present(quantity=quantity, cost=cost, price=price)
        return self._request("PATCH", f"/shops/{shop_id}/inventory/{part_id}", body=fields)

    def list_employees(
        self,
        shop_id: int,
        *,
        role: str | None = None,
        status: str | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> Page:
        """GET /v1/shops/{shop_id}/employees"""
        return self._list(
            f"/shops/{shop_id}/employees", role=role, status=status, page=page, per_page=per_page
        )

    # --- Transport ------------------------------------------------------------------------

    def _get(self, path: str) -> dict:
        return self._request("GET", path)

    def _list(self, path: str, **params: Any) -> Page:
        body = self._call("GET", path, params=_query(params))
        items = body["data"]
        if not isinstance(items, list):
            raise errors.TransportError(f"GET {path} did not answer a list", ambiguous=False)
        if len(items) > params["per_page"]:
            raise ResponseRejected(
                f"GET {path} answered {len(items)} records for a page of {params['per_page']}",
                method="GET",
            )
        pagination = body.get("pagination")
        pagination = pagination if isinstance(pagination, dict) else {}
        total = pagination.get("total")
        if isinstance(total, int) and not 0 <= total < 2**31:
            raise ResponseRejected(f"GET {path} answered a total of {total}", method="GET")
        return Page(
            items=items,
            page=_int(pagination.get("page"), params["page"]),
            per_page=_int(pagination.get("per_page"), params["per_page"]),
            total=total if isinstance(total, int) else None,
        )

    def _request(self, method: str, path: str, *, body: dict | None = None) -> dict:
        """The `data` object of a call that answers one record."""
        data = self._call(method, path, body=body)["data"]
        if not isinstance(data, dict):
            raise errors.TransportError(
                f"{method} {path} did not answer a record", ambiguous=method != "GET"
            )
        return data

    def _create(self, path: str, body: dict, find: Callable[[], dict | None]) -> dict:
        """POST without duplicates: after an ambiguous failure, look for the record first."""
        failures = 0
        while True:
            try:
                return self._request("POST", path, body=body)
            except AutoSyncError as error:
                if not error.ambiguous or failures >= self.retries:
                    raise
                failures += 1
                # Give a request still running on the server time to commit before we look.
                self._pause(failures)
                found = find()
                if found is not None:
                    logger.info("AutoSync POST %s had succeeded (found #%s)", path, found.get("id"))
                    return found

    def _call(
        self, method: str, path: str, *, params: dict | None = None, body: dict | None = None
    ) -> dict:
        """The success envelope of a call: budget, one token refresh, retries where safe."""
        token = self.tokens.access_token()
        refreshed = False
        failures = rate_limited = 0
        while True:
            self.budget.acquire(self.budget_key, self.priority, timeout=self.budget_timeout)
            try:
                return self._send(method, path, token, params, body)
            except Unauthorized as error:
                if refreshed:
                    raise
                refreshed = True
                try:
                    token = self.tokens.refresh(token)
                except Unauthorized:
                    raise error from None  # an API key: report AutoSync's own refusal
            except RateLimited:
                # Refused before it ran, so safe to send again, even a POST; the budget now
                # holds every process back until the window resets.
                rate_limited += 1
                if rate_limited > MAX_RATE_LIMITED:
                    raise
            except AutoSyncError as error:
                # A POST that may have run is the caller's to resolve (see _create).
                if error.permanent or failures >= self.retries:
                    raise
                if method == "POST" and error.ambiguous:
                    raise
                failures += 1
                self._pause(failures)

    def _send(
        self, method: str, path: str, token: str, params: dict | None, body: dict | None
    ) -> dict:
        started = time.monotonic()
        status = None
        self.requests_made += 1
        try:
            response = self.session.request(
                method,
                self.api_url + path,
                params=params,
                json=_jsonable(body) if body is not None else None,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
                stream=True,  # read below, up to the size limit
            )
            status = response.status_code
            self._read(method, path, response)
        except requests.RequestException as exc:
            raise errors.from_exception(exc) from exc
        finally:
            elapsed = time.monotonic() - started
            # The path only: queries carry customers' names and emails, headers the token.
            logger.info(
                "AutoSync %s %s -> %s in %.0f ms",
                method,
                path,
                status or "no answer",
                elapsed * 1000,
            )
            if self.on_request:
                self.on_request(method, path, status, elapsed)
        self._observe(response)
        try:
            return errors.envelope(response)
        except RecursionError:
            raise ResponseRejected(
                f"{method} {path} answered JSON nested too deeply", method=method, status=status
            ) from None

    def _read(self, method: str, path: str, response: requests.Response) -> None:
        """Read the body, refusing it past `max_response_bytes` (declared or actual)."""
        limit = self.max_response_bytes
        too_large = ResponseRejected(
            f"{method} {path} answered more than {limit} bytes",
            method=method,
            status=response.status_code,
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise too_large
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                response.close()
                raise too_large
            chunks.append(chunk)
        # What requests itself does when it reads a body: response.json() reads this.
        response._content = b"".join(chunks)

    def _observe(self, response: requests.Response) -> None:
        headers = response.headers
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
            reset = float(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            limit = None
        if limit is not None:
            self.budget.observe(self.budget_key, limit, remaining, reset)
        if response.status_code == 429:
            wait = errors.retry_after(headers)
            self.budget.blocked_until(self.budget_key, time.time() + (wait or 1.0))

    def _pause(self, failures: int) -> None:
        """Exponential backoff with jitter, so that many workers do not retry in step."""
        delay = min(10.0, self.backoff * 2 ** (failures - 1))
        time.sleep(delay * random.uniform(0.5, 1.0))


def _now() -> datetime:
    return datetime.now(UTC)


def _present(**fields: Any) -> dict:
    return {name: value for name, value in fields.items() if value is not None}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) else default


def _when(value: datetime | date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("AutoSync times must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _query(params: dict) -> dict:
    """Query parameters as AutoSync reads them: booleans lower case, times ISO 8601 UTC."""
    query = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, date):
            value = _when(value)
        query[name] = value
    return query


def _jsonable(body: dict) -> dict:
    return {k: _when(v) if isinstance(v, date) else v for k, v in body.items()}
