"""Writes on the participants and drug registry. Every one is keyword-only, atomic and audited.

Who may write what:

* organisations, their status, products and tracking lists: the ministry (its
  regulators and reviewers), superusers and the system (imports, seeding);
* an organisation's own administrator may edit its contact details and its sites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record, diff
from salamat.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error
from salamat.core.roles import Role
from salamat.registry import validation as v
from salamat.registry.models import (
    DosageForm,
    Organization,
    OrganizationStatus,
    OrganizationType,
    OwnershipForm,
    Product,
    ProductGtin,
    Region,
    Site,
    TrackingList,
    TrackingListEntry,
)

Cleaner = Callable[[Any], Any]

# --- permissions ---------------------------------------------------------------

MINISTRY_ROLES = (Role.REGULATOR, Role.MINISTRY_REVIEWER)


def actor_is_ministry(actor: Actor) -> bool:
    """The system, a superuser, or a regulator/reviewer acting for the ministry."""
    if actor.is_system:
        return True
    if actor.user is not None and actor.user.is_superuser:
        return True
    org = actor.organization
    return org is not None and org.org_type == OrganizationType.MINISTRY and actor.has_role(*MINISTRY_ROLES)


def require_ministry(actor: Actor) -> None:
    if not actor_is_ministry(actor):
        raise PermissionDenied(
            "ministry_only",
            _("Only the ministry (a regulator or reviewer) may change the registry."),
            details={"required_roles": sorted(MINISTRY_ROLES)},
        )


def _require_ministry_or_admin_of(actor: Actor, organization: Organization) -> None:
    if actor_is_ministry(actor):
        return
    if (
        actor.organization is not None
        and actor.organization.pk == organization.pk
        and actor.has_role(Role.ORG_ADMIN)
    ):
        return
    raise PermissionDenied(
        "not_organization_admin",
        _("Only the ministry or an administrator of this organisation may do this."),
    )


# --- field cleaning --------------------------------------------------------------


def _text(field: str, max_length: int, *, required: bool = True) -> Cleaner:
    return lambda value: v.clean_text(value, field=field, max_length=max_length, required=required)


def _optional_region(value: Any) -> str:
    return v.clean_region(value) if str(value or "").strip() else ""


ORGANIZATION_FIELDS: dict[str, Cleaner] = {
    "name": _text("name", 255),
    "short_name": _text("short_name", 120, required=False),
    "org_type": v.clean_org_type,
    "ownership": v.clean_ownership,
    "tax_id": v.clean_tax_id,
    "legal_address": _text("legal_address", 255, required=False),
    "region": _optional_region,
    "email": v.clean_email,
    "phone": _text("phone", 32, required=False),
    "licence_number": _text("licence_number", 64, required=False),
}
# What an organisation's own administrator may change; the rest is the ministry's.
ORGANIZATION_SELF_EDITABLE = frozenset({"short_name", "legal_address", "email", "phone"})

SITE_FIELDS: dict[str, Cleaner] = {
    "name": _text("name", 255),
    "address": _text("address", 255),
    "region": v.clean_region,
    "district": _text("district", 120, required=False),
    "gln": v.clean_gln,
    "opening_hours": _text("opening_hours", 200, required=False),
    "is_active": bool,
}


def _clean_manufacturer(value: Any) -> Organization | None:
    if value is None:
        return None
    if not isinstance(value, Organization) or value.org_type != OrganizationType.MANUFACTURER:
        raise field_error(
            "manufacturer",
            "not_a_manufacturer",
            _("The linked organisation must be a manufacturer in the registry."),
        )
    return value


PRODUCT_FIELDS: dict[str, Cleaner] = {
    "registration_number": _text("registration_number", 64),
    "registered_on": lambda value: v.clean_date(value, field="registered_on"),
    "valid_until": lambda value: v.clean_date(value, field="valid_until", required=False),
    "trade_name": _text("trade_name", 255),
    "inn": _text("inn", 255),
    "atc_code": v.clean_atc,
    "dosage_form": _text("dosage_form", 120),
    "trade_name_ru": _text("trade_name_ru", 255, required=False),
    "trade_name_ky": _text("trade_name_ky", 255, required=False),
    "inn_ru": _text("inn_ru", 255, required=False),
    "inn_ky": _text("inn_ky", 255, required=False),
    "strength": _text("strength", 120, required=False),
    "units_per_package": lambda value: v.clean_positive_int(value, field="units_per_package"),
    "manufacturer_name": _text("manufacturer_name", 255),
    "manufacturer_country": v.clean_country,
    "manufacturer": _clean_manufacturer,
}

TRACKING_LIST_FIELDS: dict[str, Cleaner] = {
    "name": _text("name", 255),
    "mandatory_from": lambda value: v.clean_date(value, field="mandatory_from"),
    "covers_all_products": bool,
}


def clean_fields(data: dict[str, Any], cleaners: dict[str, Cleaner]) -> dict[str, Any]:
    """Cleans every key of `data`; all bad fields are reported together.

    One bad field raises its own error (its code, e.g. `tax_id_malformed`); several
    raise `validation_error` listing each field with its code."""
    clean: dict[str, Any] = {}
    errors: list[ValidationFailed] = []
    for name, value in data.items():
        cleaner = cleaners.get(name)
        if cleaner is None:
            errors.append(
                field_error(name, "unknown_field", _("%(field)s cannot be set here.") % {"field": name})
            )
            continue
        try:
            clean[name] = cleaner(value)
        except ValidationFailed as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        fields = [f for exc in errors for f in exc.details.get("fields", [])]
        raise ValidationFailed(
            "validation_error", _("Some fields are not valid."), details={"fields": fields}
        )
    return clean


# What the services copy from the controlled list onto a product with its dosage form.
DOSAGE_FORM_COPIES = ("dosage_form_ru", "dosage_form_ky", "form_id")


def dosage_form_index() -> dict[str, DosageForm]:
    """The controlled list by every name a file or form may give: code and each language's
    name, case-folded (a few dozen rows, read once per write or import)."""
    index: dict[str, DosageForm] = {}
    for form in DosageForm.objects.all():
        for name in (form.code, form.name_en, form.name_ru, form.name_ky):
            index.setdefault(" ".join(name.split()).casefold(), form)
    return index


def dosage_form_values(text: str, index: dict[str, DosageForm] | None = None) -> dict[str, Any]:
    """The product fields for a dosage form given as a code or a name in any language: the
    controlled term's three names when it is one, else the text as given, untranslated."""
    form = (index if index is not None else dosage_form_index()).get(" ".join(text.split()).casefold())
    if form is None:
        return {"dosage_form": text, "dosage_form_ru": "", "dosage_form_ky": "", "form_id": None}
    return {
        "dosage_form": form.name_en,
        "dosage_form_ru": form.name_ru,
        "dosage_form_ky": form.name_ky,
        "form_id": form.pk,
    }


