from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "salamat.records"
    verbose_name = _("Unified patient record")

    def ready(self) -> None:
        # Sick leave sits below the record: the record installs what sick leave asks of it.
        from salamat.records.icd_titles import CodeListTitles
        from salamat.records.selectors import encounter_recorded_by
        from salamat.sickleave.icd import set_title_provider
        from salamat.sickleave.links import set_encounter_checker

        # Diagnoses are titled from the record's ICD-10 code list.
        set_title_provider(CodeListTitles())
        # A certificate opened from a visit names it; sick leave asks whether that visit exists.
        set_encounter_checker(encounter_recorded_by)
