"""Participants (organisations and their sites) and the drug registry (products,
their GTINs and the tracking lists that phase traceability in)."""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from salamat.registry.names import product_title


class Region(models.TextChoices):
    """The 7 regions and the 2 cities of republican significance."""

    BATKEN = "batken", _("Batken Region")
    CHUY = "chuy", _("Chuy Region")
    ISSYK_KUL = "issyk_kul", _("Issyk-Kul Region")
    JALAL_ABAD = "jalal_abad", _("Jalal-Abad Region")
    NARYN = "naryn", _("Naryn Region")
    OSH_REGION = "osh_region", _("Osh Region")
    TALAS = "talas", _("Talas Region")
    BISHKEK = "bishkek", _("Bishkek city")
    OSH_CITY = "osh_city", _("Osh city")


class OrganizationType(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")  # local production; introduces packages
    IMPORTER = "importer", _("Importer")  # brings packages into the country; introduces them
    WHOLESALER = "wholesaler", _("Wholesaler / warehouse")  # moves packages between participants
    PHARMACY = "pharmacy", _("Pharmacy")  # sells packages to citizens
    MEDICAL = "medical", _("Medical organisation")  # dispenses in a clinic; issues sick leave
    MINISTRY = "ministry", _("Ministry / regulator")  # reviews, oversees, recalls
    SOCIAL_FUND = "social_fund", _("Social fund")  # reads closed sick leaves for benefits


class OrganizationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # applied, not yet allowed to operate
    ACTIVE = "active", _("Active")  # may take part
    SUSPENDED = "suspended", _("Suspended")  # temporarily barred; data kept


class OwnershipForm(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class Organization(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    org_type = models.CharField(_("type"), max_length=20, choices=OrganizationType.choices, db_index=True)
    ownership = models.CharField(
        _("ownership"), max_length=10, choices=OwnershipForm.choices, default=OwnershipForm.PRIVATE
    )
    tax_id = models.CharField(_("tax ID"), max_length=14, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OrganizationStatus.choices,
        default=OrganizationStatus.PENDING,
        db_index=True,
    )
    legal_address = models.CharField(_("legal address"), max_length=255, blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_active(self) -> bool:
        return self.status == OrganizationStatus.ACTIVE


class Site(models.Model):
    """A place where an organisation holds or handles packages (warehouse, pharmacy, clinic)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=255)
    address = models.CharField(_("address"), max_length=255)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, db_index=True)
    district = models.CharField(_("district"), max_length=120, blank=True)
    gln = models.CharField(_("GLN"), max_length=13, unique=True, null=True, blank=True)
    # Free text as the site gives it, e.g. "Mon-Fri 8:00-20:00, Sat 9:00-15:00"; blank: not known.
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["organization__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_region_display()})"


class DosageForm(models.Model):
    """A term of the controlled list of dosage forms (after the EDQM Standard Terms), named in
    each language. A product's dosage form is one of these when its name matches; the product
    keeps a copy of the three names so that pages and the public check read them without a join."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_ky = models.CharField(_("name (Kyrgyz)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dosage form")
        verbose_name_plural = _("dosage forms")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en


class Product(models.Model):
    """A registered medicine (one dosage form and strength), as in the drug registry.

    `trade_name`, `inn` and `dosage_form` are the names as registered in Latin script (the
    international and English ones); `<name>_ru` and `<name>_ky` are the same in Russian and
    Kyrgyz, blank where the registry has none yet (pages then show the registered name, marked:
    `salamat.registry.names`)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registration_number = models.CharField(_("registration number"), max_length=64, unique=True)
    registered_on = models.DateField(_("registered on"))
    valid_until = models.DateField(_("registration valid until"), null=True, blank=True)
    trade_name = models.CharField(_("trade name"), max_length=255, db_index=True)
    inn = models.CharField(_("INN (generic name)"), max_length=255, db_index=True)
    atc_code = models.CharField(_("ATC code"), max_length=7, db_index=True)
    dosage_form = models.CharField(_("dosage form"), max_length=120)
    trade_name_ru = models.CharField(_("trade name (Russian)"), max_length=255, blank=True)
    trade_name_ky = models.CharField(_("trade name (Kyrgyz)"), max_length=255, blank=True)
    inn_ru = models.CharField(_("INN (Russian)"), max_length=255, blank=True)
    inn_ky = models.CharField(_("INN (Kyrgyz)"), max_length=255, blank=True)
    # Copied from `form` by the services whenever either changes; never typed in.
    dosage_form_ru = models.CharField(_("dosage form (Russian)"), max_length=120, blank=True)
    dosage_form_ky = models.CharField(_("dosage form (Kyrgyz)"), max_length=120, blank=True)
    form = models.ForeignKey(
        DosageForm,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("dosage form in the controlled list"),
    )
    strength = models.CharField(_("strength"), max_length=120, blank=True)
    units_per_package = models.PositiveIntegerField(_("units per package"), default=1)
    manufacturer_name = models.CharField(_("manufacturer"), max_length=255)
    manufacturer_country = models.CharField(_("country (ISO code)"), max_length=2)
    manufacturer = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        verbose_name=_("manufacturer in the registry"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["trade_name", "strength"]

    def __str__(self) -> str:
        # In the active language: pickers, admin lists and labels show the reader's names.
        return product_title(self)

    def is_registered_on(self, day: date) -> bool:
        return self.registered_on <= day and (self.valid_until is None or day <= self.valid_until)


class ProductGtin(models.Model):
    """A GTIN of a product, stored as GTIN-14; unique across all products."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gtins")
    gtin = models.CharField(_("GTIN-14"), max_length=14, unique=True)

    class Meta:
        verbose_name = _("GTIN")
        verbose_name_plural = _("GTINs")

    def __str__(self) -> str:
        return self.gtin


class TrackingList(models.Model):
    """A list of products whose tracking is mandatory from `mandatory_from` on
    (first list, High Technology Fund list, essential medicines list, all drugs)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    mandatory_from = models.DateField(_("mandatory from"))
    # A list that covers every registered product (the last phase) needs no entries.
    covers_all_products = models.BooleanField(_("covers all products"), default=False)
    products = models.ManyToManyField(Product, through="TrackingListEntry", related_name="tracking_lists")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking list")
        verbose_name_plural = _("tracking lists")
        ordering = ["mandatory_from", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.mandatory_from:%d.%m.%Y})"


class TrackingListEntry(models.Model):
    tracking_list = models.ForeignKey(TrackingList, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="tracking_entries")

    class Meta:
        verbose_name = _("tracking list entry")
        verbose_name_plural = _("tracking list entries")
        constraints = [
            models.UniqueConstraint(fields=["tracking_list", "product"], name="tracking_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tracking_list_id}:{self.product_id}"


class SchemeKind(models.TextChoices):
    PATTERN = "pattern", _("Pattern")  # a regular expression with named parts, after a literal prefix
    ENVELOPE = "envelope", _("ISO/IEC 15434 envelope")  # data identifiers (ASC MH10.8.2) carry the parts


class LabellingScheme(models.Model):
    """A labelling standard other than GS1 the platform reads (see `salamat.codes.schemes`).
    Changed only through `salamat.registry.labelling.services`; every change raises `version`,
    which the server processes watch to reload the schemes."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(
        _("code"), max_length=40, unique=True
    )  # the key prefix: <code>:<product>/<serial>
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_ky = models.CharField(_("name (Kyrgyz)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    kind = models.CharField(_("kind"), max_length=10, choices=SchemeKind.choices)
    prefix = models.CharField(_("literal prefix"), max_length=40, blank=True)
    pattern = models.TextField(_("pattern"), blank=True)
    fields = models.JSONField(_("data identifiers of the parts"), default=dict, blank=True)
    checks = models.JSONField(_("check-digit algorithm of each part"), default=dict, blank=True)
    expiry_format = models.CharField(_("expiry format"), max_length=8, default="YYMMDD")
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("labelling scheme")
        verbose_name_plural = _("labelling schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        lang = (get_language() or "ru")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_ru


class SchemeProductCode(models.Model):
    """A scheme's own product code (an IFA PPN, a Chinese 7-digit code…) mapped to a registry product."""

    scheme = models.ForeignKey(LabellingScheme, on_delete=models.CASCADE, related_name="product_codes")
    code = models.CharField(_("product code"), max_length=64)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="scheme_codes")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheme product code")
        verbose_name_plural = _("scheme product codes")
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="scheme_product_code_unique")]

    def __str__(self) -> str:
        return f"{self.scheme_id}:{self.code}"
