"""Issue #14, done when: a trainee's logged hours and a co-signed KAP session (counted by itself)
reach the supervisor's sign-off; the certificate is issued (PDF and credential); the public page
says "valid", and after revocation "revoked"."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

KAP = "kap_certificate"


def _almost_complete(world: Any) -> None:
    """Everything the KAP set asks but one individual consultation and one KAP session."""
    from django.utils import timezone

    from kapstone.clients.models import CareTeamMember, Client
    from kapstone.practicum.models import Fact, LedgerEntry, Program, Supervision

    Program.objects.create(organization=world.org_a, enabled_sets=[KAP], certificate_set=KAP)
    Supervision.objects.create(
        organization=world.org_a, supervisor=world.users["sam"], trainee=world.users["toby"]
    )
    third = Client.objects.create(organization=world.org_a, given_name="Quill", family_name="Madeup")
    CareTeamMember.objects.create(client=third, user=world.users["toby"], team_role="trainee")
    clients = [world.clients["rowan"], world.clients["harper"], third]
    base = {
        "organization": world.org_a,
        "trainee": world.users["toby"],
        "supervisor": world.users["sam"],
        "status": "verified",
        "reviewed_by": world.users["sam"],
        "reviewed_at": timezone.now(),
    }
    day = dt.date(2026, 1, 1)
    rows = [
        LedgerEntry(
            kind="group_consultation", minutes=120, group_size=5, occurred_on=day + dt.timedelta(i), **base
        )
        for i in range(12)
    ]
    rows += [
        LedgerEntry(kind="individual_consultation", minutes=60, occurred_on=day + dt.timedelta(i), **base)
        for i in range(11)
    ]
    rows += [
        LedgerEntry(
            kind="led_under_supervision",
            minutes=240,
            session_kind="administration",
            client=clients[i % 3],
            occurred_on=day + dt.timedelta(20 + i),
            **base,
        )
        for i in range(17)
    ]
    LedgerEntry.objects.bulk_create(rows)
    for fact in ("kap.modules_complete", "kap.retreat", "kap.reflection_paper", "kap.consultant_letter"):
        Fact.objects.create(
            organization=world.org_a,
            trainee=world.users["toby"],
            fact=fact,
            value=True,
            recorded_by=world.users["sam"],
        )


def _trainee_documents_a_kap_session(world: Any) -> Any:
    """Toby led a dosing session for Rowan and signed its note; it waits for Sam's co-sign."""
    from django.utils import timezone

    from kapstone.care import services as care
    from kapstone.care.models import CareSession, ProtocolVersion
    from kapstone.core.actor import Actor
    from kapstone.notes.services import draft_create, note_sign

    avery = Actor(user=world.users["avery"], organization=world.org_a, roles=frozenset({"org_admin"}))
    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    toby = Actor(user=world.users["toby"], organization=world.org_a, roles=frozenset({"trainee"}))
    care.protocols_install_shipped(avery, world.org_a)
    version = ProtocolVersion.objects.get(organization=world.org_a, protocol_id="sublingual_kap_series")
    course = care.course_start(theo, world.clients["rowan"], version)
    start = timezone.now() - dt.timedelta(hours=5)
    session = CareSession.objects.create(
        organization=world.org_a,
        client=world.clients["rowan"],
        course=course,
        kind="dosing",
        status="completed",
        started_at=start,
        ended_at=start + dt.timedelta(hours=3),
        lead=world.users["toby"],
        created_by=world.users["theo"],
    )
    sections = {"data": "Dosing went as planned.", "assessment": "Stable throughout.", "plan": "Integration."}
    note = draft_create(toby, world.clients["rowan"], "dap", session=session, sections=sections)
    return note_sign(toby, note, expected_version=note.version)


