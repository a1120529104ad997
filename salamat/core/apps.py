from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salamat.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        # Case-insensitive search in any script, SQLite included (see the module).
        from salamat.core import lookups

        lookups.install()
