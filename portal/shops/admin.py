"""Admin for shops and teams. Connections show their health only: never a token."""

from django.contrib import admin

from portal.shops.models import Connection, Invite, Membership, Shop


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("name", "remote_id", "granted", "connection", "created_at")
    list_filter = ("granted", "connection__status")
    search_fields = ("name", "slug", "remote_slug", "remote_id")
    readonly_fields = ("remote_id", "slug", "connection", "created_at", "updated_at")
    inlines = (MembershipInline,)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    # An explicit allow-list: a field added to the model later stays hidden until listed here.
    fields = (
        "status",
        "status_reason",
        "status_changed_at",
        "scope",
        "access_token_expires_at",
        "last_refreshed_at",
        "refresh_count",
        "connected_by",
        "created_at",
    )
    readonly_fields = fields
    list_display = ("__str__", "status", "last_refreshed_at", "access_token_expires_at")
    list_filter = ("status",)

    def has_add_permission(self, request) -> bool:
        return False  # connections come from AutoSync's consent only


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ("email", "shop", "role", "created_at", "accepted_at")
    search_fields = ("email", "shop__name")
    readonly_fields = ("accepted_at", "accepted_by", "created_at")
