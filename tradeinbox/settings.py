"""The one settings module. Every value comes from the environment, with a default
that works on a laptop: SQLite in the data folder, no external server.

Environment:
    TRADEINBOX_DATA     data folder (database, blobs, quarantine, keys);
                        default $XDG_DATA_HOME/tradeinbox or ~/.local/share/tradeinbox
    DATABASE_URL        e.g. postgres://user@host/db; default SQLite in the data folder
    SECRET_KEY          Django secret; default a random key kept in the data folder (0600)
    DEBUG               "1" for development
    ALLOWED_HOSTS       comma separated; default localhost names
    TRADEINBOX_AUTHSERV_IDS  comma separated authserv-ids of our own receiving servers
    TRADEINBOX_LOG_LEVEL     default INFO
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url

from tradeinbox.paths import data_dir, read_or_create_secret

BASE_DIR = Path(__file__).resolve().parent
if "pytest" in sys.modules and not os.environ.get("TRADEINBOX_DATA"):
    # Tests never touch a developer's real data folder: each run gets a fresh one.
    os.environ["TRADEINBOX_DATA"] = tempfile.mkdtemp(prefix="tradeinbox-test-")
DATA_DIR = data_dir()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = _env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY") or read_or_create_secret(DATA_DIR / "secret_key")
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "js_lib_htmx",
    "tradeinbox.users",
    "tradeinbox.store",
    "tradeinbox.customers",
    "tradeinbox.triage",
    "tradeinbox.mailbox",
    "tradeinbox.writing",
    "tradeinbox.deals",
    "tradeinbox.quotes",
    "tradeinbox.worker",
    "tradeinbox.outbound",
    "tradeinbox.audit",
    "tradeinbox.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # RFC 8058 one-click unsubscribe POSTs carry no cookie: exempted there, and only there.
    "tradeinbox.outbound.middleware.OneClickUnsubscribeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After sign-in is known: the user's saved language and time zone win over cookies.
    "tradeinbox.users.middleware.UserPreferencesMiddleware",
    "tradeinbox.audit.log.AuditContextMiddleware",
    # Role-only pages (outbound settings, DKIM, audit): see tradeinbox.users.roles.
    "tradeinbox.users.middleware.RolePolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tradeinbox.web.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "tradeinbox.urls"
WSGI_APPLICATION = "tradeinbox.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tradeinbox.users.middleware.role_context",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'tradeinbox.sqlite3'}"
# Web workers keep their connection between requests (opening one per request costs
# several milliseconds on PostgreSQL); tests open and close their own.
_conn_age = int(
    os.environ.get("TRADEINBOX_DB_CONN_MAX_AGE", "0" if "pytest" in sys.modules else "60")
)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db),
        conn_max_age=_conn_age,
        conn_health_checks=_conn_age > 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web app read while the worker or an import writes; IMMEDIATE
    # transactions take the write lock up front instead of failing half-way. A 16 MB
    # page cache (default 2 MB) keeps an import's index pages in memory (a quarter
    # less system time storing 20,000 messages); checkpoints every 32 MB of WAL
    # instead of 4 MB copy pages that change again and again (indexes) less often.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=8192;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests get a file database, not Django's shared-cache in-memory one: that one
    # locks per table and fails at once ("database table is locked") when a live
    # server thread and a worker thread write together; a file honours busy_timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root
# A cache shared by every web and worker process on this machine (login rate
# limits must count across processes); Redis or memcached for several machines.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # the message-body frame sets SAMEORIGIN on its own response
SECURE_REFERRER_POLICY = "same-origin"
if _env_bool("TRADEINBOX_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("TRADEINBOX_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("TRADEINBOX_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Domain settings read by tradeinbox code.
TRADEINBOX = {
    "DATA_DIR": DATA_DIR,
    "BLOB_DIR": DATA_DIR / "blobs",
    "QUARANTINE_DIR": DATA_DIR / "quarantine",
    "MAX_MESSAGE_BYTES": int(
        os.environ.get("TRADEINBOX_MAX_MESSAGE_BYTES", str(150 * 1024 * 1024))
    ),
    "AUTHSERV_IDS": _env_list("TRADEINBOX_AUTHSERV_IDS", ""),
    "INBOX_PAGE_SIZE": 50,
    # Reverse proxies in front of the app (each appends to X-Forwarded-For); the audit
    # log takes the client address from that header only when this is 1 or more.
    "TRUSTED_PROXIES": int(os.environ.get("TRADEINBOX_TRUSTED_PROXIES", "0")),
}

_LOG_LEVEL = os.environ.get("TRADEINBOX_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "tradeinbox.logredact.RedactAddressesFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # flufl.bounce logs every detector it tries at INFO: ~20 lines per message read.
        "flufl.bounce": {"level": "WARNING"},
        # Django's own handlers for these (runserver's request lines, DEBUG-time console)
        # would bypass the redacting filter: everything goes through "console".
        "django": {"handlers": ["console"], "level": _LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": _LOG_LEVEL, "propagate": False},
    },
}
