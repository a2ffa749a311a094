"""AutoSync's slug becomes `remote_slug`; `slug` is the portal's own, unique across shops."""

from django.db import migrations, models

from portal.shops.slugs import MAX_LENGTH, unique_slug


def give_every_shop_a_slug(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    for shop in Shop.objects.order_by("pk"):
        slug = unique_slug(shop.name, Shop.objects.exclude(pk=shop.pk))
        Shop.objects.filter(pk=shop.pk).update(slug=slug)


class Migration(migrations.Migration):
    dependencies = [("shops", "0002_one_pending_invite")]

    operations = [
        migrations.RenameField("shop", "slug", "remote_slug"),
        migrations.AddField(
            "shop",
            "slug",
            models.SlugField(max_length=MAX_LENGTH, default="", editable=False, db_index=False),
            preserve_default=False,
        ),
        migrations.RunPython(give_every_shop_a_slug, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            "shop",
            "slug",
            models.SlugField(max_length=MAX_LENGTH, unique=True, editable=False),
        ),
    ]
