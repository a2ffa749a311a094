"""A change request may be about a mirrored appointment (made by phone) instead of a booking:
it gets its shop and the email to answer, filled in from the booking for the rows there are.
The shop becomes required in 0007: on PostgreSQL a table cannot be altered in the transaction
that updated its rows (their deferred foreign key checks are still pending)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_from_bookings(apps, schema_editor) -> None:
    ChangeRequest = apps.get_model("booking", "ChangeRequest")
    Booking = apps.get_model("booking", "Booking")
    booking = Booking.objects.filter(pk=OuterRef("booking_id"))
    ChangeRequest.objects.filter(shop__isnull=True).update(
        shop_id=Subquery(booking.values("shop_id")[:1]),
        email=Subquery(booking.values("email")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0005_calendar_version"),
        ("shops", "0004_shop_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="changerequest",
            name="shop",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="shops.shop",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="email",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="appointment_remote_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="changerequest",
            name="booking",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="change_requests",
                to="booking.booking",
            ),
        ),
        migrations.RunPython(fill_from_bookings, migrations.RunPython.noop, elidable=True),
    ]
