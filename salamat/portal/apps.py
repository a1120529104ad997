from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "salamat.portal"
    label = "portal"
    verbose_name = _("Citizen portal")

    def ready(self) -> None:
        from salamat.portal.models import Verdict
        from salamat.traceability.labels import verdict_labels_register

        # The regulator's alert pages name what a citizen's check answered.
        verdict_labels_register({v.value: v.label for v in Verdict})
