"""The platform's REST API (/api/v1/): one NinjaAPI, one router per module."""

from __future__ import annotations

from ninja import NinjaAPI

from salamat.core.api import install_error_handlers

api = NinjaAPI(
    title="Salamat API",
    version="1.0.0",
    description=(
        "REST API of Salamat, the national e-health platform, for participants' software "
        "(pharmacy tills, warehouse scanners, accounting systems, clinic systems).\n\n"
        "Authenticate with `Authorization: Bearer <token>`: an organisation's administrator issues "
        "tokens under *API clients*. Every error has the shape `{code, message, details}`; "
        "`code` is stable and meant for programs. Send `Accept-Language: ru|ky|en` for messages "
        "in that language."
    ),
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)

from salamat.accounts.api import router as accounts_router  # noqa: E402
from salamat.onboarding.api import router as onboarding_router  # noqa: E402
from salamat.registry.api import router as registry_router  # noqa: E402
from salamat.sickleave.api import router as sickleave_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/", registry_router)
api.add_router("/", "salamat.traceability.api.router")
api.add_router("/", sickleave_router)
api.add_router("/", onboarding_router)
api.add_router("/", "salamat.stickers.api.router")
api.add_router("/", "salamat.registry.labelling.api.router")
