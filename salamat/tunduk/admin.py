from django.contrib import admin

from salamat.tunduk.models import LegalEntity, MedicalLicence, RegistryPerson


@admin.register(RegistryPerson)
class RegistryPersonAdmin(admin.ModelAdmin):
    list_display = ("pin", "family_name", "given_name", "birth_date", "sex", "death_date")
    search_fields = ("pin", "family_name")


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    list_display = ("tax_id", "name", "legal_form", "registered_on", "liquidated_on")
    search_fields = ("tax_id", "name")


@admin.register(MedicalLicence)
class MedicalLicenceAdmin(admin.ModelAdmin):
    list_display = ("number", "tax_id", "issued_on", "valid_until", "revoked_on")
    search_fields = ("number", "tax_id")
