"""Read-only admin views for operators: every write goes through the services (rules, audit)."""

from django.contrib import admin

from salamat.traceability.models import Alert, Container, Event, Package, Recall, Shipment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Package)
class PackageAdmin(ReadOnlyAdmin):
    list_display = ["key", "product", "batch", "expiry", "state", "withdraw_reason", "owner", "updated_at"]
    list_filter = ["state", "withdraw_reason"]
    search_fields = ["=key"]  # exact: a prefix search over a billion keys would scan
    show_full_result_count = False
    list_select_related = ["product", "owner"]


@admin.register(Container)
class ContainerAdmin(ReadOnlyAdmin):
    list_display = ["key", "owner", "state", "parent", "updated_at"]
    search_fields = ["=key"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "operation", "event_time", "organization", "package_count", "cancelled_by"]
    list_filter = ["operation"]
    search_fields = ["=event_id"]
    show_full_result_count = False
    list_select_related = ["organization"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "sender",
        "receiver",
        "invoice_number",
        "status",
        "package_count",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["sender", "receiver"]


@admin.register(Recall)
class RecallAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "kind", "product", "batch", "status", "package_count", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "kind", "severity", "organization", "code_count", "status", "created_at"]
    list_filter = ["status", "severity", "kind"]
