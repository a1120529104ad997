"""Settings for Salamat, read from the environment.

Three modes, chosen by ``SALAMAT_MODE``:

* ``production`` (the default): refuses to start without a real ``SECRET_KEY`` and
  ``ALLOWED_HOSTS``; secure cookies, HSTS, no debug.
* ``development``: the quick start (``make run``) on SQLite under ``var/`` with the
  stand-in ESI provider; clearly marked on every page.
* ``test``: what the test suite runs under (``salamat.settings_test``).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SALAMAT_VAR_DIR", BASE_DIR / "var"))

MODE = os.environ.get("SALAMAT_MODE", "production")
if MODE not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"SALAMAT_MODE must be production, development or test, not {MODE!r}")
PRODUCTION = MODE == "production"
DEV_MODE = MODE in {"development", "test"}


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A fixed, obviously-insecure key is fine for development and tests only.
_DEV_SECRET = "dev-insecure-salamat-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET or SECRET_KEY.startswith("dev-")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

DEBUG = _env_bool("DEBUG", MODE == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on in production mode.")

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names this server answers to.")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

# The public address printed in stickers and QR codes (https://<host>/p/<serial>).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "salamat.core",
    "salamat.accounts",
    "salamat.codes",
    "salamat.registry",
    "salamat.traceability",
    "salamat.epcis",
    "salamat.tunduk",
    "salamat.sickleave",
    "salamat.records",
    "salamat.web",
    "salamat.signatures",
    "salamat.onboarding",
    "salamat.dashboard",
    "salamat.stickers",
    "salamat.portal",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "salamat.core.middleware.RequestContextMiddleware",
    # The public check API answers here, before sessions, CSRF, auth and messages (issue 6).
    "salamat.portal.middleware.PublicApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Token-authenticated FHIR calls answer here, after the security headers and before
    # sessions, CSRF, auth, messages, CSP and axes (salamat/records/fhir/middleware.py).
    "salamat.records.fhir.middleware.FhirTokenMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "salamat.web.middleware.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns a locked-out login into the lockout page (salamat/core/loginlock.py); keep it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salamat.urls"
WSGI_APPLICATION = "salamat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "salamat" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "salamat.web.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
_default_db = "" if PRODUCTION else f"sqlite:///{VAR_DIR / 'salamat.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", _default_db)
if not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production (postgres://user:pass@host/db).")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Persistent connections: gunicorn sync workers reuse one connection per worker.
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "600" if PRODUCTION else "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout keep the quick start usable with the dev server's threads.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The platform's one job runner (salamat.core.jobs): Django's Tasks framework with its queue in
# this same database, so no other server is needed; `manage.py db_worker` is the worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if MODE == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# --- Languages --------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("ky", _("Kyrgyz")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "salamat" / "locale"]
FORMAT_MODULE_PATH = ["salamat.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Bishkek"
LANGUAGE_COOKIE_NAME = "salamat_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded documents live outside the web root and are served only through views
# that check who is asking.
MEDIA_ROOT = Path(os.environ.get("SALAMAT_MEDIA_ROOT", VAR_DIR / "private"))

# Bodies larger than this are refused before any view runs (413 on the API).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_BODY_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# --- Security ----------------------------------------------------------------
SESSION_COOKIE_NAME = "salamat_session"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "salamat_csrftoken"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP by the load balancer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated):
# the client is the rightmost address not in this list (salamat/core/clientip.py).
TRUSTED_PROXIES = _env_list("TRUSTED_PROXIES")

# --- Cache: the one counter every worker shares (rate limits, login lockouts) -------
# Production: Redis (REDIS_URL=redis://host:6379/0). Without it, a table in the platform's own
# database, which every process shares with no extra server (created by core's migration 0003).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "salamat",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "salamat_cache",
            "KEY_PREFIX": "salamat",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Content-Security-Policy (django-csp): scripts and everything else from this origin only, no
# inline scripts or handlers. Styles may be inline (htmx injects its indicator style, a few
# templates set one attribute); WebAssembly for the camera's barcode reader (zxing-wasm).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
        # the login form may hand over to ESI (its issuer's origin)
        "form-action": ["'self'", *_env_list("ESI_ISSUER")],
    }
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Salamat <no-reply@salamat.example>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("LOG_LEVEL", "INFO" if PRODUCTION else "WARNING"),
    },
}

# --- Platform rules (configurable) -------------------------------------------
from salamat.core.conf import from_environment as _platform_settings  # noqa: E402

# Every default is defined once, in salamat/core/conf.py; read them with core.conf.setting(name).
SALAMAT = _platform_settings(CHECK_LOG_BATCH=200 if PRODUCTION else 1)

# --- Password guessing: django-axes (salamat/core/loginlock.py) -------------------------
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"  # counts in the shared cache above
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # an account, and an address, each alone
AXES_FAILURE_LIMIT = "salamat.core.loginlock.failure_limit"
AXES_COOLOFF_TIME = "salamat.core.loginlock.cool_off"
AXES_LOCKOUT_CALLABLE = "salamat.core.loginlock.lockout_response"
AXES_CLIENT_IP_CALLABLE = "salamat.core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AUTHENTICATION_BACKENDS = [
    "salamat.core.loginlock.LoginLockBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- ESI: login through the national single sign-on (OpenID Connect) ------------
# The platform is a relying party of ESI (salamat/accounts/oidc.py): authorization code
# with PKCE S256, RS256 ID tokens checked against the provider's JWKS. ESI_ISSUER names
# the provider; its endpoints come from <issuer>/.well-known/openid-configuration.
# Without ESI_ISSUER, development and tests use the stand-in provider mounted at
# /devidp/ on this same server (salamat/devidp), its issuer derived from each request.
ESI_ISSUER = os.environ.get("ESI_ISSUER", "").strip().rstrip("/")
ESI_USE_DEVIDP = DEV_MODE and not ESI_ISSUER
_DEV_ESI_CLIENT_SECRET = "dev-insecure-stand-in-esi-client-secret"
ESI_CLIENT_ID = os.environ.get("ESI_CLIENT_ID", "salamat-dev" if ESI_USE_DEVIDP else "")
ESI_CLIENT_SECRET = os.environ.get("ESI_CLIENT_SECRET", _DEV_ESI_CLIENT_SECRET if ESI_USE_DEVIDP else "")
if ESI_ISSUER and not (os.environ.get("ESI_CLIENT_ID") and os.environ.get("ESI_CLIENT_SECRET")):
    raise ImproperlyConfigured(
        "ESI_ISSUER is set: set ESI_CLIENT_ID and ESI_CLIENT_SECRET in the environment too."
    )
if PRODUCTION and ESI_ISSUER and not ESI_ISSUER.startswith("https://"):
    raise ImproperlyConfigured("ESI_ISSUER must be an https:// URL in production.")
ESI_ENABLED = bool(ESI_ISSUER) or ESI_USE_DEVIDP
# "form_post": ESI posts the code back (kept out of URLs, logs and history); or "query".
ESI_RESPONSE_MODE = os.environ.get("ESI_RESPONSE_MODE", "form_post")
if ESI_RESPONSE_MODE not in {"form_post", "query"}:
    raise ImproperlyConfigured("ESI_RESPONSE_MODE must be form_post or query.")
ESI_CLOCK_SKEW_SECONDS = int(os.environ.get("ESI_CLOCK_SKEW_SECONDS", "60"))
# The login page shows "Log in with ESI" when this is non-empty.
ESI_LOGIN_URL = "/oidc/authenticate/" if ESI_ENABLED else ""
if ESI_ENABLED:
    AUTHENTICATION_BACKENDS += ["salamat.accounts.oidc.EsiBackend"]
# mozilla-django-oidc's names for the same facts; users are matched on sub, then PIN, never e-mail.
OIDC_RP_CLIENT_ID = ESI_CLIENT_ID
OIDC_RP_CLIENT_SECRET = ESI_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = os.environ.get("ESI_SCOPES", "openid profile email phone pin organizations")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_TIMEOUT = int(os.environ.get("ESI_TIMEOUT_SECONDS", "10"))
OIDC_AUTHENTICATION_CALLBACK_URL = "esi_callback"
OIDC_OP_LOGOUT_URL_METHOD = "salamat.accounts.oidc.esi_logout_url"
if DEV_MODE:
    # The stand-in ESI provider (never installed in production). Listed before
    # oauth2_provider so that its templates win.
    from salamat.devidp.conf import oauth2_provider_settings

    INSTALLED_APPS += ["salamat.devidp", "oauth2_provider"]
    OAUTH2_PROVIDER = oauth2_provider_settings(VAR_DIR)

# --- Operations: read replica, metrics, structured logs (docs/operations.md) --------------
# A streaming replica for reads that tolerate a second of lag (views marked with
# salamat.core.db_routing.replica_reads). Without REPLICA_DATABASE_URL there is no replica and
# every query goes to DATABASES["default"] as before.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    # A dead replica is noticed in seconds, not after the kernel's TCP timeout; reads then go
    # to the primary (the router remembers the failure for REPLICA_DOWN_SECONDS).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("REPLICA_CONNECT_TIMEOUT", "2"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["salamat.core.db_routing.ReplicaRouter"]

# Metrics (/metrics, Prometheus text format): counted by the outermost middleware; answered to
# METRICS_ALLOWED_ADDRESSES (salamat/core/conf.py) and to "Authorization: Bearer $METRICS_TOKEN".
MIDDLEWARE.insert(0, "salamat.core.metrics.RequestMetricsMiddleware")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
if PRODUCTION:
    # Probed and scraped over plain HTTP on the private network, like /healthz.
    SECURE_REDIRECT_EXEMPT += [r"^readyz$", r"^metrics$"]

# Structured logs: JSON lines in production (LOG_FORMAT=json|plain), each with its request id;
# one access line per request from the logger salamat.access at INFO (ACCESS_LOG_LEVEL, default
# LOG_LEVEL: WARNING turns it off).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING["filters"] = {"request_id": {"()": "salamat.core.logs.RequestIdFilter"}}
LOGGING["formatters"]["json"] = {"()": "salamat.core.logs.JsonFormatter"}
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOGGING["handlers"]["console"].update({"formatter": LOG_FORMAT, "filters": ["request_id"]})
LOGGING.setdefault("loggers", {})["salamat.access"] = {
    "level": os.environ.get("ACCESS_LOG_LEVEL", LOGGING["root"]["level"])
}
