from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def complete_what_was_fully_synced(apps, schema_editor):
    """A shop mirrored in full before completeness was recorded holds all of each resource
    since its last full sync."""
    ResourceState = apps.get_model("mirror", "ResourceState")
    SyncState = apps.get_model("mirror", "SyncState")
    synced = SyncState.objects.filter(shop=OuterRef("shop"), full_synced_at__isnull=False)
    ResourceState.objects.filter(Exists(synced)).update(
        completed_at=Subquery(synced.values("full_synced_at")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mirror", "0002_run_wait_reason_skipped_event_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="resourcestate",
            name="completed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(complete_what_was_fully_synced, migrations.RunPython.noop),
    ]
