from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "salamat.records"
    verbose_name = _("Unified patient record")

    def ready(self) -> None:
        from salamat.records.selectors import encounter_recorded_by
        from salamat.sickleave.links import set_encounter_checker

        # A certificate opened from a visit names it; sick leave asks the record whether it exists.
        set_encounter_checker(encounter_recorded_by)
