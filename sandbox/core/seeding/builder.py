"""Fill an empty database with accounts, users, API keys and shops, deterministically.

The seed bypasses the service layer and writes with bulk_create: an empty database has no
webhook subscribers, so no event would reach anyone, and the `large` scale (hundreds of
thousands of rows) must load in well under two minutes. Totals follow the same contract rules
through `seeding.totals`, which reuses `sandbox.core.money.cents`.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from sandbox.core.keys import new_api_key
from sandbox.core.models import (
    Account,
    Appointment,
    Customer,
    Part,
    Payment,
    Shop,
    User,
    Vehicle,
    WorkOrder,
)

from .shop import DEMO, LARGE, SMALL, ShopBuilder, ShopSpec

SCALES = {"small": SMALL, "demo": DEMO, "large": LARGE}


@dataclass(frozen=True)
class AccountSpec:
    name: str
    users: tuple[tuple[str, str, str], ...]  # (username, first name, last name)
    shops: tuple[ShopSpec, ...]


ACCOUNTS = (
    AccountSpec(
        "Johnson's Auto Care",
        (("mike.johnson", "Mike", "Johnson"), ("dana.price", "Dana", "Price")),
        (
            ShopSpec(
                "Johnson's Auto Care - Canton",
                "johnsons-auto-care-canton",
                "canton",
                "4417 Whipple Ave NW",
                Decimal("0.0725"),
                Decimal("139.00"),
            ),
            ShopSpec(
                "Johnson's Auto Care - Akron",
                "johnsons-auto-care-akron",
                "akron",
                "1290 E Market St",
                Decimal("0.0675"),
                Decimal("145.00"),
            ),
        ),
    ),
    AccountSpec(
        "Rivera Brothers Garage",
        (("luis.rivera", "Luis", "Rivera"),),
        (
            ShopSpec(
                "Rivera Brothers Garage",
                "rivera-brothers-garage",
                "austin",
                "2301 S Lamar Blvd",
                Decimal("0.0825"),
                Decimal("155.00"),
            ),
        ),
    ),
    AccountSpec(
        "Summit Peak Automotive",
        (("kate.morgan", "Kate", "Morgan"),),
        (
            ShopSpec(
                "Summit Peak Automotive",
                "summit-peak-automotive",
                "denver",
                "3870 W Colfax Ave",
                Decimal("0.0881"),
                Decimal("165.00"),
            ),
        ),
    ),
)
TIMESTAMPED = (Account, Shop, Customer, Vehicle, WorkOrder, Appointment, Payment, Part)


def is_empty() -> bool:
    return not (Account.objects.exists() or Shop.objects.exists() or Customer.objects.exists())


@contextmanager
def explicit_timestamps() -> Iterator[None]:
    """Let the seed write its own created_at/updated_at (months of history) in one INSERT
    instead of correcting auto_now(_add) values with a second pass over every row."""
    fields = [
        f
        for m in TIMESTAMPED
        for f in m._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def seed_database(seed: int, scale_name: str) -> dict:
    """Create every account with its users, API key and shops; the summary `seed --json`
    prints (the only place the plain API keys appear)."""
    scale = SCALES[scale_name]
    # Anchored on the hour so that two runs a few seconds apart make the same records.
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    passwords = {u[0]: f"{u[1].lower()}-sandbox-{seed}" for a in ACCOUNTS for u in a.users}
    # PBKDF2 is slow on purpose; hashing in threads (hashlib releases the GIL) keeps the
    # small seed fast.
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = dict(zip(passwords, pool.map(make_password, passwords.values()), strict=True))
    summary = []
    with transaction.atomic(), explicit_timestamps():
        for index, spec in enumerate(ACCOUNTS):
            created = now - timedelta(days=scale.history_days + 30 - index)
            account = Account.objects.create(name=spec.name, created_at=created)
            User.objects.bulk_create(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    account=account,
                    email=f"{username}@{spec.shops[0].slug}.example.com",
                    is_staff=True,
                    password=hashes[username],
                    date_joined=created,
                )
                for username, first, last in spec.users
            )
            _, plain_key = new_api_key(account)
            shops = []
            for shop_index, shop_spec in enumerate(spec.shops):
                # `large` grows the first shop only; the others stay small and quick.
                shop_scale = (
                    scale
                    if index == 0 and shop_index == 0
                    else (SMALL if scale is LARGE else scale)
                )
                shop = ShopBuilder(shop_spec, account, seed, shop_scale, now, created).build()
                shops.append({"id": shop.id, "name": shop.name, "slug": shop.slug})
            summary.append(
                {
                    "id": account.id,
                    "name": account.name,
                    "api_key": plain_key,
                    "users": [{"username": u[0], "password": passwords[u[0]]} for u in spec.users],
                    "shops": shops,
                }
            )
    with connection.cursor() as cursor:
        # Fresh planner statistics: without them the first queries on a bulk-loaded
        # database pick poor plans until autovacuum (PostgreSQL) or never (SQLite) notices.
        cursor.execute("ANALYZE")
    return {"accounts": summary}
