import hashlib

from django.contrib import admin

from salamat.accounts.selectors import actor_for_request
from salamat.onboarding.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ChecklistItem,
    OfferAcceptance,
    OfferVersion,
    OnboardingSettings,
    PendingMembership,
)
from salamat.onboarding.services import onboarding_phase_set


@admin.register(OnboardingSettings)
class OnboardingSettingsAdmin(admin.ModelAdmin):
    """The ministry switches between phase 1 and phase 2 here."""

    list_display = ["phase", "updated_at"]

    def has_add_permission(self, request):
        return not OnboardingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):

        obj.pk = onboarding_phase_set(actor=actor_for_request(request), phase=obj.phase).pk


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = ["created_at", "action", "from_status", "to_status", "comment", "actor_user"]
    readonly_fields = fields


class DocumentInline(ReadOnlyInline):
    model = ApplicationDocument
    fields = ["kind", "original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields


class ChecklistInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ["name", "outcome", "applicant_message", "reviewer_message"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the review pages and their services."""

    list_display = ["legal_name", "tax_id", "status", "queued_at", "reviewer", "created_at"]
    list_filter = ["status", "region"]
    search_fields = ["legal_name", "tax_id", "licence_number"]
    inlines = [DocumentInline, ChecklistInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(OfferVersion)
class OfferVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at", "sha256"]
    readonly_fields = ["sha256", "created_at"]

    def has_change_permission(self, request, obj=None):
        # A published text is what acceptances point to: it is never edited, a new version is published.
        return obj is None or obj.published_at is None

    def save_model(self, request, obj, form, change):

        obj.sha256 = hashlib.sha256(obj.text_ru.encode("utf-8")).hexdigest()
        super().save_model(request, obj, form, change)


@admin.register(OfferAcceptance)
class OfferAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["application", "offer_version", "accepted_at", "ip"]
    readonly_fields = [f.name for f in OfferAcceptance._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PendingMembership)
class PendingMembershipAdmin(admin.ModelAdmin):
    list_display = ["organization", "role", "created_at", "linked_user", "linked_at"]
