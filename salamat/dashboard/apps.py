from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "salamat.dashboard"
    label = "dashboard"
    verbose_name = _("Regulator dashboard")

    def ready(self) -> None:
        from salamat.core.nav import NavItem, register

        register(
            NavItem(
                roles={"regulator"},
                url_name="dashboard:index",
                label=_("Dashboard"),
                description=_("Tracked packages over time, coverage, availability by region, alerts."),
                icon="chart",
                order=10,
                in_header=True,
            )
        )
