"""Back office: client applications (editable, secrets never shown) and grants (revocable)."""

from django.contrib import admin, messages

from sandbox.oauth.models import Grant, OAuthClient
from sandbox.oauth.services import revoke_grant


@admin.register(OAuthClient)
class OAuthClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "webhook_url", "created_at")
    search_fields = ("name", "client_id")
    fields = ("name", "client_id", "redirect_uris", "webhook_url", "created_at")
    readonly_fields = ("client_id", "created_at")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "webhook_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request) -> bool:
        # Credentials are generated and shown once by `python -m sandbox create_oauth_client`.
        return False


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("client", "account", "scope", "created_at", "revoked_at")
    list_filter = ("client", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("client", "account")
    search_fields = ("account__name", "client__name")
    fields = ("client", "account", "user", "shops", "scope", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected grants and their tokens")
    def revoke(self, request, queryset) -> None:
        count = sum(revoke_grant(grant_id) for grant_id in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Revoked {count} grant(s).", messages.SUCCESS)
