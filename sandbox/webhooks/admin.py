"""Settings → Webhooks in the back office: endpoints, events, and every delivery attempt.
Shop staff see their own account's; superusers see all."""

import json

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from sandbox.core.admin import is_shop_staff

from .models import Attempt, Delivery, Endpoint, Event


class AccountWebhooksAdmin(admin.ModelAdmin):
    """Rows reach their account through `account_path`; staff of an account see its rows."""

    account_path = "account"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.account_path: request.user.account_id})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_shop_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_shop_staff(request)

    def has_change_permission(self, request, obj=None):
        return is_shop_staff(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Endpoint)
class EndpointAdmin(AccountWebhooksAdmin):
    """The signing secret is shown on the endpoint's page: the sender needs it in plain text,
    so hiding it after creation would protect nothing."""

    list_display = ("url", "account", "is_active", "created_at")
    list_select_related = ("account",)
    list_filter = ("is_active",)
    search_fields = ("url", "account__name")
    readonly_fields = ("secret", "created_at")

    def get_fields(self, request, obj=None):
        # Staff add endpoints to their own account; only superusers choose one.
        owner = ("account",) if request.user.is_superuser else ()
        return (*owner, "url", "is_active", *(("secret", "created_at") if obj else ()))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account_id = request.user.account_id
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return is_shop_staff(request)

    def has_delete_permission(self, request, obj=None):
        return is_shop_staff(request)


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ("started_at", "url", "status_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AccountWebhooksAdmin):
    list_display = (
        "delivery_id",
        "event",
        "shop",
        "destination",
        "state",
        "attempts",
        "next_attempt_at",
    )
    list_filter = ("state", "event__name")
    search_fields = ("delivery_id", "event__name")
    list_select_related = ("event__shop", "client", "endpoint")
    fields = (
        "delivery_id",
        "event",
        "destination",
        "state",
        "attempts",
        "next_attempt_at",
        "locked_until",
        "created_at",
    )
    readonly_fields = fields
    inlines = (AttemptInline,)
    actions = ("resend",)
    account_path = "event__shop__account"

    @admin.display(ordering="event__shop")
    def shop(self, delivery: Delivery):
        return delivery.event.shop

    @admin.action(description="Re-send the selected deliveries (same delivery id)")
    def resend(self, request, queryset):
        # A pending delivery is already on its way; re-sending a delivered one is allowed,
        # which lets a receiver's handling of duplicates be tried.
        count = queryset.exclude(state=Delivery.State.PENDING).update(
            state=Delivery.State.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            locked_until=None,
            lease_token="",
        )
        noun = "delivery" if count == 1 else "deliveries"
        self.message_user(request, f"{count} {noun} will be sent again.", messages.SUCCESS)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("delivery_id", "destination", "state", "attempts", "next_attempt_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(AccountWebhooksAdmin):
    list_display = ("__str__", "name", "shop", "created_at")
    list_filter = ("name",)
    list_select_related = ("shop",)
    fields = ("name", "shop", "created_at", "payload")
    readonly_fields = fields
    inlines = (DeliveryInline,)
    account_path = "shop__account"

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Body")
    def payload(self, event: Event):
        return format_html("<pre>{}</pre>", json.dumps(json.loads(event.body), indent=2))
