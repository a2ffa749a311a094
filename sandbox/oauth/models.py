"""Client applications and what shop owners granted them."""

from django.db import models

from sandbox.core.models import Account, Shop


class OAuthClient(models.Model):
    """A platform integration registered with AutoSync (`create_oauth_client`)."""

    name = models.CharField(max_length=255)
    client_id = models.CharField(max_length=64, unique=True)
    client_secret_hash = models.CharField(max_length=128, editable=False)
    redirect_uris = models.TextField(help_text="One URI a line, matched exactly.")
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OAuth client application"

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """One consent: an account let a client reach some of its shops with some scopes."""

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="grants")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="grants")
    shops = models.ManyToManyField(Shop, related_name="grants")
    scope = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client} for {self.account}"
