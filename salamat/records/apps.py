from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "salamat.records"
    verbose_name = _("Unified patient record")

    def ready(self) -> None:
        # Sick leave (below records) titles diagnoses from this module's ICD-10 code list.
        from salamat.records.icd_titles import CodeListTitles
        from salamat.sickleave.icd import set_title_provider

        set_title_provider(CodeListTitles())
