from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "sandbox.simulator"
    label = "simulator"
