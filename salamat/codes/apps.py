from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    """Registered only so Django loads this pure package's translation catalogue."""

    name = "salamat.codes"
    label = "codes"
    verbose_name = _("Package codes")
