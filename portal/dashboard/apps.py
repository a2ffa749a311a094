from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff side: a shop at a glance, what needs an answer, settings, and the health of
    its connection to AutoSync; it reads the mirror only."""

    name = "portal.dashboard"
    verbose_name = "Staff dashboard"
