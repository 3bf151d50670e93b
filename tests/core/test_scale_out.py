"""Stateless app servers: a session made by one server process is honoured by another (sessions,
memberships and the throttle live in the database, not in a process)."""

from __future__ import annotations

from typing import Any

SIGN_IN = """
import time, django; django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from kapstone.accounts.models import Membership, Organization, User
from kapstone.accounts.services import AUTH_AT, SEEN_AT
org = Organization.objects.create(name="Scale-out Fictional Clinic", slug="scale-out")
user = User.objects.create_user("scale@scale.invalid", None, full_name="Scale Fictional")
Membership.objects.create(user=user, organization=org, role="therapist")
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "kapstone.accounts.backends.EmailBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(), AUTH_AT: time.time(), SEEN_AT: time.time()})
session.create()
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
"""

SERVE_ONE = """
import io, sys, django; django.setup()
from kapstone.wsgi import application
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/dashboard/", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(),
           "wsgi.url_scheme": "http",
           "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": sys.argv[1]}
status = []
body = b"".join(application(environ, lambda s, h: status.append(s)))
print(status[0], b"Scale Fictional" in body)
"""


def test_a_session_from_one_server_process_is_honoured_by_another(cli: Any, tmp_path: Any) -> None:
    env = cli.env(tmp_path, DJANGO_SETTINGS_MODULE="kapstone.settings", KAPSTONE_ENV="development",
                  KAPSTONE_MFA_REQUIRED_FOR_STAFF="false")  # fmt: skip
    cli.run("migrate", "--verbosity", "0", env=env)
    cookie = cli.python(SIGN_IN, env=env).stdout.strip().splitlines()[-1]
    served = cli.python(SERVE_ONE, env=env, args=[cookie]).stdout.strip().splitlines()[-1]
    assert served == "200 OK True"
    # Without the cookie the other process sends the person to sign in: nothing was shared but the database.
    anonymous = cli.python(SERVE_ONE, env=env, args=["sessionid=none"]).stdout.strip().splitlines()[-1]
    assert anonymous.startswith("302")
