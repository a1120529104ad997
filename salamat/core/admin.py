"""The audit log in the Django admin: read-only, for ministry staff."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from salamat.core.models import AuditLog
from salamat.core.pii import mask_personal, may_reveal

admin.site.site_header = _("Salamat administration")
admin.site.site_title = _("Salamat")
admin.site.index_title = _("Registry, accounts and audit")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes audit rows, not even a superuser."""

    list_display = (
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor",
        "organization",
        "ip",
        "request_id",
    )
    list_filter = ("action", "created_at", ("organization", admin.RelatedOnlyFieldListFilter), "object_type")
    search_fields = ("=object_id", "=request_id", "action")
    date_hierarchy = "created_at"
    list_select_related = ("actor_user", "actor_client", "organization")
    # Counting millions of rows on every page view is slow and useless.
    show_full_result_count = False
    list_per_page = 100
    fields = (
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor_user",
        "actor_client",
        "organization",
        "ip",
        "request_id",
        "changes_pretty",
    )
    readonly_fields = fields

    @admin.display(description=_("who"))
    def actor(self, obj) -> str:
        if obj.actor_client_id:
            return str(obj.actor_client)
        if obj.actor_user_id:
            return str(obj.actor_user)
        return _("system")

    @admin.display(description=_("changes"))
    def changes_pretty(self, obj) -> str:
        return self._pretty(obj.changes)

    @admin.display(description=_("changes"))
    def changes_masked(self, obj) -> str:
        return self._pretty(mask_personal(obj.changes))

    @staticmethod
    def _pretty(changes) -> str:
        return format_html("<pre>{}</pre>", json.dumps(changes, ensure_ascii=False, indent=2, sort_keys=True))

    def get_fields(self, request, obj=None):
        # PINs, e-mails and phones in old/new values are masked for staff without the duty.
        fields = super().get_fields(request, obj)
        if may_reveal(request):
            return fields
        return ["changes_masked" if f == "changes_pretty" else f for f in fields]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
