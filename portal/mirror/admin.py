"""Read-mostly admin views of the mirror, for support: what AutoSync said, and when."""

from django.contrib import admin

from . import models as m


class MirroredAdmin(admin.ModelAdmin):
    list_filter = ("shop",)
    readonly_fields = ("payload", "observed_at", "remote_updated_at", "confirmed_at", "removed_at")
    show_full_result_count = False


@admin.register(m.Customer)
class CustomerAdmin(MirroredAdmin):
    list_display = ("remote_id", "first_name", "last_name", "email", "shop", "confirmed_at")
    search_fields = ("first_name", "last_name", "email", "=remote_id")


@admin.register(m.Vehicle)
class VehicleAdmin(MirroredAdmin):
    list_display = ("remote_id", "year", "make", "model", "vin", "shop", "confirmed_at")
    search_fields = ("vin", "license_plate", "=remote_id")


class StatusInline(admin.TabularInline):
    model = m.WorkOrderStatus
    extra = 0
    readonly_fields = ("status", "seen_at")


@admin.register(m.WorkOrder)
class WorkOrderAdmin(MirroredAdmin):
    list_display = (
        "remote_id",
        "number",
        "status",
        "customer_name",
        "total",
        "shop",
        "confirmed_at",
    )
    list_filter = ("shop", "status")
    search_fields = ("number", "customer_name", "=remote_id")
    inlines = [StatusInline]


@admin.register(m.Appointment)
class AppointmentAdmin(MirroredAdmin):
    list_display = ("remote_id", "start_time", "status", "shop", "confirmed_at")


@admin.register(m.Payment)
class PaymentAdmin(MirroredAdmin):
    list_display = ("remote_id", "amount", "method", "status", "shop", "confirmed_at")


@admin.register(m.Part)
class PartAdmin(MirroredAdmin):
    list_display = ("remote_id", "part_number", "name", "quantity", "shop", "confirmed_at")


@admin.register(m.Employee)
class EmployeeAdmin(MirroredAdmin):
    list_display = ("remote_id", "name", "role", "status", "shop", "confirmed_at")


@admin.register(m.ShopNotice)
class ShopNoticeAdmin(admin.ModelAdmin):
    list_display = ("kind", "remote_id", "shop", "occurred_at")
    list_filter = ("kind", "shop")


@admin.register(m.WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "shop_remote_id", "received_at", "processed_at", "outcome")
    list_filter = ("name",)
    search_fields = ("key",)
    readonly_fields = ("body",)


class ProgressInline(admin.TabularInline):
    model = m.RunProgress
    extra = 0


@admin.register(m.SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "shop", "mode", "status", "created_at", "finished_at", "requests")
    list_filter = ("status", "mode", "shop")
    inlines = [ProgressInline]
