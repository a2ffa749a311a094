from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sandbox.core"
    label = "core"
    verbose_name = "AutoSync"
