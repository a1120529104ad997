from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "salamat.onboarding"
    label = "onboarding"
    verbose_name = _("Clinic onboarding")

    def ready(self) -> None:
        # Here, not at the top: models load only once the app registry is ready.
        from salamat.accounts.signals import esi_logged_in
        from salamat.onboarding import nav
        from salamat.onboarding.receivers import link_invitations_at_esi_login

        esi_logged_in.connect(link_invitations_at_esi_login, dispatch_uid="onboarding.link_invitations")
        nav.register_onboarding_entries()
