from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "salamat.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        # Here, not at the top: models load only once the app registry is ready.
        from salamat.web.nav_entries import register_web_entries

        register_web_entries()
