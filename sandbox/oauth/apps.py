from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "sandbox.oauth"
    label = "oauth"
