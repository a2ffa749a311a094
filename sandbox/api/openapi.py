"""Builds the OpenAPI 3.1 description of AutoSync v1 that sandbox/api/openapi.json holds.

Run `python -m sandbox.api.openapi` after changing the API; a test fails while the file and
this module disagree."""

import json
from pathlib import Path

from .bodies import MAX_INT32, MAX_LINE_ITEMS, MAX_MONEY, MAX_QUANTITY, MIN_YEAR
from .credentials import SCOPES
from .query import DEFAULT_PER_PAGE, MAX_PER_PAGE
from .values import MAX_ID

OUTPUT = Path(__file__).resolve().parent / "openapi.json"

ERROR_CODES = [
    "invalid_parameter",
    "invalid_json",
    "unauthorized",
    "invalid_token",
    "insufficient_scope",
    "not_found",
    "method_not_allowed",
    "rate_limited",
    "server_error",
]
NO_NUL = "^[^\\u0000]*$"  # PostgreSQL cannot store NUL characters: they are refused


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(
    properties: dict,
    *,
    required: list | None = None,
    closed: bool = False,
    description: str | None = None,
) -> dict:
    """An object schema. Answers list every field they carry (all required); request bodies
    are `closed`, because unknown fields are refused."""
    schema = {"type": "object", "properties": properties}
    schema["required"] = list(properties) if required is None else required
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
TEXT = {"type": "string", "maxLength": 255, "pattern": NO_NUL}
REQUIRED_TEXT = {**TEXT, "minLength": 1, "description": "Not blank."}
LONG_TEXT = {"type": "string", "pattern": NO_NUL}
INTEGER = {"type": "integer"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
MONEY = {"type": "number", "description": "At most two decimals, rounded half-up to cents."}
MONEY_IN = {
    "type": "number",
    "minimum": 0,
    "maximum": float(MAX_MONEY),
    "description": "At most two decimals.",
}
DATE_TIME = {"type": "string", "format": "date-time"}
DATE_TIME_IN = {
    **DATE_TIME,
    "description": f"ISO 8601; a time without an offset is UTC. Year {MIN_YEAR} or later.",
}


def enum(choices) -> dict:
    return {"enum": list(choices.values)}


def schemas() -> dict:
    from sandbox.core.models import Appointment, Employee, LineItem, Payment, Shop, WorkOrder

    address = obj({name: STRING for name in ("street", "city", "state", "zip")})
    address_in = obj(
        {name: nullable(TEXT) for name in ("street", "city", "state", "zip")},
        required=[],
        closed=True,
    )
    line_item = obj(
        {
            "id": INTEGER,
            "type": enum(LineItem.Type),
            "description": STRING,
            "quantity": {"type": "number"},
            "unit_price": MONEY,
            "total": {**MONEY, "description": "quantity times unit_price, half-up to cents."},
            "part_id": nullable(INTEGER),
        }
    )
    work_order = obj(
        {
            "id": INTEGER,
            "work_order_number": STRING,
            "status": enum(WorkOrder.Status),
            "customer": obj({"id": INTEGER, "name": STRING}),
            "vehicle": obj({"id": INTEGER, "year": INTEGER, "make": STRING, "model": STRING}),
            "subtotal": MONEY,
            "tax": {
                **MONEY,
                "description": "subtotal times the shop's tax rate, half-up to cents.",
            },
            "total": MONEY,
            "technician": nullable(obj({"id": INTEGER, "name": STRING})),
            "created_at": DATE_TIME,
            "notes": STRING,
            "updated_at": DATE_TIME,
            "completed_at": nullable(DATE_TIME),
        }
    )
    work_order_detail = {
        "allOf": [
            ref("WorkOrder"),
            obj(
                {
                    "jobs": {"type": "array", "items": ref("Job")},
                    "payments": {"type": "array", "items": ref("Payment")},
                    "amount_paid": MONEY,
                    "balance_due": MONEY,
                }
            ),
        ]
    }
    customer_fields = {
        "first_name": REQUIRED_TEXT,
        "last_name": REQUIRED_TEXT,
        "email": nullable({**TEXT, "description": 'An email address; null or "" clears it.'}),
        "phone": nullable({**TEXT, "description": "Any formatting; searches match its digits."}),
        "is_business": {"type": "boolean"},
        "address": ref("AddressInput"),
    }
    line_item_in = obj(
        {
            "type": enum(LineItem.Type),
            "description": REQUIRED_TEXT,
            "quantity": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": float(MAX_QUANTITY),
                "description": "At most two decimals.",
            },
            "unit_price": MONEY_IN,
            "part_id": nullable({**ID, "description": "A part of the same shop."}),
        },
        required=["type", "description", "quantity", "unit_price"],
        closed=True,
    )
    return {
        "Error": obj(
            {
                "success": {"const": False},
                "error": obj(
                    {
                        "code": {"enum": ERROR_CODES},
                        "message": {
                            "type": "string",
                            "description": "Names the offending field or parameter.",
                        },
                        "status": {"type": "integer", "description": "The HTTP status."},
                        "field": {
                            "type": "string",
                            "description": "The offending field or parameter, e.g. "
                            "`email`, `address.zip`, `line_items[0].quantity`.",
                        },
                    },
                    required=["code", "message", "status"],
                ),
            }
        ),
        "Pagination": obj(
            {
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "total": {"type": "integer", "minimum": 0},
            }
        ),
        "Address": address,
        "AddressInput": address_in,
        "Shop": obj(
            {
                "id": INTEGER,
                "name": STRING,
                "slug": STRING,
                "status": enum(Shop.Status),
                "location_count": INTEGER,
                "created_at": DATE_TIME,
                "timezone": {"type": "string", "description": "IANA time zone."},
                "phone": STRING,
                "email": STRING,
                "address": ref("Address"),
                "tax_rate": {"type": "number", "description": "0.0725 is 7.25 %."},
            }
        ),
        "Customer": obj(
            {
                "id": INTEGER,
                "first_name": STRING,
                "last_name": STRING,
                "email": nullable(STRING),
                "phone": nullable(STRING),
                "is_business": {"type": "boolean"},
                "address": ref("Address"),
                "created_at": DATE_TIME,
                "shop_id": INTEGER,
                "updated_at": DATE_TIME,
            }
        ),
        "CustomerCreate": obj(customer_fields, required=["first_name", "last_name"], closed=True),
        "CustomerUpdate": obj(
            customer_fields,
            required=[],
            closed=True,
            description="Only the fields given change; `address` changes only its given parts.",
        ),
        "Vehicle": obj(
            {
                "id": INTEGER,
                "customer_id": INTEGER,
                "year": INTEGER,
                "make": STRING,
                "model": STRING,
                "vin": nullable(STRING),
                "license_plate": nullable(STRING),
                "mileage": nullable(INTEGER),
                "shop_id": INTEGER,
                "created_at": DATE_TIME,
                "updated_at": DATE_TIME,
            }
        ),
        "VehicleCreate": obj(
            {
                "customer_id": {**ID, "description": "A customer of the same shop."},
                "year": {
                    "type": "integer",
                    "minimum": 1900,
                    "description": "1900 to next year.",
                },
                "make": REQUIRED_TEXT,
                "model": REQUIRED_TEXT,
                "vin": nullable(
                    {
                        "type": "string",
                        "pattern": "^([A-HJ-NPR-Za-hj-npr-z0-9]{17})?$",
                        "description": "17 characters of A-Z and 0-9 without I, O, Q; "
                        "stored upper case.",
                    }
                ),
                "license_plate": nullable({**TEXT, "description": "Stored upper case."}),
                "mileage": nullable({"type": "integer", "minimum": 0, "maximum": MAX_INT32}),
            },
            required=["customer_id", "year", "make", "model"],
            closed=True,
        ),
        "WorkOrder": work_order,
        "WorkOrderDetail": work_order_detail,
        "WorkOrderCreate": obj(
            {
                "customer_id": {**ID, "description": "A customer of the same shop."},
                "vehicle_id": {**ID, "description": "A vehicle of that customer."},
                "technician_id": nullable(
                    {**ID, "description": "An active technician of the shop."}
                ),
                "notes": nullable(LONG_TEXT),
            },
            required=["customer_id", "vehicle_id"],
            closed=True,
        ),
        "WorkOrderUpdate": obj(
            {
                "status": enum(WorkOrder.Status),
                "technician_id": nullable(
                    {**ID, "description": "An active technician of the shop; null unassigns."}
                ),
                "notes": nullable(LONG_TEXT),
            },
            required=[],
            closed=True,
        ),
        "Job": obj(
            {
                "id": INTEGER,
                "name": STRING,
                "line_items": {"type": "array", "items": ref("LineItem")},
                "subtotal": MONEY,
            }
        ),
        "JobCreate": obj(
            {
                "name": REQUIRED_TEXT,
                "line_items": nullable(
                    {"type": "array", "maxItems": MAX_LINE_ITEMS, "items": ref("LineItemInput")}
                ),
            },
            required=["name"],
            closed=True,
        ),
        "LineItem": line_item,
        "LineItemInput": line_item_in,
        "Appointment": obj(
            {
                "id": INTEGER,
                "customer_id": INTEGER,
                "vehicle_id": nullable(INTEGER),
                "start_time": DATE_TIME,
                "end_time": nullable(DATE_TIME),
                "notes": STRING,
                "shop_id": INTEGER,
                "status": enum(Appointment.Status),
                "created_at": DATE_TIME,
            }
        ),
        "AppointmentCreate": obj(
            {
                "customer_id": {**ID, "description": "A customer of the same shop."},
                "vehicle_id": nullable({**ID, "description": "A vehicle of that customer."}),
                "start_time": DATE_TIME_IN,
                "end_time": nullable({**DATE_TIME_IN, "description": "After start_time."}),
                "notes": nullable(LONG_TEXT),
            },
            required=["customer_id", "start_time"],
            closed=True,
        ),
        "Payment": obj(
            {
                "id": INTEGER,
                "workorder_id": INTEGER,
                "customer_id": INTEGER,
                "amount": MONEY,
                "method": enum(Payment.Method),
                "status": enum(Payment.Status),
                "created_at": DATE_TIME,
            }
        ),
        "Part": obj(
            {
                "id": INTEGER,
                "part_number": STRING,
                "name": STRING,
                "quantity": INTEGER,
                "cost": MONEY,
                "price": MONEY,
                "reorder_threshold": INTEGER,
                "updated_at": DATE_TIME,
            }
        ),
        "StockUpdate": obj(
            {
                "quantity": {"type": "integer", "minimum": 0, "maximum": MAX_INT32},
                "cost": MONEY_IN,
                "price": MONEY_IN,
            },
            required=[],
            closed=True,
        ),
        "Employee": obj(
            {
                "id": INTEGER,
                "first_name": STRING,
                "last_name": STRING,
                "name": STRING,
                "email": nullable(STRING),
                "role": enum(Employee.Role),
                "status": enum(Employee.Status),
            }
        ),
        "TokenResponse": obj(
            {
                "access_token": STRING,
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer", "description": "Seconds (3600)."},
                "refresh_token": STRING,
                "scope": {"type": "string", "description": "Space-separated scopes granted."},
            }
        ),
        "OAuthError": obj(
            {
                "error": {
                    "type": "string",
                    "description": "RFC 6749 §5.2: invalid_request, invalid_client, "
                    "invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope.",
                },
                "error_description": STRING,
            },
            required=["error"],
        ),
        "TokenRequest": {
            "oneOf": [
                obj(
                    {
                        "grant_type": {"const": "authorization_code"},
                        "code": STRING,
                        "redirect_uri": STRING,
                        "client_id": STRING,
                        "client_secret": STRING,
                        "code_verifier": {
                            "type": "string",
                            "description": "PKCE (S256); required when the code was issued "
                            "with a challenge.",
                        },
                    },
                    required=["grant_type", "code", "redirect_uri"],
                ),
                obj(
                    {
                        "grant_type": {"const": "refresh_token"},
                        "refresh_token": {
                            "type": "string",
                            "description": "Single use: each refresh returns a new one; "
                            "presenting a used one revokes the grant.",
                        },
                        "client_id": STRING,
                        "client_secret": STRING,
                    },
                    required=["grant_type", "refresh_token"],
                ),
            ],
            "description": "Client credentials go in the body or in HTTP Basic.",
        },
        "RevokeRequest": obj(
            {
                "token": STRING,
                "token_type_hint": {"enum": ["access_token", "refresh_token"]},
                "client_id": STRING,
                "client_secret": STRING,
            },
            required=["token"],
        ),
    }


