"""The back office: AutoSync's own screens, where a shop's staff edit every record of their
account. Every write goes through `sandbox.core.services`, so the admin changes records with
the same validation, totals and webhook events as the API."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.db.models import F, Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from . import services
from .keys import new_api_key
from .models import (
    Account,
    ApiKey,
    Appointment,
    Customer,
    Employee,
    Inspection,
    Job,
    LineItem,
    Part,
    Payment,
    Shop,
    User,
    Vehicle,
    WorkOrder,
)

# How each model reaches its account, to show staff only their own records.
ACCOUNT_PATH = {
    Account: "pk",
    User: "account",
    Shop: "account",
    ApiKey: "account",
    Customer: "shop__account",
    Vehicle: "shop__account",
    Employee: "shop__account",
    WorkOrder: "shop__account",
    Appointment: "shop__account",
    Payment: "shop__account",
    Part: "shop__account",
    Inspection: "shop__account",
    Job: "work_order__shop__account",
    LineItem: "job__work_order__shop__account",
}


def scoped(queryset: QuerySet, request: HttpRequest) -> QuerySet:
    """The rows of `queryset` the signed-in staff member may see."""
    user = request.user
    if user.is_superuser:
        return queryset
    return queryset.filter(**{ACCOUNT_PATH[queryset.model]: user.account_id})


def is_shop_staff(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.account_id is not None)


# --- forms whose save is a service call ------------------------------------------------------


class _Rehearsal(Exception):
    """Raised to roll back a rehearsed write."""


def form_field(form: forms.BaseForm, service_field: str) -> str | None:
    """The form field for a service's field name: `customer_id` → `customer`,
    `address.zip` → `zip`, `line_items[0].quantity` → `quantity`; None if not on the form."""
    name = service_field.rsplit(".", 1)[-1].removesuffix("_id")
    return name if name in form.fields else None


class ServiceForm(forms.ModelForm):
    """A model form saved by `write()`, a service call. `clean()` rehearses the write inside
    a savepoint it rolls back, so that `services.Invalid` becomes a message on the field and
    the page re-renders with the input kept, exactly as the service would decide."""

    def write(self) -> Model:
        raise NotImplementedError

    def changed(self, *names: str) -> dict:
        """The cleaned values of the named fields the user changed."""
        return {name: self.cleaned_data[name] for name in names if name in self.changed_data}

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors or cleaned.get("DELETE"):
            return cleaned
        try:
            with transaction.atomic():
                self.write()
                raise _Rehearsal
        except _Rehearsal:
            pass
        except services.Invalid as error:
            self.add_error(form_field(self, error.field), error.message)
        return cleaned


def adopt(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved `obj` the row the service saved (for redirects and logs)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


# --- admin bases -----------------------------------------------------------------------------


class ScopedMixin:
    """Staff see and choose only their account's records; others' answer 404."""

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in ACCOUNT_PATH and "queryset" not in kwargs:
            kwargs["queryset"] = scoped(related._default_manager.all(), request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return is_shop_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_shop_staff(request)

    def has_change_permission(self, request, obj=None):
        return is_shop_staff(request)

    def has_add_permission(self, request, obj=None):
        return is_shop_staff(request)

    def has_delete_permission(self, request, obj=None):
        # Only records with a delete service may be deleted; the others are kept as history.
        return False


class ScopedAdmin(ScopedMixin, admin.ModelAdmin):
    list_per_page = 50

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record in your account.")
        return obj

    def save_model(self, request, obj, form, change):
        if isinstance(form, ServiceForm):
            adopt(obj, form.write())
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        """Inline rows go through the service too: deletions first, then additions and
        changes, each as its own service call (which recomputes totals and records events)."""
        if not issubclass(formset.form, ServiceForm):
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                inline_form.delete()
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            adding = inline_form.instance._state.adding
            adopt(inline_form.instance, inline_form.write())
            if adding:
                formset.new_objects.append(inline_form.instance)
            else:
                formset.changed_objects.append((inline_form.instance, inline_form.changed_data))


class ShopRecordAdmin(ScopedAdmin):
    """A record of one shop: the shop is chosen when adding and fixed afterwards."""

    def get_readonly_fields(self, request, obj=None):
        fixed = ("shop",) if obj else ()
        return (*fixed, *super().get_readonly_fields(request, obj))

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), ("shop", admin.RelatedOnlyFieldListFilter))


# --- accounts, users, shops, API keys ----------------------------------------------------------


@admin.register(Account)
class AccountAdmin(ScopedAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(ScopedMixin, DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "account", "is_staff")
    list_select_related = ("account",)
    list_filter = ("is_staff", "is_active")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("AutoSync", {"fields": ("account",)}))
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("AutoSync", {"fields": ("account", "is_staff")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Staff manage their colleagues' logins, never permissions beyond the back office.
        hidden = {"is_superuser", "groups", "user_permissions", "account"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such user in your account.")
        return obj

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account_id = request.user.account_id
            obj.is_superuser = False
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return is_shop_staff(request) and obj != request.user


@admin.register(Shop)
class ShopAdmin(ScopedAdmin):
    list_display = ("name", "account", "status", "city", "state", "timezone", "tax_rate")
    list_select_related = ("account",)
    list_filter = ("status",)
    search_fields = ("name", "slug", "city")
    readonly_fields = ("last_work_order_number", "created_at")

    def get_readonly_fields(self, request, obj=None):
        fixed = () if request.user.is_superuser else ("account", "slug")
        return (*fixed, *self.readonly_fields)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAdmin):
    """Settings → API keys: a new key is shown once, then only its prefix."""

    list_display = ("prefix", "name", "account", "created_at", "revoked_at")
    list_select_related = ("account",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    fields = ("account", "name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "revoked_at")
    actions = ("revoke",)

    def get_readonly_fields(self, request, obj=None):
        fixed = ("account",) if obj or not request.user.is_superuser else ()
        return (*fixed, *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        account = obj.account if request.user.is_superuser else request.user.account
        key, plain = new_api_key(account, obj.name)
        adopt(obj, key)
        self.message_user(
            request,
            f"Your new API key is {plain} — copy it now: it will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)


# --- customers, vehicles, employees ----------------------------------------------------------


class CustomerForm(ServiceForm):
    class Meta:
        model = Customer
        fields = (
            "shop",
            "first_name",
            "last_name",
            "email",
            "phone",
            "is_business",
            "street",
            "city",
            "state",
            "zip",
        )

    def write(self) -> Customer:
        data = self.cleaned_data
        fields = {
            k: data[k]
            for k in ("first_name", "last_name", "email", "phone", "is_business")
            if k in self.fields
        }
        fields["address"] = {k: data[k] for k in services.ADDRESS_FIELDS}
        if self.instance.pk:
            return services.update_customer(Customer.objects.get(pk=self.instance.pk), **fields)
        return services.create_customer(data["shop"], **fields)


@admin.register(Customer)
class CustomerAdmin(ShopRecordAdmin):
    form = CustomerForm
    list_display = ("__str__", "email", "phone", "city", "is_business", "shop", "created_at")
    list_select_related = ("shop",)
    list_filter = ("is_business",)
    search_fields = ("first_name", "last_name", "email", "phone", "phone_digits")
    readonly_fields = ("created_at", "updated_at")


class VehicleForm(ServiceForm):
    class Meta:
        model = Vehicle
        fields = ("shop", "customer", "year", "make", "model", "vin", "license_plate", "mileage")

    def write(self) -> Vehicle:
        data = self.cleaned_data
        names = ("year", "make", "model", "vin", "license_plate", "mileage")
        if self.instance.pk:
            fields = self.changed(*names)
            if "customer" in self.changed_data:
                fields["customer_id"] = data["customer"].pk
            return services.update_vehicle(Vehicle.objects.get(pk=self.instance.pk), **fields)
        fields = {name: data[name] for name in names}
        return services.create_vehicle(data["shop"], customer_id=data["customer"].pk, **fields)


@admin.register(Vehicle)
class VehicleAdmin(ShopRecordAdmin):
    form = VehicleForm
    list_display = ("__str__", "vin", "license_plate", "customer", "shop", "created_at")
    list_select_related = ("customer", "shop")
    search_fields = ("vin", "license_plate", "make", "model", "customer__last_name")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at", "updated_at")


class EmployeeForm(ServiceForm):
    class Meta:
        model = Employee
        fields = ("shop", "first_name", "last_name", "email", "role", "status")

    def write(self) -> Employee:
        data = self.cleaned_data
        if self.instance.pk:
            employee = Employee.objects.get(pk=self.instance.pk)
            for name in ("first_name", "last_name", "email", "role", "status"):
                setattr(employee, name, data[name])
            return services.save_employee(employee)
        return services.create_employee(
            data["shop"], **{k: data[k] for k in self._meta.fields if k != "shop"}
        )


@admin.register(Employee)
class EmployeeAdmin(ShopRecordAdmin):
    form = EmployeeForm
    list_display = ("__str__", "role", "status", "email", "shop")
    list_select_related = ("shop",)
    list_filter = ("role", "status")
    search_fields = ("first_name", "last_name", "email")


# --- work orders, jobs, line items, payments ---------------------------------------------------


class JobForm(ServiceForm):
    class Meta:
        model = Job
        fields = ("work_order", "name")

    def write(self) -> Job:
        if self.instance.pk:
            return services.rename_job(
                Job.objects.get(pk=self.instance.pk), self.cleaned_data["name"]
            )
        work_order = self.cleaned_data.get("work_order") or self.instance.work_order
        return services.add_job(work_order, name=self.cleaned_data["name"])

    def delete(self) -> None:
        services.delete_job(self.instance)


class JobInline(ScopedMixin, admin.TabularInline):
    model = Job
    form = JobForm
    fields = ("name", "subtotal")
    readonly_fields = ("subtotal",)
    extra = 0
    show_change_link = True  # the job's page holds its line items

    def has_delete_permission(self, request, obj=None):
        return is_shop_staff(request)


class PaymentForm(ServiceForm):
    class Meta:
        model = Payment
        fields = ("work_order", "amount", "method")

    def write(self) -> Payment:
        work_order = self.cleaned_data.get("work_order") or self.instance.work_order
        return services.record_payment(
            work_order, amount=self.cleaned_data["amount"], method=self.cleaned_data["method"]
        )


class PaymentInline(ScopedMixin, admin.TabularInline):
    """Payments taken so far, and a row to record one at the counter."""

    model = Payment
    form = PaymentForm
    fields = ("amount", "method", "status", "created_at")
    readonly_fields = ("status", "created_at")
    extra = 0

    def has_change_permission(self, request, obj=None):
        return False


class WorkOrderForm(ServiceForm):
    class Meta:
        model = WorkOrder
        fields = ("shop", "customer", "vehicle", "technician", "status", "notes")

    def write(self) -> WorkOrder:
        data = self.cleaned_data
        technician = data.get("technician")
        if self.instance.pk:
            fields = self.changed("status", "notes")
            if "technician" in self.changed_data:
                fields["technician_id"] = technician.pk if technician else None
            work_order = WorkOrder.objects.get(pk=self.instance.pk)
            return services.update_work_order(work_order, **fields) if fields else work_order
        return services.create_work_order(
            data["shop"],
            customer_id=data["customer"].pk,
            vehicle_id=data["vehicle"].pk,
            technician_id=technician.pk if technician else None,
            notes=data["notes"],
        )


@admin.register(WorkOrder)
class WorkOrderAdmin(ShopRecordAdmin):
    form = WorkOrderForm
    inlines = (JobInline, PaymentInline)
    list_display = (
        "number",
        "status",
        "customer",
        "vehicle",
        "technician",
        "total",
        "amount_paid",
        "created_at",
        "shop",
    )
    list_select_related = ("customer", "vehicle", "technician", "shop")
    list_filter = ("status",)
    search_fields = ("number", "customer__first_name", "customer__last_name", "vehicle__vin")
    autocomplete_fields = ("customer", "vehicle")
    readonly_fields = (
        "number",
        "subtotal",
        "tax",
        "total",
        "amount_paid",
        "created_at",
        "completed_at",
    )

    def get_fields(self, request, obj=None):
        if obj is None:  # a new work order starts as a draft with no money on it
            return ("shop", "customer", "vehicle", "technician", "notes")
        return (
            "shop",
            "number",
            "customer",
            "vehicle",
            "technician",
            "status",
            "notes",
            "subtotal",
            "tax",
            "total",
            "amount_paid",
            "created_at",
            "completed_at",
        )

    def get_readonly_fields(self, request, obj=None):
        fixed = ("customer", "vehicle") if obj else ()
        return (*fixed, *super().get_readonly_fields(request, obj))

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()


class LineItemForm(ServiceForm):
    class Meta:
        model = LineItem
        fields = ("type", "description", "quantity", "unit_price", "part")

    def write(self) -> LineItem:
        data = self.cleaned_data
        if self.instance.pk:
            line = LineItem.objects.get(pk=self.instance.pk)
            for name in self._meta.fields:
                setattr(line, name, data[name])
            return services.save_line_item(line)
        part = data.get("part")
        return services.add_line_item(
            self.instance.job,
            type=data["type"],
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            part_id=part.pk if part else None,
        )

    def delete(self) -> None:
        services.delete_line_item(self.instance)


class LineItemInline(ScopedMixin, admin.TabularInline):
    model = LineItem
    form = LineItemForm
    fields = ("type", "description", "quantity", "unit_price", "part", "total")
    readonly_fields = ("total",)
    extra = 1

    def has_delete_permission(self, request, obj=None):
        return is_shop_staff(request)


@admin.register(Job)
class JobAdmin(ScopedAdmin):
    """A job and its line items: labor, parts and fees; totals follow every change."""

    form = JobForm
    inlines = (LineItemInline,)
    list_display = ("name", "work_order", "subtotal")
    list_select_related = ("work_order",)
    search_fields = ("name", "work_order__number")
    autocomplete_fields = ("work_order",)
    readonly_fields = ("subtotal",)

    def get_readonly_fields(self, request, obj=None):
        return ("work_order", "subtotal") if obj else ("subtotal",)

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    def has_delete_permission(self, request, obj=None):
        return is_shop_staff(request)

    def delete_model(self, request, obj):
        services.delete_job(obj)

    def delete_queryset(self, request, queryset):
        for job in queryset:
            services.delete_job(job)


@admin.register(Payment)
class PaymentAdmin(ScopedAdmin):
    form = PaymentForm
    list_display = (
        "id",
        "work_order",
        "customer",
        "amount",
        "method",
        "status",
        "created_at",
        "shop",
    )
    list_select_related = ("work_order", "customer", "shop")
    list_filter = ("status", "method", ("shop", admin.RelatedOnlyFieldListFilter))
    search_fields = ("work_order__number", "customer__last_name")
    autocomplete_fields = ("work_order",)
    actions = ("refund",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("work_order", "amount", "method")
        return ("work_order", "customer", "amount", "method", "status", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else ()

    def has_change_permission(self, request, obj=None):
        return False  # a payment is recorded once; a mistake is refunded, never edited

    @admin.action(description="Refund the selected payments")
    def refund(self, request, queryset):
        refunded = 0
        for payment in queryset.filter(status=Payment.Status.SUCCEEDED):
            services.refund_payment(payment)
            refunded += 1
        self.message_user(request, f"Refunded {refunded} payment(s).", messages.SUCCESS)


# --- appointments, inventory, inspections ------------------------------------------------------


class AppointmentForm(ServiceForm):
    class Meta:
        model = Appointment
        fields = ("shop", "customer", "vehicle", "start_time", "end_time", "notes", "status")

    def write(self) -> Appointment:
        data = self.cleaned_data
        if self.instance.pk:
            appointment = Appointment.objects.get(pk=self.instance.pk)
            return services.set_appointment_status(appointment, data["status"])
        vehicle = data.get("vehicle")
        return services.create_appointment(
            data["shop"],
            customer_id=data["customer"].pk,
            start_time=data["start_time"],
            vehicle_id=vehicle.pk if vehicle else None,
            end_time=data.get("end_time"),
            notes=data["notes"],
        )


@admin.register(Appointment)
class AppointmentAdmin(ShopRecordAdmin):
    """Bookings: made once, then only completed or cancelled (as AutoSync allows)."""

    form = AppointmentForm
    list_display = ("start_time", "status", "customer", "vehicle", "notes", "shop")
    list_select_related = ("customer", "vehicle", "shop")
    list_filter = ("status",)
    search_fields = ("customer__first_name", "customer__last_name", "notes")
    autocomplete_fields = ("customer", "vehicle")
    date_hierarchy = "start_time"

    def get_fields(self, request, obj=None):
        fields = ("shop", "customer", "vehicle", "start_time", "end_time", "notes")
        return (*fields, "status", "created_at") if obj else fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("shop", "customer", "vehicle", "start_time", "end_time", "notes", "created_at")


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return (("low", "Below reorder threshold"),)

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(quantity__lt=F("reorder_threshold"))
        return queryset


class PartForm(ServiceForm):
    class Meta:
        model = Part
        fields = ("quantity", "cost", "price")

    def write(self) -> Part:
        fields = self.changed("quantity", "cost", "price")
        part = Part.objects.get(pk=self.instance.pk)
        return services.update_part(part, **fields) if fields else part


@admin.register(Part)
class PartAdmin(ShopRecordAdmin):
    """Stock counts and prices; a count below the threshold raises inventory.low_stock."""

    form = PartForm
    list_display = (
        "part_number",
        "name",
        "quantity",
        "reorder_threshold",
        "is_low",
        "price",
        "shop",
    )
    list_select_related = ("shop",)
    list_filter = (LowStockFilter,)
    search_fields = ("part_number", "name")
    fields = (
        "shop",
        "part_number",
        "name",
        "quantity",
        "reorder_threshold",
        "cost",
        "price",
        "updated_at",
    )
    readonly_fields = ("part_number", "name", "reorder_threshold", "updated_at")

    @admin.display(boolean=True, description="low")
    def is_low(self, part: Part) -> bool:
        return part.quantity < part.reorder_threshold

    def has_add_permission(self, request, obj=None):
        return False  # the service layer has no way to create parts: stock is adjusted only


class InspectionForm(ServiceForm):
    class Meta:
        model = Inspection
        fields = ("work_order", "green", "yellow", "red")

    def write(self) -> Inspection:
        data = self.cleaned_data
        return services.complete_inspection(
            data["work_order"], green=data["green"], yellow=data["yellow"], red=data["red"]
        )


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    """Digital vehicle inspections: completing one sends it to the customer."""

    form = InspectionForm
    list_display = ("id", "work_order", "green", "yellow", "red", "sent_at", "shop")
    list_select_related = ("work_order", "shop")
    list_filter = (("shop", admin.RelatedOnlyFieldListFilter),)
    autocomplete_fields = ("work_order",)

    def get_readonly_fields(self, request, obj=None):
        return ("work_order", "green", "yellow", "red", "sent_at", "shop") if obj else ()

    def has_change_permission(self, request, obj=None):
        return False  # sent to the customer when completed

    def get_fields(self, request, obj=None):
        base = ("work_order", "green", "yellow", "red")
        return (*base, "sent_at", "shop") if obj else base
