"""Issuing a certificate from a complete ledger, its status through the published list, the public
page, the PDF, key rotation, and the offline `kapstone credential verify`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from credentials_helpers import KAP, actor, complete_kap_ledger, issue
from django.test import Client as HttpClient

from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours, Refused
from kapstone.credentials import keys, services
from kapstone.credentials.models import Credential, IssuerKey
from kapstone.credentials.vc.verify import schema_errors

pytestmark = pytest.mark.django_db


def test_a_complete_ledger_signed_off_gets_a_schema_valid_credential_with_its_evidence(
    world: Any, _key_dir: Path
) -> None:
    complete_kap_ledger(world)
    credential = issue(world)
    document = credential.document
    assert schema_errors(document) == []
    assert document["issuer"]["id"] == "did:web:kapstone.test"
    assert document["proof"][0]["verificationMethod"].startswith("did:web:kapstone.test#larkspur-test-1-")
    [evidence] = document["evidence"]
    assert evidence["name"] == "Requirement set kap_certificate, version 1.0.0"
    assert (
        "Group consultation: 24 h" in evidence["narrative"]
        and "Led under supervision: 72 h" in evidence["narrative"]
    )
    assert document["credentialStatus"]["statusListIndex"] == str(credential.status_index)
    assert credential.issued_by == world.users["sam"]
    assert AuditEvent.objects.filter(
        action="credential.issue", outcome="success", object_id=str(credential.pk)
    ).exists()
    # The private key lives in the private key directory, readable by the owner only; not in the database.
    [pem] = list(_key_dir.glob("*.pem"))
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    assert "PRIVATE" not in json.dumps(document)


def test_a_certificate_for_unmet_requirements_is_refused_and_nothing_written(world: Any) -> None:
    from kapstone.practicum.models import Supervision

    Supervision.objects.create(
        organization=world.org_a, supervisor=world.users["sam"], trainee=world.users["toby"]
    )
    with pytest.raises(Refused, match="Not every requirement"):
        issue(world)
    assert not Credential.objects.exists()


def test_only_a_supervisor_of_the_trainee_signs_off(world: Any) -> None:
    from kapstone.credentials.services import credential_issue

    complete_kap_ledger(world)
    with pytest.raises(NotYours):
        credential_issue(actor(world, "avery"), trainee_id=world.users["toby"].pk, set_id=KAP)
    with pytest.raises(NotYours):
        credential_issue(actor(world, "olive"), trainee_id=world.users["toby"].pk, set_id=KAP)
    assert not Credential.objects.exists()


def test_a_second_live_certificate_for_the_same_set_is_refused(world: Any) -> None:
    complete_kap_ledger(world)
    issue(world)
    with pytest.raises(Refused, match="already holds"):
        issue(world)


def test_revoking_shows_on_the_public_page_and_in_the_published_status_list(world: Any) -> None:
    complete_kap_ledger(world)
    credential = issue(world)
    public = HttpClient()
    page = public.get(f"/verify/{credential.code}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-status="valid"' in html and "Toby Test" in html
    assert "rowan" not in html.lower() and "toby@test.example" not in html  # nothing else about the trainee
    services.credential_set_status(
        actor(world, "avery"), code=credential.code, status="suspended", reason="Audit"
    )
    assert 'data-status="suspended"' in public.get(f"/verify/{credential.code}/").content.decode()
    services.credential_set_status(
        actor(world, "avery"), code=credential.code, status="revoked", reason="Misconduct"
    )
    assert 'data-status="revoked"' in public.get(f"/verify/{credential.code}/").content.decode()
    with pytest.raises(Refused, match="revoking is final"):
        services.credential_set_status(actor(world, "avery"), code=credential.code, status="valid", reason="")
    status_list = public.get("/credentials/status/larkspur-test/").json()
    from kapstone.credentials.vc import statuslist

    assert (
        statuslist.read(status_list["credentialSubject"]["encodedList"], credential.status_index)
        == statuslist.REVOKED
    )
    credential.refresh_from_db()
    assert credential.document["proof"]  # the signed document itself never changed


def test_another_organization_cannot_change_a_certificate(world: Any) -> None:
    complete_kap_ledger(world)
    credential = issue(world)
    with pytest.raises(NotYours):
        services.credential_set_status(
            actor(world, "olive"), code=credential.code, status="revoked", reason="x"
        )
    assert Credential.objects.get(pk=credential.pk).status == "valid"


def test_an_unknown_code_is_404_on_the_public_page(world: Any) -> None:
    response = HttpClient().get("/verify/KAP-NOPE-NOPE/")
    assert response.status_code == 404 and "No certificate has the code" in response.content.decode()


def test_the_pdf_carries_the_code_and_a_qr_code(world: Any) -> None:
    from tests.conftest import signed_in_client

    complete_kap_ledger(world)
    credential = issue(world)
    response = signed_in_client(world.users["toby"]).get(f"/credentials/{credential.code}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF") and b"/Subtype /Image" in body
    assert credential.code.encode() in body or b"Certificate" in body


def test_key_rotation_keeps_old_credentials_verifiable(world: Any) -> None:
    import datetime as dt

    from kapstone.credentials.vc.verify import verify

    complete_kap_ledger(world)
    old = issue(world)
    keys.rotate(world.org_a)
    assert IssuerKey.objects.filter(organization=world.org_a).count() == 2
    did_document = HttpClient().get("/.well-known/did.json").json()
    assert len(did_document["verificationMethod"]) == 2
    status_list = services.status_list_document(world.org_a.pk, world.org_a.slug)
    report = verify(
        old.document, did_document=did_document, status_list=status_list, now=dt.datetime.now(dt.UTC)
    )
    assert report.valid, report.as_dict()
    assert "#larkspur-test-2-" in status_list["proof"][0]["verificationMethod"]


def test_the_referral_directory_hears_the_status_now(world: Any) -> None:
    from kapstone.community.hooks import active_credentials_of

    complete_kap_ledger(world)
    credential = issue(world)
    assert [c.title for c in active_credentials_of(world.users["toby"].pk)] == [credential.title]
    services.credential_set_status(actor(world, "sam"), code=credential.code, status="revoked", reason="x")
    assert active_credentials_of(world.users["toby"].pk) == []


def test_kapstone_credential_verify_offline(world: Any, cli: Any, tmp_path: Path) -> None:
    complete_kap_ledger(world)
    credential = issue(world)
    files = {
        "credential.json": credential.document,
        "did.json": keys.did_document(),
        "status.json": services.status_list_document(world.org_a.pk, world.org_a.slug),
    }
    for name, body in files.items():
        (tmp_path / name).write_text(json.dumps(body))
    env = cli.env(tmp_path / "var")
    args = ("--did-document", str(tmp_path / "did.json"), "--status-list", str(tmp_path / "status.json"))
    ok = cli.run("credential", "verify", str(tmp_path / "credential.json"), *args, env=env, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["valid"] is True
    # One flipped byte in the signed content.
    raw = (tmp_path / "credential.json").read_text()
    flipped = raw.replace("Toby Test", "Toby Tesu", 1)
    assert flipped != raw
    (tmp_path / "flipped.json").write_text(flipped)
    bad = cli.run("credential", "verify", str(tmp_path / "flipped.json"), *args, env=env, check=False)
    assert bad.returncode == 1
    assert {c["check"]: c["ok"] for c in json.loads(bad.stdout)["checks"]}["signature"] is False
    # Revoked: the cached status list says so.
    services.credential_set_status(actor(world, "avery"), code=credential.code, status="revoked", reason="x")
    revoked_list = services.status_list_document(world.org_a.pk, world.org_a.slug)
    (tmp_path / "status.json").write_text(json.dumps(revoked_list))
    revoked = cli.run("credential", "verify", str(tmp_path / "credential.json"), *args, env=env, check=False)
    assert revoked.returncode == 1 and json.loads(revoked.stdout)["status"] == "revoked"
    unreadable = cli.run("credential", "verify", str(tmp_path / "nope.json"), env=env, check=False)
    assert unreadable.returncode == 2 and "cannot read" in unreadable.stderr


def test_list_export_and_rotate_key_commands(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    complete_kap_ledger(world)
    credential = issue(world)
    call_command("credential", "list", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row == {
        "code": credential.code,
        "holder": "Toby Test",
        "program": credential.title,
        "status": "valid",
        "issued": credential.issued_at.date().isoformat(),
    }
    call_command("credential", "export", credential.code)
    assert json.loads(capsys.readouterr().out) == credential.document
    call_command("credential", "rotate-key", world.org_a.slug)
    fragment = capsys.readouterr().out.split("\t")[0]
    assert fragment.startswith("larkspur-test-2-")
    assert IssuerKey.objects.get(fragment=fragment).retired_at is None
    assert IssuerKey.objects.filter(organization=world.org_a, retired_at__isnull=False).count() == 1


def test_the_database_refuses_to_change_an_issued_document(world: Any) -> None:
    from django.db import IntegrityError, InternalError, OperationalError, transaction

    complete_kap_ledger(world)
    credential = issue(world)
    with pytest.raises((IntegrityError, InternalError, OperationalError)), transaction.atomic():
        Credential.objects.filter(pk=credential.pk).update(document={"forged": True})
    Credential.objects.filter(pk=credential.pk).update(status="suspended")  # the status may change
    assert Credential.objects.get(pk=credential.pk).document == credential.document
