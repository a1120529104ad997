from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "salamat.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        # Models can be imported only once the app registry is ready, hence here.
        from salamat.accounts import selectors
        from salamat.core.actors import ActorSource, actor_source_register

        actor_source_register(
            ActorSource(
                for_request=selectors.actor_for_request,
                for_user=selectors.actor_for_user,
                authenticate_api_client=selectors.api_client_authenticate,
                for_api_client=selectors.actor_for_api_client,
            )
        )
