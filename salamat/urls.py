from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from salamat.api import api
from salamat.core.health import readyz
from salamat.core.metrics import metrics
from salamat.core.views import healthz
from salamat.portal.api import public_api

handler404 = "salamat.core.middleware.json_handler404"
handler500 = "salamat.core.middleware.json_handler500"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("epcis/", include("salamat.epcis.urls")),
    path("fhir/", include("salamat.records.fhir.urls")),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("onboarding/", include("salamat.onboarding.urls")),
    path("sick-leave/", include("salamat.sickleave.urls")),
    path("record/", include("salamat.records.urls")),
    path("trace/", include("salamat.traceability.urls")),
    path("dashboard/", include("salamat.dashboard.urls")),
    path("api/public/", public_api.urls),
    path("stickers/", include("salamat.stickers.urls")),
    path("registry/labelling-schemes/", include("salamat.registry.labelling.urls")),
    path("", include("salamat.portal.urls")),
    path("", include("salamat.web.urls")),
]

# --- ESI: login through the national single sign-on, and the stand-in provider
if settings.ESI_ENABLED:
    urlpatterns += [path("oidc/", include("salamat.accounts.urls"))]
if settings.DEV_MODE:
    urlpatterns += [
        path("devidp/", include("salamat.devidp.oauth_urls")),
        path("devidp/", include("salamat.devidp.urls")),
    ]
