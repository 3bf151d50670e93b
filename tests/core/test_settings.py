"""Production settings: the deploy check is clean, unsafe configuration refuses to start and names the
variable, the pinned security values hold, SQLite runs durable, and responses carry the headers.

Production settings are read in a subprocess: the test run itself uses KAPSTONE_ENV=test.
"""

from __future__ import annotations

import json
import re
import secrets

import pytest
from django.contrib.auth.hashers import check_password, make_password

PRODUCTION = {
    "KAPSTONE_ENV": "production",
    "KAPSTONE_SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
    "KAPSTONE_ALLOWED_HOSTS": "kapstone.example.org",
    "KAPSTONE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}
assert len(PRODUCTION["KAPSTONE_SECRET_KEY"]) == 64


@pytest.fixture
def prod_env(cli, tmp_path):
    return cli.env(tmp_path / "var", **PRODUCTION)


def test_the_production_deploy_check_reports_nothing(cli, prod_env, battery):
    result = cli.run("check", "--deploy", "--fail-level", "WARNING", "--database", "default", env=prod_env)
    issues = re.findall(r"^\S+: \(\w+\.[EW]\d+\)", result.stdout + result.stderr, re.MULTILINE)
    silenced = re.search(r"\((\d+) silenced\)", result.stdout)
    battery("T13", f"deploy warnings/errors: {len(issues)} ({silenced[1] if silenced else '?'} silenced)")
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"KAPSTONE_HTTPS": "false"}, ["security.W004", "security.W008", "security.W012", "security.W016"]),
        ({"KAPSTONE_MFA_REQUIRED_FOR_STAFF": "false"}, ["kapstone.E004"]),
        ({"KAPSTONE_SECRET_KEY": "ab" * 32}, ["security.W009"]),  # long, but five distinct characters fewer
        ({"KAPSTONE_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, ["kapstone.E003"]),
    ],
    ids=["no-https", "no-mfa", "low-entropy-key", "console-mail"],
)
def test_the_deploy_check_fails_on_a_weakened_production(cli, prod_env, change, expected):
    result = cli.run("check", "--deploy", "--fail-level", "WARNING", env={**prod_env, **change}, check=False)
    assert result.returncode == 1
    for check_id in expected:
        assert check_id in result.stderr


def _without(env: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != name}


REFUSALS = [
    (
        "missing-secret-key",
        {"KAPSTONE_SECRET_KEY": None},
        "KAPSTONE_SECRET_KEY (or KAPSTONE_SECRET_KEY_FILE) is required",
    ),
    (
        "short-secret-key",
        {"KAPSTONE_SECRET_KEY": "k" * 49},
        "KAPSTONE_SECRET_KEY must be at least 50 characters",
    ),
    (
        "unreadable-key-file",
        {"KAPSTONE_SECRET_KEY_FILE": "/nonexistent/kapstone-key"},
        "KAPSTONE_SECRET_KEY_FILE",
    ),
    ("debug-on", {"KAPSTONE_DEBUG": "true"}, "KAPSTONE_DEBUG must be false"),
    ("hosts-missing", {"KAPSTONE_ALLOWED_HOSTS": None}, "KAPSTONE_ALLOWED_HOSTS must list"),
    ("hosts-empty", {"KAPSTONE_ALLOWED_HOSTS": " , "}, "KAPSTONE_ALLOWED_HOSTS must list"),
    ("hosts-star", {"KAPSTONE_ALLOWED_HOSTS": "*"}, "KAPSTONE_ALLOWED_HOSTS must list"),
    (
        "hosts-with-star",
        {"KAPSTONE_ALLOWED_HOSTS": "kapstone.example.org,*"},
        "KAPSTONE_ALLOWED_HOSTS must list",
    ),
    ("bad-boolean", {"KAPSTONE_HTTPS": "maybe"}, "KAPSTONE_HTTPS must be one of true/false"),
    (
        "bad-int",
        {"KAPSTONE_SESSION_IDLE_SECONDS": "fifteen"},
        "KAPSTONE_SESSION_IDLE_SECONDS must be a whole number",
    ),
    (
        "int-out-of-range",
        {"KAPSTONE_LOGIN_MAX_FAILURES": "1000"},
        "KAPSTONE_LOGIN_MAX_FAILURES must be at most 100",
    ),
    (
        "idle-too-short",
        {"KAPSTONE_SESSION_IDLE_SECONDS": "5"},
        "KAPSTONE_SESSION_IDLE_SECONDS must be at least 60",
    ),
    ("unknown-env", {"KAPSTONE_ENV": "prod"}, "KAPSTONE_ENV must be development, production or test"),
    ("not-postgres", {"DATABASE_URL": "mysql://u:p@127.0.0.1/k"}, "DATABASE_URL must be a postgresql:// URL"),
]


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in REFUSALS], ids=[i for i, _, _ in REFUSALS]
)
def test_production_refuses_to_start_and_names_the_variable(cli, prod_env, change, message):
    env = dict(prod_env)
    for name, value in change.items():
        env = _without(env, name) if value is None else {**env, name: value}
    result = cli.python("import kapstone.settings", env=env, check=False)
    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_secret_key_may_come_from_a_file(cli, prod_env, tmp_path):
    key_file = tmp_path / "secret"
    key = secrets.token_urlsafe(48)
    key_file.write_text(key + "\n")
    env = {**_without(prod_env, "KAPSTONE_SECRET_KEY"), "KAPSTONE_SECRET_KEY_FILE": str(key_file)}
    result = cli.python("import kapstone.settings as s; print(s.SECRET_KEY)", env=env)
    assert result.stdout.strip() == key