# --- parameters, responses, operations --------------------------------------------------------


def path_id(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": ID,
        "description": f"The {what}'s id.",
    }


def query_param(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


SHOP_ID = path_id("shop_id", "shop")
PAGING = [
    query_param(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1},
        "From 1; a page past the end answers 200 with empty `data`.",
    ),
    query_param(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        "Items a page, 1 to 100.",
    ),
]
QUERY_TEXT = {"type": "string", "pattern": NO_NUL}
CREATED_AFTER = query_param(
    "created_after",
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]},
    "Strictly after this moment: a date (midnight UTC) or a date-time (without an offset, UTC).",
)

RATE_HEADERS = {
    "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
    "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
    "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"},
}
ERROR_RESPONSES = {
    "400": (
        "BadRequest",
        "Malformed: a query value of the wrong type (`invalid_parameter`) or "
        "a body that is not JSON (`invalid_json`).",
    ),
    "401": (
        "Unauthorized",
        "Missing or unknown API key (`unauthorized`); expired or revoked "
        "access token (`invalid_token`).",
    ),
    "403": ("Forbidden", "The credential lacks the scope (`insufficient_scope`)."),
    "404": ("NotFound", "No such record in a shop the credential reaches (`not_found`)."),
    "422": (
        "Unprocessable",
        "A value is out of range or refused (`invalid_parameter`); the "
        "message and `field` name it.",
    ),
    "429": ("RateLimited", "Over the rate limit (`rate_limited`); see `Retry-After`."),
}


