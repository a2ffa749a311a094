"""The garage's rows in the admin, read-only: what was sent to whom is for looking up, not
for editing (and no secret is there to see: only digests)."""

from django.contrib import admin

from .models import Notification, SignInRequest, TurnedOff


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SignInRequest)
class SignInRequestAdmin(ReadOnly):
    list_display = ("email", "created_at", "sent_at", "ended_at", "ended_because", "wrong_codes")
    list_filter = ("ended_because",)
    search_fields = ("email",)
    exclude = ("link_digest", "code_digest")


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ("kind", "shop", "remote_id", "occurred_at", "sent_at", "outcome")
    list_filter = ("kind", "outcome")


@admin.register(TurnedOff)
class TurnedOffAdmin(ReadOnly):
    list_display = ("email", "kind", "created_at")
    search_fields = ("email",)
