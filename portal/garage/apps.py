from django.apps import AppConfig


class GarageConfig(AppConfig):
    """The vehicle owner's side: sign-in by email, their vehicles, visits, work orders and
    payments across every shop they are a customer of."""

    name = "portal.garage"
    verbose_name = "Vehicle owners' garage"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
