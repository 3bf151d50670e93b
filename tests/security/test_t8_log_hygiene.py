"""T8 (security.md section 7): log and error hygiene.

Canaries (a password, a wrong password, a TOTP secret, the session id, progress-note and
psychotherapy-note text) are planted through sign-in, second-factor enrolment and note writing
over HTTP, with every logger at DEBUG; none may appear in the captured log lines or in the audit
rows' detail. CR/LF and ANSI escapes sent in logged fields (a path, a Host header, a user agent in
the access log) must come out as visible escapes, never as a line of their own.
"""

from __future__ import annotations

import io
import json
import logging

import pyotp
import pytest
from django.conf import settings
from django.test import Client as HttpClient

from kapstone.accounts.models import Membership, Role, User
from kapstone.accounts.services import PENDING_SECRET
from kapstone.audit.models import AuditEvent
from kapstone.clients.models import CareTeamMember
from kapstone.core.gunicorn_logging import RedactingLogger
from kapstone.core.logsafe import SafeFormatter, neutralise, safe_atoms
from kapstone.notes.models import ProgressNote

pytestmark = pytest.mark.django_db

PASSWORD = "zq-pw-canary-Tangerine-Harbor-77"
WRONG = "zq-wrong-canary-Saffron-Quay-31"
NOTE = "zq-note-canary-the-orchard-gate"
PSYCH = "zq-psych-canary-the-lighthouse-dream"
FORGED = "2026-01-01 00:00:00,000 CRITICAL kapstone forged line"


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "django", "kapstone")}
    root.addHandler(handler)
    for name in levels:  # every logger at DEBUG, as KAPSTONE_LOG_LEVEL=DEBUG does
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_t8_canaries_planted_through_sign_in_and_notes_never_reach_logs_or_audit(world, captured, battery):
    user = User.objects.create_user("cai@test.example", PASSWORD, full_name="Cai Canary")
    Membership.objects.create(user=user, organization=world.org_a, role=Role.THERAPIST)
    rowan = world.clients["rowan"]
    CareTeamMember.objects.create(client=rowan, user=user, team_role="therapist")
    http = HttpClient(raise_request_exception=False)

    http.post("/accounts/sign-in/", {"email": "cai@test.example", "password": WRONG})
    assert (
        http.post("/accounts/sign-in/", {"email": "cai@test.example", "password": PASSWORD}).status_code
        == 302
    )
    http.get("/accounts/sign-in/set-up-mfa/")
    secret = http.session[PENDING_SECRET]
    http.post("/accounts/sign-in/set-up-mfa/", {"code": "000000"})
    http.post("/accounts/sign-in/set-up-mfa/", {"code": pyotp.TOTP(secret).now()})
    session_id = http.cookies[settings.SESSION_COOKIE_NAME].value
    assert http.session.get("_auth_user_id") == str(user.pk)

    http.post(f"/notes/clients/{rowan.pk}/new/", {"template": "dap"})
    note = ProgressNote.objects.get(author=user)
    sections = {"section_data": NOTE, "section_assessment": NOTE, "section_plan": NOTE}
    http.post(f"/notes/{note.pk}/edit/", {"version": 1, "action": "save", **sections})
    http.post(f"/notes/{note.pk}/edit/", {"version": 1, "action": "save", **sections})  # stale: 409
    http.post(f"/notes/{note.pk}/edit/", {"version": 2, "action": "sign", **sections})
    http.post(f"/notes/clients/{rowan.pk}/psychotherapy/new/", {"body": PSYCH})
    http.post(f"/notes/clients/{rowan.pk}/psychotherapy/new/", {"body": PSYCH * 3000})  # refused: too long
    http.get(f"/notes/{note.pk}/?q={NOTE}")  # a canary in a query string

    canaries = {"password": PASSWORD, "wrong password": WRONG, "TOTP secret": secret,
                "session id": session_id, "note text": NOTE, "psychotherapy note": PSYCH}  # fmt: skip
    logs = captured.getvalue()
    audit = json.dumps(list(AuditEvent.objects.values("detail", "object_id", "actor_email")))
    found = {name: (value in logs) + (value in audit) for name, value in canaries.items()}
    battery("T8", f"canaries planted: {len(canaries)}; found in logs or audit detail: {sum(found.values())}")
    assert ProgressNote.objects.get(pk=note.pk).signed_at is not None  # the flows really ran
    assert sum(found.values()) == 0


def test_t8_cr_lf_and_ansi_in_logged_fields_never_make_a_line_of_their_own(world, captured, battery):
    http = HttpClient(raise_request_exception=False)
    http.get(f"/no-such-page/%0d%0a{FORGED}%1b[31mred%1b[0m/")
    http.get("/", HTTP_HOST=f"evil.example\r\n{FORGED}")
    logging.getLogger("kapstone.test").warning("typed by a person: %s", f"x\u2028{FORGED}\x1b[2J")
    try:
        raise ValueError(f"bad value\n{FORGED}")
    except ValueError:
        logging.getLogger("kapstone.test").exception("failed")
    lines = captured.getvalue().splitlines()
    forged_lines = [line for line in lines if line.startswith(FORGED)]
    raw_escapes = [line for line in lines if "\x1b" in line or "\u2028" in line]
    battery(
        "T8",
        f"log-injection attempts: 4; forged lines: {len(forged_lines)}; "
        f"raw ANSI/separator bytes: {len(raw_escapes)}",
    )
    assert not forged_lines and not raw_escapes
    assert any("\\r\\n" + FORGED in line for line in lines)
    assert any(line.startswith("  | ") and "ValueError" in line for line in lines)  # traceback kept, indented


def test_the_access_log_neutralises_every_field_and_masks_tokens():
    atoms = {"U": "/q/tok3n-secret/\r\nforged", "a": "agent\x1b[31m", "s": 200}
    assert safe_atoms(atoms) == {"U": "/q/[token]/\\r\\nforged", "a": "agent\\x1b[31m", "s": 200}
    assert RedactingLogger.atoms is not None
    assert neutralise("tab\tkept\x00\x7f\x85") == "tab\tkept\\x00\\x7f\\x85"


def test_t8_an_error_page_shows_no_exception_text(world, as_user, monkeypatch, battery):
    from kapstone.notes import services

    def broken(*args, **kwargs):
        raise RuntimeError(f"failure while saving {args[2] if len(args) > 2 else ''}")

    monkeypatch.setattr(services, "psychnote_create", broken)
    http = as_user("theo")
    http.raise_request_exception = False
    response = http.post(f"/notes/clients/{world.clients['rowan'].pk}/psychotherapy/new/", {"body": PSYCH})
    body = response.content.decode()
    shown = int(PSYCH in body or "RuntimeError" in body)
    battery("T8", f"error pages checked: 1; exception text or canary shown: {shown}")
    assert (
        response.status_code == 500
        and PSYCH not in body
        and "RuntimeError" not in body
        and "Traceback" not in body
    )
