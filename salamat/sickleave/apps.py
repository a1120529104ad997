from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SickLeaveConfig(AppConfig):
    name = "salamat.sickleave"
    label = "sickleave"
    verbose_name = _("Sick leave")

    def ready(self) -> None:
        # Here, not at the top: models load only once the app registry is ready.
        from salamat.sickleave.nav_entries import register_sick_leave_entries

        register_sick_leave_entries()
