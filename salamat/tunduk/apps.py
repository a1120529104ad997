from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TundukConfig(AppConfig):
    name = "salamat.tunduk"
    label = "tunduk"
    verbose_name = _("Tunduk (state registries)")
