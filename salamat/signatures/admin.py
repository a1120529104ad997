from django.contrib import admin

from salamat.signatures.models import SignedRecord, TrustedCA


@admin.register(TrustedCA)
class TrustedCAAdmin(admin.ModelAdmin):
    list_display = ["name", "fingerprint", "is_active", "is_stand_in", "created_at"]
    list_filter = ["is_active", "is_stand_in"]
    readonly_fields = ["created_at"]


@admin.register(SignedRecord)
class SignedRecordAdmin(admin.ModelAdmin):
    list_display = ["purpose", "payload_sha256", "signed_at", "verified_at"]
    list_filter = ["purpose"]
    readonly_fields = [f.name for f in SignedRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
