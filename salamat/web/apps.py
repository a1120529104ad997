from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "salamat.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from salamat.web.nav_entries import register_web_entries

        register_web_entries()
