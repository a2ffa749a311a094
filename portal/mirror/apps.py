from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "portal.mirror"
    label = "mirror"
    verbose_name = "AutoSync mirror"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
