"""The Django admin of people, memberships and API clients (for superusers and ministry staff)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salamat.accounts import services
from salamat.accounts.models import ApiClient, Membership, User
from salamat.accounts.roles import ALLOWED_ROLES
from salamat.accounts.selectors import actor_for_user
from salamat.core.audit import audit_record, diff
from salamat.core.errors import DomainError, ValidationFailed
from salamat.core.identifiers import validate_pin
from salamat.core.pii import PersonalDataAdminMixin

# Never shown in an audit row's changes.
_SECRET_FIELDS = {"password"}


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("organization", "role", "position", "is_active")

    def clean(self):
        cleaned = super().clean()
        organization, role = cleaned.get("organization"), cleaned.get("role")
        if organization is not None and role and role not in ALLOWED_ROLES.get(organization.org_type, ()):
            self.add_error("role", _("An organisation of this type cannot have this role."))
        return cleaned


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_at",)


class UserForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean_pin(self):
        pin = self.cleaned_data.get("pin")
        if not pin:
            return None
        try:
            return validate_pin(pin)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(User)
class UserAdmin(PersonalDataAdminMixin, DjangoUserAdmin):
    form = UserForm
    list_display = ("username", "full_name", "email", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "memberships__role", "groups")
    search_fields = ("username", "first_name", "last_name", "email", "=pin")
    date_hierarchy = "date_joined"
    inlines = [MembershipInline]
    readonly_fields = ("external_id", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password", "external_id")}),
        (
            _("Person"),
            {"fields": ("last_name", "first_name", "middle_name", "pin", "email", "phone", "esi_sub")},
        ),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description=_("name"))
    def full_name(self, obj) -> str:
        return obj.full_name

    def save_model(self, request, obj, form, change):
        old = {}
        if change:
            old = dict(
                User.objects.filter(pk=obj.pk).values(*[f for f in form.changed_data if f in _PLAIN]).first()
                or {}
            )
        super().save_model(request, obj, form, change)
        changed = [f for f in form.changed_data if f in _PLAIN]
        changes = diff(obj, changed, old) if change else {"username": obj.username}
        if "password" in form.changed_data:
            changes["password"] = "changed"
        audit_record(
            actor=actor_for_user(request.user),
            action="user.admin_change" if change else "user.admin_create",
            obj=obj,
            changes=changes,
        )

    def save_formset(self, request, form, formset, change):
        actor = actor_for_user(request.user)
        instances = formset.save(commit=False)
        for membership in instances:
            created = membership.pk is None
            membership.save()
            audit_record(
                actor=actor,
                action="membership.grant" if created else "membership.admin_change",
                obj=membership,
                changes={
                    "user": str(membership.user.external_id),
                    "organization": str(membership.organization.external_id),
                    "role": membership.role,
                    "is_active": membership.is_active,
                },
            )
        formset.save_m2m()


# Concrete fields of a user that an audit row may show.
_PLAIN = {f.name for f in User._meta.concrete_fields} - _SECRET_FIELDS


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "token_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "state",
    )
    list_filter = ("organization__org_type", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "=token_prefix", "organization__name", "=organization__tax_id")
    list_select_related = ("organization",)
    date_hierarchy = "created_at"
    # The token itself is never stored; its prefix identifies it, its hash is not shown at all.
    fields = (
        "name",
        "organization",
        "external_id",
        "token_prefix",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description=_("state"))
    def state(self, obj) -> str:
        if obj.revoked_at is not None:
            return _("revoked")
        return _("usable") if obj.is_usable else _("expired")

    def has_add_permission(self, request) -> bool:
        # Tokens are issued where they can be shown once: the API and the organisation's pages.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected API clients"), permissions=["change"])
    def revoke(self, request, queryset):
        actor = actor_for_user(request.user)
        done = 0
        for client in queryset.filter(revoked_at__isnull=True):
            try:
                services.api_client_revoke(actor=actor, client=client)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{client}: {exc.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(count)d API client revoked.", "%(count)d API clients revoked.", done)
            % {"count": done},
        )
