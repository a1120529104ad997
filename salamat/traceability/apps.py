from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TraceabilityConfig(AppConfig):
    name = "salamat.traceability"
    label = "traceability"
    verbose_name = _("Drug traceability")

    def ready(self) -> None:
        from salamat.traceability.views.nav import register_nav_entries

        register_nav_entries()
