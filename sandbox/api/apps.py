from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sandbox.api"
    label = "api"