def error_response(description: str, *extra_headers: str) -> dict:
    headers = dict(RATE_HEADERS)
    for name in extra_headers:
        headers[name] = {"$ref": f"#/components/headers/{name}"}
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": ref("Error")}},
    }


def success(schema: dict, description: str, *, listing: bool = False) -> dict:
    properties = {"success": {"const": True}, "data": schema}
    if listing:
        properties["data"] = {"type": "array", "items": schema}
        properties["pagination"] = ref("Pagination")
    return {
        "description": description,
        "headers": dict(RATE_HEADERS),
        "content": {"application/json": {"schema": obj(properties)}},
    }


def operation(
    operation_id: str,
    summary: str,
    scope: str,
    responses: dict,
    *,
    parameters: list | None = None,
    body: str | None = None,
    errors: tuple = ("401", "403", "404", "429"),
) -> dict:
    op = {
        "operationId": operation_id,
        "summary": summary,
        "security": [{"apiKey": []}, {"oauth2": [scope]}],
        "parameters": parameters or [],
        "responses": {
            **responses,
            **{
                status: {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
                for status in errors
            },
        },
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return op


def listing(
    operation_id: str, summary: str, scope: str, item: str, filters: list | None = None
) -> dict:
    return operation(
        operation_id,
        summary,
        scope,
        {"200": success(ref(item), f"A page of {item} records, by id ascending.", listing=True)},
        parameters=[SHOP_ID, *PAGING, *(filters or [])],
        errors=("400", "401", "403", "404", "422", "429"),
    )


def reading(operation_id: str, summary: str, scope: str, item: str, *ids: dict) -> dict:
    return operation(
        operation_id,
        summary,
        scope,
        {"200": success(ref(item), f"The {item}.")},
        parameters=[SHOP_ID, *ids],
    )


def writing(
    operation_id: str, summary: str, scope: str, item: str, body: str, status: str, *ids: dict
) -> dict:
    return operation(
        operation_id,
        summary,
        scope,
        {status: success(ref(item), f"The {item}, as stored.")},
        parameters=[SHOP_ID, *ids],
        body=body,
        errors=("400", "401", "403", "404", "422", "429"),
    )


def paths() -> dict:
    from sandbox.core.models import Employee, WorkOrder

    customer_id = path_id("customer_id", "customer")
    vehicle_id = path_id("vehicle_id", "vehicle")
    workorder_id = path_id("workorder_id", "work order")
    wo_id = path_id("wo_id", "work order")
    record = query_param("customer_id", ID, "Only this customer's.")
    shop = "/shops/{shop_id}"
    return {
        "/shops": {
            "get": operation(
                "listShops",
                "List the shops the credential reaches",
                "shops:read",
                {"200": success(ref("Shop"), "A page of shops.", listing=True)},
                parameters=PAGING,
                errors=("400", "401", "403", "422", "429"),
            )
        },
        shop: {"get": reading("getShop", "Get a shop", "shops:read", "Shop")},
        f"{shop}/customers": {
            "get": listing(
                "listCustomers",
                "List customers",
                "customers:read",
                "Customer",
                [
                    query_param(
                        "search",
                        QUERY_TEXT,
                        "Case-insensitive substring of the first "
                        "name, last name, full name, email or phone; a search of phone "
                        "characters also matches the phone's digits whatever their "
                        "formatting.",
                    ),
                    query_param("is_business", {"type": "boolean"}, "`true` or `false`."),
                    CREATED_AFTER,
                ],
            ),
            "post": writing(
                "createCustomer",
                "Create a customer",
                "customers:write",
                "Customer",
                "CustomerCreate",
                "201",
            ),
        },
        f"{shop}/customers/{{customer_id}}": {
            "get": reading(
                "getCustomer", "Get a customer", "customers:read", "Customer", customer_id
            ),
            "put": writing(
                "updateCustomer",
                "Update a customer",
                "customers:write",
                "Customer",
                "CustomerUpdate",
                "200",
                customer_id,
            ),
        },
        f"{shop}/vehicles": {
            "get": listing(
                "listVehicles",
                "List vehicles",
                "vehicles:read",
                "Vehicle",
                [
                    record,
                    query_param("vin", QUERY_TEXT, "Exact VIN, any case."),
                    query_param("license_plate", QUERY_TEXT, "Exact plate, any case."),
                ],
            ),
            "post": writing(
                "createVehicle",
                "Create a vehicle",
                "vehicles:write",
                "Vehicle",
                "VehicleCreate",
                "201",
            ),
        },
        f"{shop}/vehicles/{{vehicle_id}}": {
            "get": reading("getVehicle", "Get a vehicle", "vehicles:read", "Vehicle", vehicle_id)
        },
        f"{shop}/workorders": {
            "get": listing(
                "listWorkOrders",
                "List work orders",
                "workorders:read",
                "WorkOrder",
                [
                    query_param("status", enum(WorkOrder.Status), "Only this status."),
                    record,
                    query_param("vehicle_id", ID, "Only this vehicle's."),
                    query_param("technician_id", ID, "Only those assigned to this technician."),
                    CREATED_AFTER,
                ],
            ),
            "post": writing(
                "createWorkOrder",
                "Create a work order (status draft)",
                "workorders:write",
                "WorkOrderDetail",
                "WorkOrderCreate",
                "201",
            ),
        },
        f"{shop}/workorders/{{workorder_id}}": {
            "get": reading(
                "getWorkOrder",
                "Get a work order with jobs, line items and payments",
                "workorders:read",
                "WorkOrderDetail",
                workorder_id,
            ),
            "put": writing(
                "updateWorkOrder",
                "Update a work order's status, technician or notes",
                "workorders:write",
                "WorkOrderDetail",
                "WorkOrderUpdate",
                "200",
                workorder_id,
            ),
        },
        f"{shop}/workorders/{{wo_id}}/jobs": {
            "get": {
                **listing("listJobs", "List a work order's jobs", "workorders:read", "Job"),
                "parameters": [SHOP_ID, wo_id, *PAGING],
            },
            "post": writing(
                "createJob",
                "Add a job with its line items",
                "workorders:write",
                "Job",
                "JobCreate",
                "201",
                wo_id,
            ),
        },
        f"{shop}/appointments": {
            "get": listing(
                "listAppointments", "List appointments", "appointments:read", "Appointment"
            ),
            "post": writing(
                "createAppointment",
                "Book an appointment",
                "appointments:write",
                "Appointment",
                "AppointmentCreate",
                "201",
            ),
        },
        f"{shop}/payments": {
            "get": listing("listPayments", "List payments", "payments:read", "Payment"),
        },
        f"{shop}/payments/{{payment_id}}": {
            "get": reading(
                "getPayment",
                "Get a payment",
                "payments:read",
                "Payment",
                path_id("payment_id", "payment"),
            ),
        },
        f"{shop}/inventory": {
            "get": listing("listParts", "List parts", "inventory:read", "Part"),
        },
        f"{shop}/inventory/{{part_id}}": {
            "patch": writing(
                "updateStock",
                "Set a part's stock, cost or price",
                "inventory:write",
                "Part",
                "StockUpdate",
                "200",
                path_id("part_id", "part"),
            ),
        },
        f"{shop}/employees": {
            "get": listing(
                "listEmployees",
                "List employees",
                "employees:read",
                "Employee",
                [
                    query_param("role", enum(Employee.Role), "Only this role."),
                    query_param("status", enum(Employee.Status), "Only this status."),
                ],
            ),
        },
        "/oauth/token": {
            "post": oauth_operation(
                "token",
                "Exchange an authorization code, or a refresh token, for tokens",
                "TokenRequest",
                {
                    "200": {
                        "description": "RFC 6749 §5.1 (not wrapped in the envelope).",
                        "content": {"application/json": {"schema": ref("TokenResponse")}},
                    }
                },
            )
        },
        "/oauth/revoke": {
            "post": oauth_operation(
                "revoke",
                "Revoke a token (RFC 7009); revoking a refresh token revokes the grant",
                "RevokeRequest",
                {"200": {"description": "Revoked, or the token was not valid anyway."}},
            )
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "headers": dict(RATE_HEADERS),
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def oauth_operation(operation_id: str, summary: str, body: str, responses: dict) -> dict:
    body_schema = {"schema": ref(body)}
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["oauth"],
        # Client credentials in the body, or in HTTP Basic.
        "security": [{}, {"clientBasic": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": body_schema,
                "application/json": body_schema,
            },
        },
        "responses": {
            **responses,
            "400": {
                "description": "RFC 6749 §5.2.",
                "content": {"application/json": {"schema": ref("OAuthError")}},
            },
            "401": {
                "description": "Client authentication failed (`invalid_client`).",
                "content": {"application/json": {"schema": ref("OAuthError")}},
            },
        },
    }


def document() -> dict:
    header = {"schema": {"type": "integer"}, "required": True}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AutoSync API",
            "version": "1.0",
            "description": (
                "AutoSync's REST API v1 as the sandbox serves it. Every answer is JSON: "
                '`{"success": true, "data": …}` (lists add `pagination`) or '
                '`{"success": false, "error": {"code", "message", "status"}}`. '
                "Lists are ordered by id ascending. Times are ISO 8601 UTC; money is a number "
                "with at most two decimals. Unknown body fields are refused (422). Every "
                "response carries the rate-limit headers."
            ),
        },
        "servers": [
            {"url": "http://127.0.0.1:8001/v1", "description": "The sandbox"},
            {"url": "https://api.autosyncshopmanager.com/v1", "description": "AutoSync"},
        ],
        "security": [{"apiKey": []}, {"oauth2": []}],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": {
                name: error_response(
                    description,
                    *(("WWW-Authenticate",) if status == "401" else ()),
                    *(("Retry-After",) if status == "429" else ()),
                )
                for status, (name, description) in ERROR_RESPONSES.items()
            },
            "headers": {
                "X-RateLimit-Limit": {**header, "description": "Requests allowed per window."},
                "X-RateLimit-Remaining": {**header, "description": "Left in this window."},
                "X-RateLimit-Reset": {
                    **header,
                    "description": "Unix seconds when the window resets.",
                },
                "Retry-After": {**header, "description": "Seconds until the window resets."},
                "WWW-Authenticate": {
                    "schema": {"type": "string"},
                    "required": True,
                    "description": "RFC 6750 Bearer challenge.",
                },
            },
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (`sk_live_…`, `sk_test_…` in the sandbox): "
                    "every shop of its account, every scope.",
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "Authorization code with PKCE (S256). The grant reaches "
                    "the shops the owner ticked, with the approved scopes; a `:write` scope "
                    "implies the `:read` of the same resource.",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": "http://127.0.0.1:8001/oauth/authorize",
                            "tokenUrl": "http://127.0.0.1:8001/v1/oauth/token",
                            "refreshUrl": "http://127.0.0.1:8001/v1/oauth/token",
                            "scopes": dict(SCOPES),
                        }
                    },
                },
                "clientBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "client_id and client_secret.",
                },
            },
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    django.setup()
    OUTPUT.write_text(render())
