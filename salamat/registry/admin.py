"""The Django admin of the registry, for ministry staff.

Admin forms check fields with the same functions as the services, and every save
goes through a service, so the admin obeys the same rules and leaves the same audit
rows as the API and the imports. Only ministry staff (regulators, reviewers) and
superusers may change anything here; others with access may only look.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salamat.core.actors import Actor, actor_for_user
from salamat.core.errors import DomainError, ValidationFailed
from salamat.registry import services
from salamat.registry import validation as v
from salamat.registry.models import (
    DosageForm,
    Organization,
    OrganizationStatus,
    Product,
    ProductGtin,
    Site,
    TrackingList,
    TrackingListEntry,
)


def actor_of(request) -> Actor:
    return actor_for_user(request.user)


class ServiceForm(forms.ModelForm):
    """A model form whose changed fields are checked by the services' own field checks."""

    cleaners: dict[str, Any] = {}

    def clean(self):
        cleaned = super().clean()
        for name in self.changed_data:
            cleaner = self.cleaners.get(name)
            if cleaner is None or name not in cleaned:
                continue
            try:
                cleaned[name] = cleaner(cleaned[name])
            except ValidationFailed as exc:
                self.add_error(name, exc.message)
        return cleaned


class MinistryWriteMixin:
    """Writes for ministry staff and superusers only; everyone else with access just looks."""

    def _may_write(self, request) -> bool:
        return services.actor_is_ministry(actor_of(request))

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request, *args) and self._may_write(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_write(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Registry rows are referenced by packages and audit rows: deactivate, never delete.
        return False


def _adopt(obj, created) -> None:
    """Makes the admin's unsaved `obj` stand for the row a service just created."""
    obj.pk = created.pk
    for name in ("external_id", "created_at", "updated_at"):
        if hasattr(created, name):
            setattr(obj, name, getattr(created, name))
    obj._state.adding = False
    obj._state.db = created._state.db


def _record_formset(formset, new=(), changed=(), deleted=()) -> None:
    """What the admin's change message reads from a formset it saved itself."""
    formset.new_objects = list(new)
    formset.changed_objects = list(changed)
    formset.deleted_objects = list(deleted)


# --- organisations and sites ---------------------------------------------------------------


class OrganizationForm(ServiceForm):
    cleaners = services.ORGANIZATION_FIELDS

    class Meta:
        model = Organization
        fields = (
            "name",
            "short_name",
            "org_type",
            "ownership",
            "tax_id",
            "status",
            "legal_address",
            "region",
            "email",
            "phone",
            "licence_number",
        )


class SiteForm(ServiceForm):
    cleaners = services.SITE_FIELDS

    class Meta:
        model = Site
        fields = (
            "organization",
            "name",
            "address",
            "region",
            "district",
            "gln",
            "opening_hours",
            "is_active",
        )


class SiteInline(admin.TabularInline):
    model = Site
    form = SiteForm
    fields = ("name", "address", "region", "district", "gln", "is_active")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(MinistryWriteMixin, admin.ModelAdmin):
    form = OrganizationForm
    list_display = ("name", "org_type", "ownership", "tax_id", "region", "status", "site_count", "created_at")
    list_filter = ("org_type", "status", "ownership", "region")
    search_fields = ("name", "short_name", "=tax_id", "=sites__gln", "licence_number")
    date_hierarchy = "created_at"
    ordering = ("name",)
    list_per_page = 50
    inlines = [SiteInline]
    actions = ["activate", "suspend"]
    fieldsets = (
        (None, {"fields": ("name", "short_name", "org_type", "ownership", "tax_id", "status")}),
        (_("Contacts"), {"fields": ("legal_address", "region", "email", "phone", "licence_number")}),
        (_("Record"), {"fields": ("external_id", "created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_site_count=Count("sites"))

    @admin.display(description=_("sites"), ordering="_site_count")
    def site_count(self, obj) -> int:
        return obj._site_count

    def get_readonly_fields(self, request, obj=None):
        readonly = ["external_id", "created_at", "updated_at"]
        if obj is not None:
            readonly.append("status")  # changed with the actions, which are audited with a reason
        return readonly

    def save_model(self, request, obj, form, change):
        actor = actor_of(request)
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.ORGANIZATION_FIELDS}
            services.organization_update(actor=actor, organization=obj, data=data)
        else:
            values = {f: form.cleaned_data[f] for f in services.ORGANIZATION_FIELDS}
            created = services.organization_create(
                actor=actor, status=form.cleaned_data.get("status") or OrganizationStatus.PENDING, **values
            )
            _adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        _save_sites(request, form.instance, formset)

    def _set_status(self, request, queryset, status: str) -> None:
        actor = actor_of(request)
        done = 0
        for organization in queryset:
            if organization.status == status:
                continue
            try:
                services.organization_set_status(
                    actor=actor, organization=organization, status=status, reason="admin action"
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{organization}: {exc.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(count)d organisation changed.", "%(count)d organisations changed.", done)
            % {"count": done},
        )

    @admin.action(description=_("Activate the selected organisations"), permissions=["change"])
    def activate(self, request, queryset):
        self._set_status(request, queryset, OrganizationStatus.ACTIVE)

    @admin.action(description=_("Suspend the selected organisations"), permissions=["change"])
    def suspend(self, request, queryset):
        self._set_status(request, queryset, OrganizationStatus.SUSPENDED)


def _save_sites(request, organization: Organization, formset) -> None:
    actor = actor_of(request)
    new, changed = [], []
    for site_form in formset.forms:
        if not site_form.has_changed() or not site_form.cleaned_data:
            continue
        site = site_form.instance
        if site.pk is None:
            values = {
                f: site_form.cleaned_data.get(f) for f in ("name", "address", "region", "district", "gln")
            }
            _adopt(site, services.site_create(actor=actor, organization=organization, **values))
            new.append(site)
        else:
            data = {f: site_form.cleaned_data[f] for f in site_form.changed_data if f in services.SITE_FIELDS}
            services.site_update(actor=actor, site=site, data=data)
            changed.append((site, list(data)))
    _record_formset(formset, new, changed)


@admin.register(Site)
class SiteAdmin(MinistryWriteMixin, admin.ModelAdmin):
    form = SiteForm
    list_display = ("name", "organization", "region", "district", "gln", "is_active")
    list_filter = ("region", "is_active", "organization__org_type")
    search_fields = ("name", "address", "=gln", "organization__name", "=organization__tax_id")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("external_id", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "organization"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = actor_of(request)
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.SITE_FIELDS}
            services.site_update(actor=actor, site=obj, data=data)
        else:
            values = {
                f: form.cleaned_data.get(f)
                for f in ("name", "address", "region", "district", "gln", "opening_hours")
            }
            _adopt(
                obj,
                services.site_create(actor=actor, organization=form.cleaned_data["organization"], **values),
            )


# --- products ------------------------------------------------------------------------------


class ProductForm(ServiceForm):
    cleaners = services.PRODUCT_FIELDS

    class Meta:
        model = Product
        fields = (
            "registration_number",
            "registered_on",
            "valid_until",
            "trade_name",
            "trade_name_ru",
            "trade_name_ky",
            "inn",
            "inn_ru",
            "inn_ky",
            "atc_code",
            "dosage_form",
            "strength",
            "units_per_package",
            "manufacturer_name",
            "manufacturer_country",
            "manufacturer",
        )
        help_texts = {
            "dosage_form": _(
                "A term of the controlled list of dosage forms, in any language: its Russian and "
                "Kyrgyz names are filled in from the list."
            )
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("registered_on") and cleaned.get("valid_until"):
            try:
                services.check_product_dates(cleaned["registered_on"], cleaned["valid_until"])
            except ValidationFailed as exc:
                self.add_error("valid_until", exc.message)
        return cleaned


class GtinForm(forms.ModelForm):
    class Meta:
        model = ProductGtin
        fields = ("gtin",)
        help_texts = {"gtin": _("GTIN-8, 12, 13 or 14; stored as GTIN-14.")}

    def clean_gtin(self):
        try:
            return v.clean_gtin(self.cleaned_data.get("gtin"))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None


class GtinInline(admin.TabularInline):
    model = ProductGtin
    form = GtinForm
    extra = 1


class ValidityFilter(admin.SimpleListFilter):
    title = _("registration")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("valid", _("valid today")), ("expired", _("expired"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "valid":
            return queryset.filter(registered_on__lte=today).exclude(valid_until__lt=today)
        if self.value() == "expired":
            return queryset.filter(valid_until__lt=today)
        return queryset


class AtcGroupFilter(admin.SimpleListFilter):
    title = _("ATC group")
    parameter_name = "atc"

    def lookups(self, request, model_admin):
        return [(letter, letter) for letter in sorted("ABCDGHJLMNPRSV")]

    def queryset(self, request, queryset):
        return queryset.filter(atc_code__startswith=self.value()) if self.value() else queryset


@admin.register(DosageForm)
class DosageFormAdmin(admin.ModelAdmin):
    """The controlled list, to read: it is shipped by a migration (`0005_dosage_form_list`)."""

    list_display = ("code", "name_ru", "name_ky", "name_en")
    search_fields = ("code", "name_ru", "name_ky", "name_en")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(MinistryWriteMixin, admin.ModelAdmin):
    form = ProductForm
    list_display = (
        "trade_name",
        "strength",
        "dosage_form",
        "inn",
        "atc_code",
        "registration_number",
        "manufacturer_name",
        "manufacturer_country",
        "valid_until",
    )
    list_filter = (ValidityFilter, AtcGroupFilter, "tracking_lists", "manufacturer_country")
    search_fields = (
        "trade_name",
        "trade_name_ru",
        "trade_name_ky",
        "inn",
        "inn_ru",
        "inn_ky",
        "=registration_number",
        "atc_code",
        "=gtins__gtin",
        "manufacturer_name",
    )
    date_hierarchy = "registered_on"
    autocomplete_fields = ("manufacturer",)
    readonly_fields = ("external_id", "dosage_form_ru", "dosage_form_ky", "form", "created_at", "updated_at")
    inlines = [GtinInline]
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        # A GTIN-8/12/13 typed in the search box finds its GTIN-14.
        term = search_term.strip()
        if term.isdigit() and len(term) in (8, 12, 13):
            search_term = term.zfill(14)
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        actor = actor_of(request)
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.PRODUCT_FIELDS}
            services.product_update(actor=actor, product=obj, data=data)
        else:
            values = {f: form.cleaned_data.get(f) for f in services.PRODUCT_FIELDS}
            _adopt(obj, services.product_create(actor=actor, **values))

    def save_formset(self, request, form, formset, change):
        actor = actor_of(request)
        product = form.instance
        new, deleted = [], []
        for gtin_form in formset.forms:
            if not gtin_form.cleaned_data:
                continue
            row = gtin_form.instance
            if row.pk is not None and (gtin_form.cleaned_data.get("DELETE") or gtin_form.has_changed()):
                old = ProductGtin.objects.get(pk=row.pk)
                services.product_remove_gtin(actor=actor, product_gtin=old)
                deleted.append(old)
            if not gtin_form.cleaned_data.get("DELETE") and gtin_form.has_changed():
                gtin = gtin_form.cleaned_data["gtin"]
                new.append(services.product_add_gtin(actor=actor, product=product, gtin=gtin))
        _record_formset(formset, new, deleted=deleted)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- tracking lists ------------------------------------------------------------------------


class TrackingListForm(ServiceForm):
    cleaners = services.TRACKING_LIST_FIELDS

    class Meta:
        model = TrackingList
        fields = ("code", "name", "mandatory_from", "covers_all_products")


class EntryInline(admin.TabularInline):
    model = TrackingListEntry
    autocomplete_fields = ("product",)
    extra = 1


@admin.register(TrackingList)
class TrackingListAdmin(MinistryWriteMixin, admin.ModelAdmin):
    form = TrackingListForm
    list_display = ("name", "code", "mandatory_from", "covers_all_products", "product_count")
    list_filter = ("covers_all_products",)
    search_fields = ("name", "code")
    date_hierarchy = "mandatory_from"
    inlines = [EntryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("entries"))

    @admin.display(description=_("products listed"), ordering="_product_count")
    def product_count(self, obj) -> int | str:
        return _("all") if obj.covers_all_products else obj._product_count

    def get_readonly_fields(self, request, obj=None):
        return ("code", "created_at") if obj is not None else ("created_at",)

    def save_model(self, request, obj, form, change):
        actor = actor_of(request)
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.TRACKING_LIST_FIELDS}
            services.tracking_list_update(actor=actor, tracking_list=obj, data=data)
        else:
            _adopt(
                obj,
                services.tracking_list_create(
                    actor=actor,
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                    mandatory_from=form.cleaned_data["mandatory_from"],
                    covers_all_products=form.cleaned_data.get("covers_all_products", False),
                ),
            )

    def save_formset(self, request, form, formset, change):
        actor = actor_of(request)
        tracking_list = TrackingList.objects.get(pk=form.instance.pk)
        add: list[Product] = []
        remove: list[Product] = []
        for entry_form in formset.forms:
            data = entry_form.cleaned_data
            if not data:
                continue
            entry = entry_form.instance
            if entry.pk is not None:
                old_product = TrackingListEntry.objects.get(pk=entry.pk).product
                if data.get("DELETE"):
                    remove.append(old_product)
                elif entry_form.has_changed():
                    remove.append(old_product)
                    add.append(data["product"])
            elif entry_form.has_changed() and data.get("product") is not None:
                add.append(data["product"])
        if remove:
            services.tracking_list_remove_products(actor=actor, tracking_list=tracking_list, products=remove)
        if add:
            try:
                services.tracking_list_add_products(actor=actor, tracking_list=tracking_list, products=add)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        _record_formset(formset, add, deleted=remove)


# --- labelling schemes: read-only here; the regulator's pages validate and audit every change ---

from salamat.registry.models import LabellingScheme, SchemeProductCode  # noqa: E402


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LabellingScheme)
class LabellingSchemeAdmin(_ReadOnlyAdmin):
    list_display = ("code", "name_en", "kind", "prefix", "is_active", "version", "updated_at")
    list_filter = ("kind", "is_active")


@admin.register(SchemeProductCode)
class SchemeProductCodeAdmin(_ReadOnlyAdmin):
    list_display = ("scheme", "code", "product")
    list_filter = ("scheme",)
    search_fields = ("code", "product__trade_name", "product__registration_number")
    list_select_related = ("scheme", "product")