def check_product_dates(registered_on: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < registered_on:
        raise field_error(
            "valid_until",
            "valid_until_before_registered_on",
            _("The registration cannot end before it starts."),
        )


def _snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _created(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return diff(instance, list(fields), {})


def _taken(code: str, field: str, message: str, **details: Any) -> Conflict:
    return Conflict(
        code, message, details={"fields": [{"field": field, "code": code, "message": message}], **details}
    )


# --- organisations -------------------------------------------------------------------


@transaction.atomic
def organization_create(
    *,
    actor: Actor,
    name: str,
    org_type: str,
    tax_id: str,
    ownership: str = OwnershipForm.PRIVATE,
    short_name: str = "",
    status: str = OrganizationStatus.PENDING,
    legal_address: str = "",
    region: str = "",
    email: str = "",
    phone: str = "",
    licence_number: str = "",
) -> Organization:
    """Registers a participant; only the ministry or the system may."""
    require_ministry(actor)
    values = clean_fields(
        {
            "name": name,
            "org_type": org_type,
            "tax_id": tax_id,
            "ownership": ownership,
            "short_name": short_name,
            "legal_address": legal_address,
            "region": region,
            "email": email,
            "phone": phone,
            "licence_number": licence_number,
        },
        ORGANIZATION_FIELDS,
    )
    values["status"] = v.clean_status(status)
    if Organization.objects.filter(tax_id=values["tax_id"]).exists():
        raise _taken("tax_id_taken", "tax_id", _("An organisation with this tax ID is already registered."))
    organization = Organization.objects.create(**values)
    audit_record(
        actor=actor,
        action="organization.create",
        obj=organization,
        changes=_created(organization, [*ORGANIZATION_FIELDS, "status"]),
    )
    return organization


@transaction.atomic
def organization_update(*, actor: Actor, organization: Organization, data: dict[str, Any]) -> Organization:
    """Changes an organisation's details: all of them by the ministry, contacts by its own administrator."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_ministry_or_admin_of(actor, organization)
    if "status" in data:
        raise field_error(
            "status", "not_editable_here", _("The status is changed by the ministry with its own action.")
        )
    if not actor_is_ministry(actor):
        forbidden = sorted(set(data) - ORGANIZATION_SELF_EDITABLE)
        if forbidden:
            raise PermissionDenied(
                "ministry_only_field",
                _("Only the ministry may change: %(fields)s.") % {"fields": ", ".join(forbidden)},
                details={"fields": forbidden},
            )
    values = clean_fields(data, ORGANIZATION_FIELDS)
    if (
        "tax_id" in values
        and Organization.objects.filter(tax_id=values["tax_id"]).exclude(pk=organization.pk).exists()
    ):
        raise _taken("tax_id_taken", "tax_id", _("An organisation with this tax ID is already registered."))
    return _apply(actor, organization, values, "organization.update")


@transaction.atomic
def organization_set_status(
    *, actor: Actor, organization: Organization, status: str, reason: str = ""
) -> Organization:
    """Activates, suspends or returns an organisation to pending (ministry only)."""
    require_ministry(actor)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    status = v.clean_status(status)
    if organization.status == status:
        raise Conflict(
            "status_unchanged",
            _("The organisation already has this status."),
            details={"status": status},
        )
    old = organization.status
    organization.status = status
    organization.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="organization.set_status",
        obj=organization,
        changes={"status": {"old": old, "new": status}, "reason": reason.strip()[:500]},
    )
    return organization


@transaction.atomic
def medical_organization_activate(
    *,
    actor: Actor,
    tax_id: str,
    name: str,
    address: str,
    region: str,
    district: str = "",
    email: str = "",
    phone: str = "",
    licence_number: str = "",
    application: str = "",
) -> Organization:
    """Registers, or activates again, a private clinic whose onboarding `application` was
    approved, with a site at its address; refused (`organization_type_conflict`) when the tax
    ID belongs to an organisation of another type. The approval is the authority: no role check."""
    organization = Organization.objects.select_for_update().filter(tax_id=tax_id).first()
    if organization is not None and organization.org_type != OrganizationType.MEDICAL:
        raise Conflict(
            "organization_type_conflict",
            _("An organisation of another type is registered with this tax ID."),
        )
    created = organization is None
    if created:
        organization = Organization(tax_id=tax_id, org_type=OrganizationType.MEDICAL)
    old_status = organization.status if not created else None
    organization.name = name
    organization.ownership = OwnershipForm.PRIVATE
    organization.status = OrganizationStatus.ACTIVE
    organization.legal_address = address
    organization.region = region
    organization.email = email
    organization.phone = phone
    organization.licence_number = licence_number
    organization.save()
    if not organization.sites.filter(address=address).exists():
        Site.objects.create(
            organization=organization,
            name=name,
            address=address,
            region=region or Region.BISHKEK,
            district=district,
        )
    audit_record(
        actor=actor,
        action="organization.create" if created else "organization.activate",
        obj=organization,
        changes={"status": {"old": old_status, "new": organization.status}, "application": application},
    )
    return organization


# --- sites -----------------------------------------------------------------------------


@transaction.atomic
def site_create(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    address: str,
    region: str,
    district: str = "",
    gln: str | None = None,
    opening_hours: str = "",
) -> Site:
    """Adds a place where the organisation handles packages; its GLN (if any) must be unused."""
    _require_ministry_or_admin_of(actor, organization)
    values = clean_fields(
        {"name": name, "address": address, "region": region, "district": district, "gln": gln,
         "opening_hours": opening_hours},
        SITE_FIELDS,
    )  # fmt: skip
    if values["gln"] and Site.objects.filter(gln=values["gln"]).exists():
        raise _taken("gln_taken", "gln", _("This GLN belongs to another site."))
    site = Site.objects.create(organization=organization, **values)
    audit_record(
        actor=actor,
        action="site.create",
        obj=site,
        changes={"organization": str(organization.external_id), **_created(site, SITE_FIELDS)},
    )
    return site


@transaction.atomic
def site_update(*, actor: Actor, site: Site, data: dict[str, Any]) -> Site:
    """Changes a site's name, address, region, district, GLN, opening hours or whether it is active."""
    site = Site.objects.select_for_update().select_related("organization").get(pk=site.pk)
    _require_ministry_or_admin_of(actor, site.organization)
    values = clean_fields(data, SITE_FIELDS)
    if values.get("gln") and Site.objects.filter(gln=values["gln"]).exclude(pk=site.pk).exists():
        raise _taken("gln_taken", "gln", _("This GLN belongs to another site."))
    return _apply(actor, site, values, "site.update")


# --- products --------------------------------------------------------------------------


def clean_gtins(gtins: Iterable[str], *, field: str = "gtins") -> list[str]:
    """Each GTIN checked and turned into GTIN-14, in order, without repeats."""
    out: list[str] = []
    for raw in gtins:
        gtin = v.clean_gtin(raw, field=field)
        if gtin not in out:
            out.append(gtin)
    return out


def _refuse_taken_gtins(gtins: list[str], *, product: Product | None = None) -> None:
    taken = ProductGtin.objects.filter(gtin__in=gtins)
    if product is not None:
        taken = taken.exclude(product=product)
    taken_list = sorted(taken.values_list("gtin", flat=True))
    if taken_list:
        raise _taken(
            "gtin_taken",
            "gtins",
            _("GTIN %(gtins)s already belongs to another product.") % {"gtins": ", ".join(taken_list)},
            gtins=taken_list,
        )


@transaction.atomic
def product_create(
    *,
    actor: Actor,
    registration_number: str,
    registered_on: date,
    trade_name: str,
    inn: str,
    atc_code: str,
    dosage_form: str,
    manufacturer_name: str,
    manufacturer_country: str,
    valid_until: date | None = None,
    strength: str = "",
    units_per_package: int = 1,
    manufacturer: Organization | None = None,
    gtins: Iterable[str] = (),
    trade_name_ru: str = "",
    trade_name_ky: str = "",
    inn_ru: str = "",
    inn_ky: str = "",
) -> Product:
    """Registers a medicine with its GTINs (each unique across the registry); ministry only.
    The dosage form may be given as a term of the controlled list in any language."""
    require_ministry(actor)
    values = clean_fields(
        {
            "registration_number": registration_number,
            "registered_on": registered_on,
            "valid_until": valid_until,
            "trade_name": trade_name,
            "inn": inn,
            "atc_code": atc_code,
            "dosage_form": dosage_form,
            "strength": strength,
            "units_per_package": units_per_package,
            "manufacturer_name": manufacturer_name,
            "manufacturer_country": manufacturer_country,
            "manufacturer": manufacturer,
            "trade_name_ru": trade_name_ru,
            "trade_name_ky": trade_name_ky,
            "inn_ru": inn_ru,
            "inn_ky": inn_ky,
        },
        PRODUCT_FIELDS,
    )
    values.update(dosage_form_values(values["dosage_form"]))
    check_product_dates(values["registered_on"], values["valid_until"])
    clean = clean_gtins(gtins)
    if Product.objects.filter(registration_number=values["registration_number"]).exists():
        raise _taken(
            "registration_number_taken",
            "registration_number",
            _("A product with this registration number is already in the registry."),
        )
    _refuse_taken_gtins(clean)
    product = Product.objects.create(**values)
    ProductGtin.objects.bulk_create([ProductGtin(product=product, gtin=gtin) for gtin in clean])
    audit_record(
        actor=actor,
        action="product.create",
        obj=product,
        changes={**_created(product, [*PRODUCT_FIELDS, *DOSAGE_FORM_COPIES]), "gtins": clean},
    )
    return product


@transaction.atomic
def product_update(*, actor: Actor, product: Product, data: dict[str, Any]) -> Product:
    """Changes a product's registry fields (GTINs are added with `product_add_gtin`)."""
    require_ministry(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    values = clean_fields(data, PRODUCT_FIELDS)
    if "dosage_form" in values:
        values.update(dosage_form_values(values["dosage_form"]))
    check_product_dates(
        values.get("registered_on", product.registered_on), values.get("valid_until", product.valid_until)
    )
    if (
        "registration_number" in values
        and Product.objects.filter(registration_number=values["registration_number"])
        .exclude(pk=product.pk)
        .exists()
    ):
        raise _taken(
            "registration_number_taken",
            "registration_number",
            _("A product with this registration number is already in the registry."),
        )
    return _apply(actor, product, values, "product.update")


@transaction.atomic
def product_add_gtin(*, actor: Actor, product: Product, gtin: str) -> ProductGtin:
    """Adds a GTIN (any of GTIN-8/12/13/14, stored as GTIN-14) to a product; adding it twice is a no-op."""
    require_ministry(actor)
    gtin14 = v.clean_gtin(gtin)
    existing = ProductGtin.objects.filter(gtin=gtin14).first()
    if existing is not None and existing.product_id == product.pk:
        return existing
    _refuse_taken_gtins([gtin14])
    row = ProductGtin.objects.create(product=product, gtin=gtin14)
    audit_record(actor=actor, action="product.add_gtin", obj=product, changes={"gtin": gtin14})
    return row


@transaction.atomic
def product_remove_gtin(*, actor: Actor, product_gtin: ProductGtin) -> None:
    """Removes a GTIN from its product (a wrongly entered one); ministry only."""
    require_ministry(actor)
    product = product_gtin.product
    gtin = product_gtin.gtin
    product_gtin.delete()
    audit_record(actor=actor, action="product.remove_gtin", obj=product, changes={"gtin": gtin})


# --- tracking lists -------------------------------------------------------------------------


@transaction.atomic
def tracking_list_create(
    *, actor: Actor, code: str, name: str, mandatory_from: date, covers_all_products: bool = False
) -> TrackingList:
    """Creates a list of products whose tracking becomes mandatory on `mandatory_from`; ministry only."""
    require_ministry(actor)
    code = v.clean_slug(code)
    values = clean_fields(
        {"name": name, "mandatory_from": mandatory_from, "covers_all_products": covers_all_products},
        TRACKING_LIST_FIELDS,
    )
    if TrackingList.objects.filter(code=code).exists():
        raise _taken("tracking_list_code_taken", "code", _("A tracking list with this code already exists."))
    tracking_list = TrackingList.objects.create(code=code, **values)
    audit_record(
        actor=actor,
        action="tracking_list.create",
        obj=tracking_list,
        changes=_created(tracking_list, ["code", *TRACKING_LIST_FIELDS]),
    )
    return tracking_list


@transaction.atomic
def tracking_list_update(*, actor: Actor, tracking_list: TrackingList, data: dict[str, Any]) -> TrackingList:
    """Renames a list, moves its start date or makes it cover all products; ministry only."""
    require_ministry(actor)
    tracking_list = TrackingList.objects.select_for_update().get(pk=tracking_list.pk)
    values = clean_fields(data, TRACKING_LIST_FIELDS)
    return _apply(actor, tracking_list, values, "tracking_list.update", touch_updated_at=False)


@transaction.atomic
def tracking_list_add_products(
    *, actor: Actor, tracking_list: TrackingList, products: Iterable[Product]
) -> int:
    """Puts products on a list (those already on it are left alone); returns how many were added."""
    require_ministry(actor)
    if tracking_list.covers_all_products:
        raise field_error(
            "tracking_list",
            "list_covers_all_products",
            _("The list %(code)s covers every product; nothing needs to be put on it.")
            % {"code": tracking_list.code},
        )
    wanted = {p.pk: p for p in products}
    present = set(
        TrackingListEntry.objects.filter(tracking_list=tracking_list, product_id__in=wanted).values_list(
            "product_id", flat=True
        )
    )
    new = [pk for pk in wanted if pk not in present]
    TrackingListEntry.objects.bulk_create(
        [TrackingListEntry(tracking_list=tracking_list, product_id=pk) for pk in new]
    )
    if new:
        audit_record(
            actor=actor,
            action="tracking_list.add_products",
            obj=tracking_list,
            changes={"added": len(new), "products": [str(wanted[pk].external_id) for pk in new[:1000]]},
        )
    return len(new)


@transaction.atomic
def tracking_list_remove_products(
    *, actor: Actor, tracking_list: TrackingList, products: Iterable[Product]
) -> int:
    """Takes products off a list; returns how many were on it."""
    require_ministry(actor)
    wanted = {p.pk: p for p in products}
    removed, _detail = TrackingListEntry.objects.filter(
        tracking_list=tracking_list, product_id__in=wanted
    ).delete()
    if removed:
        audit_record(
            actor=actor,
            action="tracking_list.remove_products",
            obj=tracking_list,
            changes={
                "removed": removed,
                "products": [str(p.external_id) for p in list(wanted.values())[:1000]],
            },
        )
    return removed


# --- shared ------------------------------------------------------------------------------------


def _apply(
    actor: Actor,
    instance: models.Model,
    values: dict[str, Any],
    action: str,
    *,
    touch_updated_at: bool = True,
):
    """Sets the changed values, saves only them and audits old and new; no change, no write."""
    old = _snapshot(instance, values)
    changed = [name for name, value in values.items() if old[name] != value]
    if not changed:
        return instance
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=[*changed, "updated_at"] if touch_updated_at else changed)
    audit_record(actor=actor, action=action, obj=instance, changes=diff(instance, changed, old))
    return instance