PINNED = """
import json
import kapstone.settings as s
validators = {v["NAME"].rsplit(".", 1)[-1]: v.get("OPTIONS", {}) for v in s.AUTH_PASSWORD_VALIDATORS}
print(json.dumps({
    "DEBUG": s.DEBUG,
    "PASSWORD_HASHERS": s.PASSWORD_HASHERS,
    "validators": validators,
    "idle": s.KAPSTONE_SESSION_IDLE_SECONDS,
    "absolute": s.KAPSTONE_SESSION_ABSOLUTE_SECONDS,
    "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_NAME": s.SESSION_COOKIE_NAME,
    "SESSION_COOKIE_SAMESITE": s.SESSION_COOKIE_SAMESITE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_NAME": s.CSRF_COOKIE_NAME,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "KAPSTONE_MFA_REQUIRED_FOR_STAFF": s.KAPSTONE_MFA_REQUIRED_FOR_STAFF,
    "max_failures": s.KAPSTONE_LOGIN_MAX_FAILURES,
    "TIME_ZONE": s.TIME_ZONE,
    "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
}))
"""


# Each pinned value and the rule it must keep (security.md sections 2 and 7, T13).
PINS = {
    "DEBUG": lambda v: v is False,
    "PASSWORD_HASHERS": lambda v: v[0] == "kapstone.accounts.hashers.Argon2idHasher",
    "MinimumLengthValidator": lambda v: v["validators"]["MinimumLengthValidator"] == {"min_length": 12},
    "common/similarity validators": lambda v: (
        {"CommonPasswordValidator", "UserAttributeSimilarityValidator"} <= set(v["validators"])
    ),
    "idle": lambda v: v == 900,
    "absolute": lambda v: v == 43200,
    "SESSION_COOKIE_AGE": lambda v: v == 43200,
    "SESSION_COOKIE_SECURE": lambda v: v is True,
    "SESSION_COOKIE_HTTPONLY": lambda v: v is True,
    "SESSION_COOKIE_NAME": lambda v: v.startswith("__Host-"),
    "SESSION_COOKIE_SAMESITE": lambda v: v in ("Lax", "Strict"),
    "CSRF_COOKIE_SECURE": lambda v: v is True,
    "CSRF_COOKIE_NAME": lambda v: v.startswith("__Host-"),
    "SECURE_SSL_REDIRECT": lambda v: v is True,
    "SECURE_HSTS_SECONDS": lambda v: v >= 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": lambda v: v is True,
    "SECURE_CONTENT_TYPE_NOSNIFF": lambda v: v is True,
    "X_FRAME_OPTIONS": lambda v: v == "DENY",
    "KAPSTONE_MFA_REQUIRED_FOR_STAFF": lambda v: v is True,
    "max_failures": lambda v: 1 <= v <= 100,  # ASVS 4.0.3 2.2.1
    "TIME_ZONE": lambda v: v == "UTC",
    "EMAIL_BACKEND": lambda v: v == "django.core.mail.backends.smtp.EmailBackend",
    "ENGINE": lambda v: v == "kapstone.core.sqlite_backend",  # Django's, writers queued on a file lock
}
WHOLE = {"MinimumLengthValidator", "common/similarity validators"}  # rules over several values


