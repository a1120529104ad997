from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from salamat.api import api
from salamat.core.views import healthz

handler404 = "salamat.core.middleware.json_handler404"
handler500 = "salamat.core.middleware.json_handler500"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("onboarding/", include("salamat.onboarding.urls")),
    path("", include("salamat.web.urls")),
]

if settings.DEV_MODE:
    pass