def test_from_logged_hours_to_a_verifiable_certificate_and_its_revocation(
    pages: Any,
    page: Page,
    signed_in: Any,
    world: Any,
    live_server: Any,
    settings: Any,
    tmp_path: Path,
    page_errors: Any,
) -> None:
    from django.utils import timezone

    settings.KAPSTONE_CREDENTIAL_KEY_DIR = str(tmp_path / "keys")
    settings.SITE_URL = live_server.url
    _almost_complete(world)
    note = _trainee_documents_a_kap_session(world)
    toby, sam, avery = world.users["toby"], world.users["sam"], world.users["avery"]

    # The trainee logs the last individual consultation.
    signed_in(page, toby)
    page.goto("/practicum/")
    page.get_by_role("link", name="Log hours").click()
    page.get_by_label("Kind of hours").select_option("individual_consultation")
    page.get_by_label("Date").fill((timezone.localdate() - dt.timedelta(days=1)).isoformat())
    page.get_by_label("Duration (minutes)").fill("60")
    page.get_by_label("Supervisor who will verify it").select_option(str(sam.pk))
    page.get_by_label("What you did (no client names)").fill("Consultation on holding silence")
    page.get_by_role("button", name="Log the hours").click()
    expect(page.get_by_text("Logged. It counts once your supervisor verifies it.")).to_be_visible()
    expect(page.locator('[data-requirement="individual_consultations"]')).to_contain_text(
        "waiting for verification"
    )
    expect(page.locator('[data-requirement="kap_sessions"]')).to_contain_text("17 of 18")

    # The supervisor's desk: the note to co-sign and the entry to verify, each with its age.
    desk = pages.open()
    signed_in(desk, sam)
    desk.goto("/practicum/desk/")
    expect(desk.get_by_role("heading", name="Notes awaiting your co-sign (1)")).to_be_visible()
    desk.get_by_role("link", name=re.compile("DAP note by Toby Test")).click()
    desk.get_by_role("button", name="Co-sign as supervisor").click()
    desk.goto("/practicum/desk/")
    row = desk.locator("#to-verify tbody tr", has_text="Consultation on holding silence")
    row.get_by_role("button", name="Verify").click()
    expect(desk.get_by_text("Entry verified.")).to_be_visible()

    # The co-signed session counted by itself; every requirement is met: sign off and issue.
    desk.goto(f"/practicum/trainees/{toby.pk}/")
    expect(desk.locator('[data-requirement="kap_sessions"]')).to_contain_text("18 of 18: met")
    expect(desk.locator("#derived")).to_contain_text("Session note co-signed by a supervisor")
    desk.get_by_role("button", name="Sign off and issue the certificate").click()
    expect(desk.get_by_text(re.compile(r"Certificate KAP-\w{4}-\w{4} issued to Toby Test"))).to_be_visible()

    from kapstone.credentials.models import Credential
    from kapstone.credentials.vc.verify import schema_errors

    credential = Credential.objects.get(holder=toby)
    assert schema_errors(credential.document) == []
    note.refresh_from_db()
    assert note.cosigned_by == sam

    # The trainee downloads the PDF and the credential.
    page.goto("/credentials/")
    pdf = page.request.get(f"/credentials/{credential.code}.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert page.request.get(f"/credentials/{credential.code}.json").json()["id"] == credential.document["id"]

    # Anyone: the public page says valid.
    public = pages.open()
    public.goto("/verify/")
    public.get_by_label("Certificate code").fill(credential.code)
    public.get_by_role("button", name="Check").click()
    expect(public.locator("[data-status]")).to_have_text("Valid")
    expect(public.locator("#certificate")).to_contain_text("Toby Test")

    # The admin revokes it; the public page says revoked.
    admin = pages.open()
    signed_in(admin, avery)
    admin.goto("/credentials/manage/")
    admin_row = admin.locator("#credentials tbody tr", has_text=credential.code)
    admin_row.get_by_label("Reason").fill("Issued in error: fictional test")
    admin_row.get_by_role("button", name="Revoke").click()
    expect(admin.get_by_text(f"Certificate {credential.code} is now revoked.")).to_be_visible()
    public.reload()
    expect(public.locator("[data-status]")).to_have_text("Revoked")
    for p in (page, desk, public, admin):
        assert page_errors(p) == []
