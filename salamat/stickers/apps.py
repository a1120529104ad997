from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StickersConfig(AppConfig):
    name = "salamat.stickers"
    label = "stickers"
    verbose_name = _("Ready-made stickers")

    def ready(self) -> None:
        from salamat.stickers.nav import register_sticker_entries

        register_sticker_entries()
