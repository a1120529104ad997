from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "salamat.registry"
    label = "registry"
    verbose_name = _("Participants and drug registry")

    def ready(self) -> None:
        # The pure parser asks the registry which labelling schemes are active.
        from salamat.codes.schemes import set_provider
        from salamat.registry.labelling.provider import provider

        set_provider(provider)
        from salamat.registry.labelling import nav

        nav.register_entries()