def test_the_production_values_are_pinned(cli, prod_env, battery):
    values = json.loads(cli.python(PINNED, env=prod_env).stdout)
    drifted = sorted(
        name for name, holds in PINS.items() if not holds(values if name in WHOLE else values[name])
    )
    battery("T13", f"pinned settings: {len(PINS)}, drifted: {len(drifted)}")
    assert drifted == [], {name: values.get(name) for name in drifted}


def test_argon2id_is_used_first_at_the_owasp_parameters(settings):
    settings.PASSWORD_HASHERS = [
        "kapstone.accounts.hashers.Argon2idHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    # argon2id with m=19 MiB, t=2, p=1 (ASVS 5.0 appendix C minimums), encoded in the hash itself.
    encoded = make_password("correct horse battery staple 42")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("correct horse battery staple 42", encoded)
    assert not check_password("correct horse battery staple 43", encoded)


PRAGMAS = """
import django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    values = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
              for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
values["file"] = str(settings.DATABASES["default"]["NAME"])
values["transaction_mode"] = connection.transaction_mode
print(__import__("json").dumps(values))
"""


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys_on_a_file_database(cli, prod_env, tmp_path):
    env = {**prod_env, "DJANGO_SETTINGS_MODULE": "kapstone.settings"}
    values = json.loads(cli.python(PRAGMAS, env=env).stdout)
    assert values["file"] == str(tmp_path / "var" / "kapstone.sqlite3")
    assert (tmp_path / "var" / "kapstone.sqlite3").exists()
    assert values["journal_mode"] == "wal"
    assert values["synchronous"] == 2  # FULL: a committed clinical write survives power loss
    assert values["foreign_keys"] == 1
    assert values["busy_timeout"] == 20000
    assert values["transaction_mode"] == "IMMEDIATE"


# --- Response headers (in process) ----------------------------------------------------------------------


def _csp(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_a_signed_in_page_carries_the_security_headers(world, as_user):
    response = as_user("theo").get(f"/clients/{world.clients['rowan'].pk}/")
    assert response.status_code == 200
    csp = _csp(response)
    header = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-Id"])


@pytest.mark.django_db
def test_pages_use_no_inline_script_or_style_that_the_csp_would_block(world, as_user):
    from django.test import Client as HttpClient

    theo = as_user("theo")
    pages = [
        HttpClient().get("/accounts/sign-in/"),
        theo.get("/dashboard/"),
        theo.get("/clients/"),
        theo.get(f"/clients/{world.clients['rowan'].pk}/"),
        theo.get(f"/clients/{world.clients['rowan'].pk}/edit/"),
        as_user("avery").get("/audit/"),
        as_user("avery").get("/accounts/members/"),
    ]
    enrol = HttpClient()
    enrol.post("/accounts/sign-in/", {"email": "tamsin@test.example", "password": world.password})
    pages.append(enrol.get("/accounts/sign-in/set-up-mfa/"))
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert page["Cache-Control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.request["PATH_INFO"]
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), page.request["PATH_INFO"]


def test_site_url_and_fhir_base_follow_the_environment(cli, tmp_path):
    show = "import kapstone.settings as s; print(s.SITE_URL, s.KAPSTONE_FHIR_BASE or '-')"
    bound = cli.python(show, env=cli.env(tmp_path, KAPSTONE_BIND="10.0.0.5:9000")).stdout.split()
    assert bound == ["http://10.0.0.5:9000", "-"]
    chosen = cli.env(tmp_path, KAPSTONE_SITE_URL="https://kap.example.org/",
                     KAPSTONE_FHIR_BASE="https://fhir.kap.example.org/r4")  # fmt: skip
    assert cli.python(show, env=chosen).stdout.split() == [
        "https://kap.example.org",
        "https://fhir.kap.example.org/r4",
    ]
