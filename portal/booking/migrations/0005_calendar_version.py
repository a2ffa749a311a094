"""The shop's calendar version (`CalendarVersion`), kept by the database: a trigger on every
table the free times are computed from draws a new version for the shop of each row written.

SQLite runs a trigger at once, inside the statement; its writers take turns anyway. PostgreSQL
runs it at commit (a deferred constraint trigger): the version's row is then the last lock a
transaction takes, so a transaction holding it never waits for another's rows (an immediate
trigger would lock it at its first write and could deadlock against one locking in the other
order, a webhook against the confirmation of the same appointment).

SQLite drops a table's triggers when Django remakes the table (most `AlterField`s there): a
later migration of one of these tables must run `create_triggers` again.
tests/portal/booking/test_free_times_cache.py fails if it does not."""

from django.db import migrations, models

#: The tables the free times read, each with its `shop_id` column.
TABLES = [
    ("mirror", "Appointment"),
    ("booking", "Booking"),
    ("booking", "BookingSettings"),
    ("booking", "OpeningHours"),
    ("booking", "ClosedDate"),
    ("booking", "Service"),
]

BUMP = (
    "INSERT INTO booking_calendarversion (shop_id, version) VALUES ({row}.shop_id, {random}) "
    "ON CONFLICT (shop_id) DO UPDATE SET version = excluded.version;"
)
POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION booking_calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {BUMP.format(row="OLD", random="floor(random() * 9e18)::bigint")}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {BUMP.format(row="NEW", random="floor(random() * 9e18)::bigint")}
    END IF;
    RETURN NULL;
END
$$;
"""


def _tables(apps) -> list[str]:
    return [apps.get_model(app, model)._meta.db_table for app, model in TABLES]


def create_triggers(apps, schema_editor) -> None:
    """The triggers of every table in TABLES (again, if they are there already)."""
    drop_triggers(apps, schema_editor)
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(POSTGRESQL_FUNCTION)
        for table in _tables(apps):
            execute(
                f'CREATE CONSTRAINT TRIGGER booking_calendar_{table} AFTER INSERT OR UPDATE OR '
                f'DELETE ON "{table}" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                "EXECUTE FUNCTION booking_calendar_changed()"
            )
        return
    for table in _tables(apps):
        for operation, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            bumps = " ".join(BUMP.format(row=row, random="random()") for row in rows)
            execute(
                f"CREATE TRIGGER booking_calendar_{table}_{operation.lower()} "
                f'AFTER {operation} ON "{table}" BEGIN {bumps} END'
            )


def drop_triggers(apps, schema_editor) -> None:
    execute = schema_editor.execute
    for table in _tables(apps):
        if schema_editor.connection.vendor == "postgresql":
            execute(f'DROP TRIGGER IF EXISTS booking_calendar_{table} ON "{table}"')
        else:
            for operation in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS booking_calendar_{table}_{operation}")
    if schema_editor.connection.vendor == "postgresql":
        execute("DROP FUNCTION IF EXISTS booking_calendar_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0004_answers_and_public_text"),
        ("mirror", "0006_dashboard_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarVersion",
            fields=[
                ("shop_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
