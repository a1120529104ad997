"""Read-only admin: certificates change only through the services (rules, audit)."""

from django.contrib import admin

from salamat.sickleave.models import SickLeave, SickLeavePeriod


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PeriodInline(admin.TabularInline):
    model = SickLeavePeriod
    extra = 0
    can_delete = False
    fields = ("ordinal", "start", "end", "doctor", "doctor_position", "commission_chair", "signed")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SickLeave)
class SickLeaveAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "organization", "employer_name", "reason", "created_at")
    list_filter = ("status", "reason")
    search_fields = ("number",)
    list_select_related = ("organization",)
    inlines = [PeriodInline]
