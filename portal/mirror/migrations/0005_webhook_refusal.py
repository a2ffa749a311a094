
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mirror', '0004_customer_email_any_case'),
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookRefusal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hour', models.DateTimeField()),
                ('reason', models.CharField(choices=[('signature', 'Missing or bad signature'), ('malformed', 'Not an AutoSync event')], max_length=16)),
                ('shop_remote_id', models.BigIntegerField(default=0)),
                ('count', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name='webhookevent',
            index=models.Index(fields=['shop_remote_id', 'received_at'], name='mirror_event_shop'),
        ),
        migrations.AddConstraint(
            model_name='webhookrefusal',
            constraint=models.UniqueConstraint(fields=('shop_remote_id', 'hour', 'reason'), name='mirror_refusal_hour'),
        ),
    ]
