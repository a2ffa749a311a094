"""A change request's shop is required, and it is about exactly one thing: a booking or a
mirrored appointment, each with one request waiting at a time (the rows got their shop in
0006)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0006_change_request_appointments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="changerequest",
            name="shop",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="shops.shop"
            ),
        ),
        migrations.AddIndex(
            model_name="changerequest",
            index=models.Index(
                condition=models.Q(("outcome", "pending")),
                fields=["shop", "created_at"],
                name="booking_change_to_answer",
            ),
        ),
        migrations.AddIndex(
            model_name="changerequest",
            index=models.Index(
                condition=models.Q(("appointment_remote_id__isnull", False)),
                fields=["shop", "appointment_remote_id"],
                name="booking_change_appointment",
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appointment_remote_id__isnull", True), ("booking__isnull", False)),
                    models.Q(("appointment_remote_id__isnull", False), ("booking__isnull", True)),
                    _connector="OR",
                ),
                name="booking_change_about_one",
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("appointment_remote_id__isnull", False), ("outcome", "pending")),
                fields=("shop", "appointment_remote_id"),
                name="booking_one_pending_appointment_change",
            ),
        ),
    ]
