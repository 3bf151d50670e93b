"""Kapstone settings: one module, driven by the environment.

KAPSTONE_ENV selects the mode: ``development`` (default: local, no configuration needed),
``production`` (refuses to start on an unsafe setting and names the variable) or ``test``.
Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from kapstone.core.env import env_bool, env_int, env_list, env_str, local_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(env_str("KAPSTONE_VAR_DIR") or BASE_DIR / "var")

KAPSTONE_ENV = env_str("KAPSTONE_ENV", "development")
if KAPSTONE_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"KAPSTONE_ENV must be development, production or test, not {KAPSTONE_ENV!r}")
PRODUCTION = KAPSTONE_ENV == "production"

DEBUG = env_bool("KAPSTONE_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("KAPSTONE_DEBUG must be false when KAPSTONE_ENV=production")

SECRET_KEY = env_str("KAPSTONE_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "KAPSTONE_SECRET_KEY (or KAPSTONE_SECRET_KEY_FILE) is required when KAPSTONE_ENV=production"
        )
    SECRET_KEY = local_secret_key(VAR_DIR)
elif PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("KAPSTONE_SECRET_KEY must be at least 50 characters long in production")

ALLOWED_HOSTS = env_list(
    "KAPSTONE_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "KAPSTONE_ALLOWED_HOSTS must list this server's host names (no '*') in production"
    )
CSRF_TRUSTED_ORIGINS = env_list("KAPSTONE_CSRF_TRUSTED_ORIGINS", [])
# Links in mail are built from this; `kapstone serve` sets it from its bind address when it is unset.
SITE_URL = env_str("KAPSTONE_SITE_URL", "http://" + env_str("KAPSTONE_BIND", "127.0.0.1:8000")).rstrip("/")
# The canonical base of this deployment's FHIR resources (default: SITE_URL + /api/fhir).
KAPSTONE_FHIR_BASE = env_str("KAPSTONE_FHIR_BASE", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "kapstone.core",
    "kapstone.shell",
    "kapstone.accounts",
    "kapstone.audit",
    "kapstone.clients",
    "kapstone.measures",
    "kapstone.care",
    "kapstone.notes",
    "kapstone.screening",
    "kapstone.outcomes",
    # Capabilities on top: they stand on the record and the domain, and nothing below imports them.
    "kapstone.training",
    "kapstone.consultation",
    "kapstone.community",
    "kapstone.practicum",
    "kapstone.credentials",
    # Tooling (demo, synth, bench baselines): on top of everything, imported by nothing.
    "kapstone.tooling",
]

MIDDLEWARE = [
    "kapstone.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the session policy: it tells the person why they were signed out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "kapstone.accounts.middleware.SessionPolicyMiddleware",
    "kapstone.accounts.middleware.ActiveOrganizationMiddleware",
    # The person's (or their organization's) time zone and clock, once the organization is known.
    "kapstone.core.localtime.LocalTimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kapstone.core.middleware.NoStoreMiddleware",
    # Last, so it is the first to see a view's exception: Refused and Stale become one kind of page.
    "kapstone.core.contract.ServiceErrorMiddleware",
]

ROOT_URLCONF = "kapstone.urls"
# Benchmark baselines (make bench): bare views mounted from a separate urlconf, never in production.
KAPSTONE_BENCH_BARE = env_bool("KAPSTONE_BENCH_BARE", default=False)
if KAPSTONE_BENCH_BARE:
    if PRODUCTION:
        raise ImproperlyConfigured("KAPSTONE_BENCH_BARE must not be set when KAPSTONE_ENV=production")
    ROOT_URLCONF = "kapstone.tooling.bench_bare"
WSGI_APPLICATION = "kapstone.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kapstone.shell.context_processors.shell",
            ],
            # Local time ("when", "day", "clock", "iso") and plain words ("label") on every page.
            "builtins": ["kapstone.shell.templatetags.shell"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    import dj_database_url

    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("KAPSTONE_DB_CONN_MAX_AGE", 600, minimum=0),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL must be a postgresql:// URL (SQLite is the default without it)"
        )
    # A read replica for analytics (cohort outcomes): kapstone.core.routers sends those reads there.
    DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
    if DATABASE_REPLICA_URL:
        replica = dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=env_int("KAPSTONE_DB_CONN_MAX_AGE", 600, minimum=0),
            conn_health_checks=True,
        )
        if replica["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgresql:// URL")
        replica["TEST"] = {"MIRROR": "default"}  # tests read the replica alias from the primary
        DATABASES["replica"] = replica
        KAPSTONE_ANALYTICS_DATABASE = "replica"
elif env_str("DATABASE_REPLICA_URL"):
    raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL (a replica of a PostgreSQL primary)")
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, writers queued on a file lock (see the module).
            "ENGINE": "kapstone.core.sqlite_backend",
            "NAME": str(VAR_DIR / "kapstone.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE: take the write lock at BEGIN, so concurrent writers queue on the busy
                # timeout instead of failing mid-transaction with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # WAL for concurrent readers; synchronous=FULL so a committed clinical write survives
                # power loss (security.md 4.1); a busy timeout in milliseconds for the same reason.
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout=20000",
            },
            # Persistent connections: opening the file and running the PRAGMAs on every request cost
            # more than the healthz view itself (measured by make bench: 8.5 ms vs 1 ms per request).
            "CONN_MAX_AGE": env_int("KAPSTONE_DB_CONN_MAX_AGE", 600, minimum=0),
            "CONN_HEALTH_CHECKS": True,
        }
    }
# How a transaction that wrote only a read's audit row (who viewed what; no clinical write) commits:
# "durable" (default) waits for the disk like every other commit; "relaxed" does not (PostgreSQL
# synchronous_commit=off for that transaction, SQLite synchronous=NORMAL for that commit), so a power
# failure may lose the newest read rows (PostgreSQL: up to ~0.6 s of them; SQLite: those since the
# last durable commit or checkpoint). Clinical writes and their audit rows always commit durably; a
# lost tail never breaks `kapstone audit verify` (README "Read-audit commit").
KAPSTONE_READ_AUDIT_COMMIT = env_str("KAPSTONE_READ_AUDIT_COMMIT", "durable").strip().lower()
if KAPSTONE_READ_AUDIT_COMMIT not in {"durable", "relaxed"}:
    raise ImproperlyConfigured(
        f"KAPSTONE_READ_AUDIT_COMMIT must be durable or relaxed, not {KAPSTONE_READ_AUDIT_COMMIT!r}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["kapstone.core.routers.AnalyticsReplicaRouter"]
KAPSTONE_ANALYTICS_DATABASE = globals().get("KAPSTONE_ANALYTICS_DATABASE", "default")

# --- Accounts, passwords, sessions ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["kapstone.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
PASSWORD_HASHERS = [
    "kapstone.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff must use a second factor unless a clinic explicitly turns it off (ASVS 6.3.3).
KAPSTONE_MFA_REQUIRED_FOR_STAFF = env_bool("KAPSTONE_MFA_REQUIRED_FOR_STAFF", default=True)
# Idle and absolute session limits (ASVS 4.0.3 V3.3.2 L3: 15 min idle, 12 h absolute).
KAPSTONE_SESSION_IDLE_SECONDS = env_int("KAPSTONE_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
KAPSTONE_SESSION_ABSOLUTE_SECONDS = env_int("KAPSTONE_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300)
# Login throttling: failures per account (and per source address) in a sliding window lock it out
# (ASVS 4.0.3 2.2.1: no more than 100 failed attempts per hour per account).
KAPSTONE_LOGIN_MAX_FAILURES = env_int("KAPSTONE_LOGIN_MAX_FAILURES", 5, minimum=1, maximum=100)
KAPSTONE_LOGIN_WINDOW_SECONDS = env_int("KAPSTONE_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=60)
KAPSTONE_INVITATION_DAYS = env_int("KAPSTONE_INVITATION_DAYS", 7, minimum=1, maximum=60)
# Emergency (break-glass) access: how long a grant lasts, and the shortest reason accepted.
KAPSTONE_BREAK_GLASS_MINUTES = env_int("KAPSTONE_BREAK_GLASS_MINUTES", 60, minimum=5, maximum=720)
KAPSTONE_BREAK_GLASS_REASON_MIN = env_int("KAPSTONE_BREAK_GLASS_REASON_MIN", 20, minimum=5, maximum=500)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = KAPSTONE_SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default
CSRF_FAILURE_VIEW = "kapstone.shell.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Production is served over TLS (terminated here or at a proxy that sets X-Forwarded-Proto).
HTTPS = env_bool("KAPSTONE_HTTPS", default=PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-kapstone-session"
    CSRF_COOKIE_NAME = "__Host-kapstone-csrf"
# Behind a trusted reverse proxy: honour its X-Forwarded-Proto, and keep its X-Request-Id beside ours.
KAPSTONE_BEHIND_PROXY = env_bool("KAPSTONE_BEHIND_PROXY", default=False)
if KAPSTONE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Content Security Policy: nothing inline, nothing from elsewhere ----------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Static files, i18n, time ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it; collectstatic fills it in production
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names for far-future caching in production; plain names elsewhere, so a test or a
        # development run never depends on a collectstatic having happened.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = KAPSTONE_ENV != "production"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# One date format for values shown without a filter (kapstone/core/formats/en/formats.py).
FORMAT_MODULE_PATH = ["kapstone.core.formats"]
USE_I18N = True
USE_TZ = True

# --- Mail -----------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "KAPSTONE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("KAPSTONE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KAPSTONE_EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("KAPSTONE_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("KAPSTONE_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("KAPSTONE_EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("KAPSTONE_FROM_EMAIL", "Kapstone <kapstone@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks ----------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str(
            "KAPSTONE_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if KAPSTONE_ENV == "test"
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# --- Caches: local memory per process; the login throttle lives in the database so it holds
# across workers and servers.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Logging: structured enough to grep, never client data -----------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # SafeFormatter: CR/LF/ANSI in a logged value become visible escapes, tracebacks are indented,
    # path tokens masked (kapstone.core.logsafe; security.md T8).
    "formatters": {
        "plain": {
            "()": "kapstone.core.logsafe.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KAPSTONE_LOG_LEVEL", "WARNING")},
    # Even at DEBUG: Django's template engine logs a failed variable lookup with the whole context
    # (a TOTP secret, recovery codes, note text), and the SQL logger its parameters. Never.
    "loggers": {"django.template": {"level": "INFO"}, "django.db.backends": {"level": "INFO"}},
}

# --- Kapstone -------------------------------------------------------------------------------------
KAPSTONE_BACKUP_DIR = VAR_DIR / "backups"
# Psychotherapy-note key ring (key-encryption keys), outside the database; KAPSTONE_PSYCHNOTE_KEYS
# (or ..._KEYS_FILE) overrides it. See docs/configuration.md "Psychotherapy-note encryption".
KAPSTONE_PSYCHNOTE_KEY_FILE = Path(
    env_str("KAPSTONE_PSYCHNOTE_KEY_FILE") or VAR_DIR / "keys" / "psychnote-keys"
)
# Extra folders of instrument definition files a clinic adds (beside the shipped ones).
KAPSTONE_INSTRUMENT_DIRS = [Path(p) for p in env_list("KAPSTONE_INSTRUMENT_DIRS", [])]
# Medical clearance: how long a prescriber's clearance stays current, and how old a PHQ-9 / C-SSRS
# result may be to count as a screening fact. Defaults for every clinic; each clinic may set its own.
KAPSTONE_CLEARANCE_VALID_DAYS = env_int("KAPSTONE_CLEARANCE_VALID_DAYS", 90, minimum=1, maximum=730)
# Program outcomes: cohorts under this many clients show no numbers (small-cell suppression).
KAPSTONE_OUTCOMES_MIN_CELL = env_int("KAPSTONE_OUTCOMES_MIN_CELL", 11, minimum=1, maximum=1000)
KAPSTONE_SCREENING_MEASURE_MAX_AGE_DAYS = env_int(
    "KAPSTONE_SCREENING_MEASURE_MAX_AGE_DAYS", 30, minimum=1, maximum=730
)
