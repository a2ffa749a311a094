from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "sandbox.webhooks"
    label = "webhooks"
