from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    name = "salamat.signatures"
    label = "signatures"
    verbose_name = _("Digital signatures")
