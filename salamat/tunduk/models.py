"""Stand-in copies of the state registries reached through Tunduk (X-Road).

In development and tests these local tables answer the look-ups; in production the
adapter in `salamat.tunduk.adapters` calls the real services instead. Nothing else
in the platform reads these tables directly."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")  # PIN starts with 1
    MALE = "male", _("Male")  # PIN starts with 2


class RegistryPerson(models.Model):
    """A person as the population registry knows them (stand-in)."""

    pin = models.CharField(_("PIN"), max_length=14, unique=True)
    family_name = models.CharField(_("family name"), max_length=150)
    given_name = models.CharField(_("given name"), max_length=150)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    death_date = models.DateField(_("death date"), null=True, blank=True)

    class Meta:
        verbose_name = _("person (population registry stand-in)")
        verbose_name_plural = _("people (population registry stand-in)")
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.middle_name) if p)


class LegalEntity(models.Model):
    """A legal entity as the state register of legal entities knows it (stand-in)."""

    tax_id = models.CharField(_("tax ID"), max_length=14, unique=True)
    name = models.CharField(_("name"), max_length=255)
    legal_form = models.CharField(_("legal form"), max_length=120)
    address = models.CharField(_("address"), max_length=255)
    registered_on = models.DateField(_("registered on"))
    liquidated_on = models.DateField(_("liquidated on"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal entity (register stand-in)")
        verbose_name_plural = _("legal entities (register stand-in)")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_id})"


class MedicalLicence(models.Model):
    """A licence for medical activity as the licensing register knows it (stand-in)."""

    number = models.CharField(_("licence number"), max_length=64, unique=True)
    tax_id = models.CharField(_("tax ID of the holder"), max_length=14, db_index=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Set when the licensing authority withdrew the licence before its end date.
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    # Licensed activities as short codes or names, e.g. ["therapy", "paediatrics"].
    activities = models.JSONField(_("activities"), default=list, blank=True)

    class Meta:
        verbose_name = _("medical licence (register stand-in)")
        verbose_name_plural = _("medical licences (register stand-in)")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number
