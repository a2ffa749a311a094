"""The mirror's one write rule, as a single SQL statement: insert, or update unless older.

`INSERT … ON CONFLICT (shop_id, remote_id) DO UPDATE SET … WHERE <the new row is not older>`
runs the same on SQLite (3.24+) and PostgreSQL, in bulk, without a read first, and holds under
concurrent writers: the database evaluates the WHERE against the row as it is at write time.

"Not older": when both sides carry AutoSync's `updated_at` and they differ, the later one wins;
otherwise (equal, or either unknown: `updated_at` is an optional field) the later
`observed_at` wins, a tie going to the newcomer so that a repeat of the same data still
refreshes `confirmed_at`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

CLOCK = ("observed_at", "remote_updated_at")


def upsert(model: type[models.Model], rows: Iterable[dict], columns: Sequence[str]) -> int:
    """Write `rows` (dicts by field name, each with shop_id, remote_id, observed_at,
    remote_updated_at and `columns`) into `model`'s table; the number of rows written."""
    by_key = {}
    for row in rows:
        by_key[(row["shop_id"], row["remote_id"])] = row  # one row per key and statement
    if not by_key:
        return 0
    meta = model._meta
    names = ["shop_id", "remote_id", *CLOCK, "confirmed_at", "removed_at", *columns]
    fields = [
        meta.get_field(name.removesuffix("_id") if name == "shop_id" else name) for name in names
    ]
    q = connection.ops.quote_name
    table = q(meta.db_table)
    cols = [q(f.column) for f in fields]
    placeholders = "(" + ", ".join(["%s"] * len(cols)) + ")"
    params: list = []
    for row in by_key.values():
        row = {**row, "confirmed_at": row["observed_at"], "removed_at": None}
        params.extend(
            f.get_db_prep_save(row[n], connection) for f, n in zip(fields, names, strict=True)
        )

    updated = [c for c in cols[2:] if c != q("observed_at")]
    assignments = [f"{c} = excluded.{c}" for c in updated]
    new_obs, old_obs = f"excluded.{q('observed_at')}", f"{table}.{q('observed_at')}"
    new_upd, old_upd = f"excluded.{q('remote_updated_at')}", f"{table}.{q('remote_updated_at')}"
    # Never move the clock back, even when AutoSync's updated_at decided for the newcomer.
    assignments.append(
        f"{q('observed_at')} = CASE WHEN {new_obs} > {old_obs} THEN {new_obs} ELSE {old_obs} END"
    )
    newer = (
        f"({new_upd} IS NOT NULL AND {old_upd} IS NOT NULL AND {new_upd} > {old_upd})"
        f" OR (({new_upd} IS NULL OR {old_upd} IS NULL OR {new_upd} = {old_upd})"
        f" AND {new_obs} >= {old_obs})"
    )
    # Only quoted identifiers from the model's own metadata are interpolated; values are
    # parameters.
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES "  # noqa: S608
        + ", ".join([placeholders] * len(by_key))
        + f" ON CONFLICT ({q('shop_id')}, {q('remote_id')}) DO UPDATE SET "
        + ", ".join(assignments)
        + f" WHERE {newer}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
