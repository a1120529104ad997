from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevidpConfig(AppConfig):
    """The stand-in ESI provider: installed in development and test modes only."""

    name = "salamat.devidp"
    label = "devidp"
    verbose_name = _("Stand-in ESI provider (development only)")
