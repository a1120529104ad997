from django.contrib import admin

from salamat.devidp.models import DevPerson


@admin.register(DevPerson)
class DevPersonAdmin(admin.ModelAdmin):
    """The stand-in ESI's fictional people (development only)."""

    list_display = ("full_name", "pin", "label", "sub")
    search_fields = ("family_name", "given_name", "pin", "sub")
    readonly_fields = ("shadow_user", "created_at")
