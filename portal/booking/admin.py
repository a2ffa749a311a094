"""Admin for online booking: shops' booking rules and the bookings made."""

from django.contrib import admin

from portal.booking.models import (
    Booking,
    BookingSettings,
    ChangeRequest,
    ClosedDate,
    OpeningHours,
    Service,
)


@admin.register(BookingSettings)
class BookingSettingsAdmin(admin.ModelAdmin):
    list_display = ("shop", "enabled", "mode", "slot_minutes", "capacity")


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("shop", "weekday", "opens", "closes")
    list_filter = ("weekday",)


@admin.register(ClosedDate)
class ClosedDateAdmin(admin.ModelAdmin):
    list_display = ("shop", "date", "reason")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "shop", "minutes", "offered", "position")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "shop", "state", "starts_at", "created_at")
    list_filter = ("state",)
    search_fields = ("name", "email", "phone", "vin", "license_plate")
    readonly_fields = ("manage_token_hash", "appointment_remote_id", "created_at", "updated_at")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "shop", "kind", "outcome", "created_at")
    list_filter = ("kind", "outcome")
    list_select_related = ("booking", "shop")
    raw_id_fields = ("booking", "shop", "handled_by")
