"""Shared fixtures: named personas in two organizations, and helpers to act as them.

Personas (fictional): in Larkspur (org A) — admin Avery, therapist Theo, other therapist Tamsin,
prescriber Priya, supervisor Sam, trainee Toby; in Otherbrook (org B) — therapist Olive.
Theo, Priya, Sam and Toby are on client Rowan's care team; Tamsin is on Harper's; Olive on Oona's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Speed is measured in bench/, never asserted in a test: no per-example deadline, and no failure
# because a busy 2-core machine drew a handful of small examples slowly (HealthCheck.too_slow failed
# tests/care/test_quick_entry.py under load with 8 lists of at most 5 integers drawn in 1.2 s).
# A test's own @settings replaces what it names (its suppress_health_check list replaces this one).
hypothesis_settings.register_profile("kapstone", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("kapstone")

pytest_plugins = ["battery_plugin"]  # the security battery's figures and their summary (issue #17)

os.environ.setdefault("KAPSTONE_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    # Argon2 is what production uses (see test_settings); tests hash thousands of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@dataclass
class World:
    org_a: object
    org_b: object
    users: dict[str, object]
    clients: dict[str, object]
    password: str = ""  # every persona's password


PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def world(db: object) -> World:
    from kapstone.accounts.models import Membership, Organization, Role, User
    from kapstone.clients.models import CareTeamMember, Client

    org_a = Organization.objects.create(name="Larkspur Test Clinic", slug="larkspur-test", kind="both")
    org_b = Organization.objects.create(name="Otherbrook Test Clinic", slug="otherbrook-test", kind="clinic")
    spec = {
        "avery": (org_a, Role.ORG_ADMIN), "theo": (org_a, Role.THERAPIST), "tamsin": (org_a, Role.THERAPIST),
        "priya": (org_a, Role.PRESCRIBER), "sam": (org_a, Role.SUPERVISOR), "toby": (org_a, Role.TRAINEE),
        "olive": (org_b, Role.THERAPIST),
    }  # fmt: skip
    users = {}
    for name, (org, role) in spec.items():
        user = User.objects.create_user(f"{name}@test.example", PASSWORD, full_name=f"{name.title()} Test")
        Membership.objects.create(user=user, organization=org, role=role)
        users[name] = user
    users["rowan_portal"] = User.objects.create_user(
        "rowan@test.example", PASSWORD, full_name="Rowan Fictional", kind=User.Kind.CLIENT
    )
    rowan = Client.objects.create(
        organization=org_a, given_name="Rowan", family_name="Fictional", portal_user=users["rowan_portal"]
    )
    harper = Client.objects.create(organization=org_a, given_name="Harper", family_name="Notreal")
    oona = Client.objects.create(organization=org_b, given_name="Oona", family_name="Elsewhere")
    rowan_team = (("theo", "therapist"), ("priya", "prescriber"), ("sam", "supervisor"), ("toby", "trainee"))
    for name, team_role in rowan_team:
        CareTeamMember.objects.create(client=rowan, user=users[name], team_role=team_role)
    CareTeamMember.objects.create(client=harper, user=users["tamsin"], team_role="therapist")
    CareTeamMember.objects.create(client=oona, user=users["olive"], team_role="therapist")
    return World(org_a, org_b, users, {"rowan": rowan, "harper": harper, "oona": oona}, PASSWORD)


def signed_in_client(user: object) -> HttpClient:
    """An HTTP client with a fully signed-in session for ``user`` (as after password + second factor)."""
    from kapstone.accounts.models import UserSession
    from kapstone.accounts.services import AUTH_AT, SEEN_AT

    http = HttpClient()
    http.force_login(user)  # type: ignore[arg-type]
    session = http.session
    session[AUTH_AT] = time.time()
    session[SEEN_AT] = time.time()
    session.save()
    # As complete_sign_in does: the session is known, so deactivation can end it.
    UserSession.objects.create(user=user, session_key=session.session_key, source_ip="127.0.0.1")
    return http


@pytest.fixture
def as_user(world: World) -> Callable[[str], HttpClient]:
    return lambda name: signed_in_client(world.users[name])


class Cli:
    """Run the ``kapstone`` command in a subprocess: for production settings and file databases,
    which the in-process test database (SQLite in memory) cannot show."""

    def env(self, var_dir: object, **overrides: str) -> dict[str, str]:
        # Start from a clean slate: no KAPSTONE_* or DATABASE_URL leaks in from the test run.
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTONE_") and k != "DATABASE_URL"}
        for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set for this run, not a server
            env.pop(name, None)
        env.update({"KAPSTONE_ENV": "test", "KAPSTONE_VAR_DIR": str(var_dir)})
        env.update(overrides)
        return env

    def run(
        self,
        *args: str,
        env: dict[str, str],
        check: bool = True,
        input: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "kapstone.cli", *args],
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kapstone {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def python(
        self, code: str, *, env: dict[str, str], check: bool = True, args: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-c", code, *(args or [])],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"python -c failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()


# --- Append-only triggers vs. the flush that ends a transactional test --------------------------------
# Tables whose rows the database itself refuses to change or delete, with the migration that installs
# the triggers (it exposes SQLITE / SQLITE_REVERSE statement lists). The flush after a transactional
# or live-server test lifts them for its own DELETE/TRUNCATE and restores them in the same
# transaction; while a test runs they hold exactly as in production.
APPEND_ONLY_TABLES = {
    "audit_auditevent": "kapstone.audit.migrations.0002_append_only_triggers",
    "notes_progressnote": "kapstone.notes.migrations.0002_signed_note_triggers",  # signed rows
    "notes_addendum": "kapstone.notes.migrations.0002_signed_note_triggers",
}


@pytest.fixture(scope="session", autouse=True)
def _flush_past_append_only_triggers(django_db_setup: None) -> Iterator[None]:
    import importlib

    from django.db import connections

    # Patched on the class: once Playwright's event loop runs in this thread, Django hands out a
    # different connection object (asgiref's Local turns context-local), so an instance patch misses.
    operations = type(connections["default"].ops)
    original = operations.__dict__.get("sql_flush")
    inherited = operations.sql_flush

    def sql_flush(self: object, style: object, tables: object, **kwargs: object) -> list[str]:
        sql = list(inherited(self, style, tables, **kwargs))  # type: ignore[arg-type]
        guarded = [table for table in APPEND_ONLY_TABLES if table in tables]  # type: ignore[operator]
        if not guarded:
            return sql
        if self.connection.vendor == "postgresql":  # type: ignore[attr-defined]
            lift = [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in guarded]
            restore = [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in guarded]
        else:
            # One migration may guard several tables: lift and restore its triggers once.
            names = dict.fromkeys(APPEND_ONLY_TABLES[table] for table in guarded)
            modules = [importlib.import_module(name) for name in names]
            lift = [statement for module in modules for statement in module.SQLITE_REVERSE]
            restore = [statement for module in modules for statement in module.SQLITE]
        return [*lift, *sql, *restore]

    operations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    if original is None:
        del operations.sql_flush
    else:
        operations.sql_flush = original  # type: ignore[method-assign]
