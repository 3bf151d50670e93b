"""KAP informed consent: the versioned template, signing in the portal or in person, the separate
opt-ins, renewal when the template changes, and withdrawal."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from tests.clients.intake_helpers import actor, cleared_and_consented, sign_consent

from kapstone.audit.models import AuditEvent
from kapstone.clients.consent.template import (
    DEFAULT_TEMPLATE,
    OPT_INS,
    REQUIRED_ELEMENTS,
    ConsentTemplateError,
    default_consent_template,
    loads_consent_template,
)
from kapstone.clients.consent_services import consent_template_save, consent_withdraw
from kapstone.clients.models import ConsentRecord, ConsentTemplate
from kapstone.core.contract import NotYours
from kapstone.screening.readiness import dosing_readiness

pytestmark = pytest.mark.django_db

SHIPPED_TEXT = DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def new_version(version: int = 2, *, change: tuple[str, str] | None = None) -> str:
    text = SHIPPED_TEXT.replace("version = 1\n", f"version = {version}\n", 1)
    if change:
        assert change[0] in text
        text = text.replace(*change, 1)
    return text


def test_the_shipped_template_covers_the_kap_elements_and_opt_ins() -> None:
    doc = default_consent_template()
    assert [e.key for e in doc.elements if e.key in REQUIRED_ELEMENTS] == [
        k for k in [e.key for e in doc.elements] if k in REQUIRED_ELEMENTS
    ]
    assert set(REQUIRED_ELEMENTS) <= {e.key for e in doc.elements}
    assert [o.key for o in doc.opt_ins] == list(OPT_INS)
    text = " ".join(e.text for e in doc.elements).lower()
    for phrase in (
        "off-label",
        "schedule iii",
        "dissociation",
        "suggestible",
        "other treatments",
        "withdraw",
        "fasting",
        "take you home",
        "do not drive",
    ):
        assert phrase in text, phrase
    assert "stop signal" in doc.opt_in("touch").text and "chaperone" in doc.opt_in("at_home").text
    assert all(section.source for section in (*doc.elements, *doc.opt_ins))


def test_a_template_missing_an_element_or_with_bad_toml_is_refused_with_the_line() -> None:
    broken = new_version().replace('key = "withdrawal"', 'key = "withdrawl"')
    with pytest.raises(ConsentTemplateError, match="the KAP consent elements withdrawal are missing"):
        loads_consent_template(broken)
    lines = new_version().splitlines()
    assert lines[15].startswith("title = ")
    lines[15] = "title = Informed consent without quotes"
    with pytest.raises(ConsentTemplateError) as refused:
        loads_consent_template("\n".join(lines), "consent template")
    assert refused.value.line == 16 and str(refused.value).startswith(
        "consent template, line 16: TOML syntax error"
    )


def test_signing_in_the_portal_records_name_time_address_version_and_choices(world, as_user) -> None:
    http = as_user("rowan_portal")
    page = http.get(reverse("portal:consent"))
    html = page.content.decode()
    assert page.status_code == 200 and "Off-label use and Schedule III status" in html
    assert "Empowerment, voice &amp; choice" not in html  # staff design notes stay out of the portal
    staff = as_user("theo").get(reverse("intake:consent_sign", kwargs={"pk": world.clients["rowan"].pk}))
    assert "Empowerment, voice &amp; choice" in staff.content.decode()  # ... and on the staff form
    response = http.post(
        reverse("portal:consent"),
        {
            "template_id": "kap-informed-consent",
            "template_version": "1",
            "understood": "on",
            "signed_name": "Rowan Fictional",
            "touch": "on",
            "touch_scope": "Hand on my shoulder",
            "touch_stop_signal": "I raise my hand",
            "observers": "on",
            "observer_team": ["Toby Test"],
            "observer_other": "Dr Visiting Observer",
            "research": "on",
        },
    )
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert consent.channel == "portal" and consent.recorded_by == world.users["rowan_portal"]
    assert (consent.signed_name, consent.source_ip) == ("Rowan Fictional", "127.0.0.1")
    assert (consent.template_id, consent.template_version) == ("kap-informed-consent", 1)
    assert consent.template_snapshot["elements"][0]["heading"] == "Off-label use and Schedule III status"
    assert consent.touch and consent.touch_stop_signal == "I raise my hand"
    assert consent.observer_names == ["Toby Test", "Dr Visiting Observer"]
    assert consent.research and not consent.recording and not consent.at_home
    event = AuditEvent.objects.get(action="consent.sign")
    assert event.organization_id == world.org_a.pk and event.detail["opt_ins"]["touch"] is True
    home = http.get(reverse("portal:home")).content.decode()
    assert "You signed" in home and "Hand on my shoulder" in home


def test_refusals_name_the_field_and_keep_what_was_typed(world, as_user) -> None:
    response = as_user("rowan_portal").post(
        reverse("portal:consent"),
        {
            "template_id": "kap-informed-consent",
            "template_version": "1",
            "touch": "on",
            "touch_scope": "Only my left wrist",
            "at_home": "on",
            "observers": "on",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {
        "understood",
        "signed_name",
        "touch_stop_signal",
        "chaperone_name",
        "observer_other",
    }
    assert errors["observer_other"] == ["Name each observer or trainee who may be present."]
    assert "Only my left wrist" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_in_person_signature_is_witnessed_by_staff(world, as_user) -> None:
    response = as_user("theo").post(
        reverse("intake:consent_sign", kwargs={"pk": world.clients["rowan"].pk}),
        {
            "template_id": "kap-informed-consent",
            "template_version": "1",
            "understood": "on",
            "signed_name": "Rowan Fictional",
            "at_home": "on",
            "chaperone_name": "Sky Fictional",
        },
    )
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert consent.channel == "in_person" and consent.witnessed_by == world.users["theo"]
    assert consent.at_home and consent.chaperone_name == "Sky Fictional"


def test_signing_again_replaces_the_open_consent(world) -> None:
    first = sign_consent(world)
    second = sign_consent(world, recording=True)
    first.refresh_from_db()
    assert first.superseded_at is not None and second.is_open
    assert dosing_readiness(world.clients["rowan"]).consent == second


def test_a_new_template_version_requires_renewal(world, as_user) -> None:
    cleared_and_consented(world)
    assert dosing_readiness(world.clients["rowan"]).ready
    row = consent_template_save(actor(world, "avery"), new_version(2), note="Clearer fasting wording")
    assert (row.version, row.is_active) == (2, True)
    readiness = dosing_readiness(world.clients["rowan"])
    assert readiness.missing == [
        "KAP consent must be renewed: signed for template v1, the current template is v2"
    ]
    assert not readiness.touch_opt_in.consented  # no touch without a current consent
    home = as_user("rowan_portal").get(reverse("portal:home")).content.decode()
    assert "The consent form has changed" in home
    sign_consent(world)
    assert dosing_readiness(world.clients["rowan"]).ready


def test_a_template_edited_while_the_client_read_it_is_not_signed(world) -> None:
    from tests.clients.intake_helpers import portal_actor

    from kapstone.clients.consent_services import consent_sign

    consent_template_save(actor(world, "avery"), new_version(2))
    with pytest.raises(ValidationError, match="changed to kap-informed-consent v2 while it was open"):
        consent_sign(
            portal_actor(world),
            world.clients["rowan"],
            understood=True,
            signed_name="Rowan F",
            channel="portal",
            template_key=("kap-informed-consent", 1),
        )
    assert not ConsentRecord.objects.exists()


def test_template_edits_are_refused_with_the_line_and_the_old_version_stays(world, as_user) -> None:
    avery = as_user("avery")
    url = reverse("intake:consent_template_edit")
    broken = new_version(2).replace('title = "Informed consent', "title = Informed consent", 1)
    response = avery.post(url, {"text": broken, "note": "typo"})
    assert response.status_code == 400
    assert "consent template, line 16: TOML syntax error" in response.context["form"].errors["text"][0]
    assert "title = Informed consent" in response.content.decode()  # kept
    assert not ConsentTemplate.objects.exists()
    response = avery.post(url, {"text": SHIPPED_TEXT.replace("intro =", "intro =", 1) + "\n# comment\n"})
    assert "raise it to 2" in response.context["form"].errors["text"][0]
    assert avery.post(url, {"text": new_version(2)}).status_code == 302
    assert ConsentTemplate.objects.get().is_active


def test_withdrawal_in_the_portal(world, as_user) -> None:
    _, consent = cleared_and_consented(world)
    http = as_user("rowan_portal")
    url = reverse("portal:consent_withdraw", kwargs={"cid": consent.pk})
    assert http.get(url).status_code == 200
    assert http.post(url, {"reason": "I need time"}).status_code == 302
    consent.refresh_from_db()
    assert (
        consent.withdrawn_at
        and consent.withdrawal_channel == "portal"
        and consent.withdrawal_reason == "I need time"
    )
    readiness = dosing_readiness(world.clients["rowan"])
    assert not readiness.ready and readiness.missing[0].startswith("KAP consent withdrawn on ")
    assert AuditEvent.objects.filter(action="consent.withdraw", object_id=str(consent.pk)).exists()
    assert http.post(url, {"reason": "again"}).status_code == 400  # already withdrawn


def test_staff_record_a_withdrawal_with_how_it_was_given(world, as_user) -> None:
    consent = sign_consent(world)
    url = reverse("intake:consent_withdraw", kwargs={"pk": world.clients["rowan"].pk, "cid": consent.pk})
    response = as_user("theo").post(url, {"reason": ""})
    assert response.status_code == 400 and "Record how the client withdrew" in response.content.decode()
    assert as_user("theo").post(url, {"reason": "Phoned the clinic"}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawal_channel == "in_person" and consent.withdrawn_by == world.users["theo"]
    detail = reverse("intake:consent_detail", kwargs={"pk": world.clients["rowan"].pk, "cid": consent.pk})
    assert "recorded by Theo Test: Phoned the clinic" in as_user("sam").get(detail).content.decode()


def test_another_portal_client_cannot_reach_rowans_consent(world, as_user) -> None:
    from kapstone.accounts.models import User

    harper_login = User.objects.create_user(
        "harper@test.example", world.password, full_name="Harper N", kind=User.Kind.CLIENT
    )
    world.clients["harper"].portal_user = harper_login
    world.clients["harper"].save(update_fields=["portal_user"])
    world.users["harper_portal"] = harper_login
    consent = sign_consent(world)
    url = reverse("portal:consent_withdraw", kwargs={"cid": consent.pk})
    assert as_user("harper_portal").post(url, {"reason": "x"}).status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    with pytest.raises(NotYours):
        from tests.clients.intake_helpers import portal_actor

        consent_withdraw(
            portal_actor(world).__class__(user=harper_login, organization=world.org_a),
            consent,
            reason="x",
            channel="portal",
        )


@pytest.mark.parametrize(
    ("persona", "url_name", "status"),
    [
        ("tamsin", "intake:consent", 404),
        ("olive", "intake:consent", 404),
        ("avery", "intake:consent", 404),
        ("sam", "intake:consent", 200),
        ("sam", "intake:consent_sign", 404),
        ("toby", "intake:consent_sign", 404),
        ("tamsin", "intake:consent_sign", 404),
        ("theo", "intake:consent_template_edit", 404),
        ("priya", "intake:consent_template_edit", 404),
        ("avery", "intake:consent_template_edit", 200),
    ],
)
def test_who_may_see_and_record_consent(world, as_user, persona, url_name, status) -> None:
    kwargs = {} if url_name.startswith("intake:consent_template") else {"pk": world.clients["rowan"].pk}
    assert as_user(persona).get(reverse(url_name, kwargs=kwargs)).status_code == status


def test_staff_cannot_sign_in_the_clients_name_through_the_portal_service(world) -> None:
    from kapstone.clients.consent_services import consent_sign

    with pytest.raises(NotYours):
        consent_sign(
            actor(world, "theo"),
            world.clients["rowan"],
            understood=True,
            signed_name="Rowan",
            channel="portal",
            template_key=("kap-informed-consent", 1),
        )
    denied = AuditEvent.objects.filter(action="consent.sign", outcome="denied")
    assert denied.filter(client_id=world.clients["rowan"].pk).exists()


def test_the_touch_agreement_is_visible_for_the_dosing_room(world, as_user) -> None:
    cleared_and_consented(world)
    html = (
        as_user("theo")
        .get(reverse("clients:detail", kwargs={"pk": world.clients["rowan"].pk}))
        .content.decode()
    )
    assert "Ready to schedule" in html
    assert "Supportive touch agreed: hand on my shoulder. Stop signal: raised hand." in html


def test_the_client_records_their_choices_in_the_portal_without_staff_notes(world, as_user) -> None:
    from kapstone.clients.models import CarePreferences

    http = as_user("rowan_portal")
    page = http.get(reverse("portal:choices")).content.decode()
    assert "Empowerment, voice &amp; choice" not in page  # the principles are notes for staff (issue #12)
    staff_page = as_user("theo").get(reverse("intake:choices", kwargs={"pk": world.clients["rowan"].pk}))
    assert "Empowerment, voice &amp; choice" in staff_page.content.decode()
    response = http.post(
        reverse("portal:choices"),
        {
            "version": "0",
            "music": "Quiet piano, no lyrics",
            "people_present": "Only Theo",
            "staff_gender_preference": "Women",
        },
    )
    assert response.status_code == 302
    prefs = CarePreferences.objects.get()
    assert (prefs.music, prefs.updated_via, prefs.updated_by) == (
        "Quiet piano, no lyrics",
        "portal",
        world.users["rowan_portal"],
    )
    stale = as_user("theo").post(
        reverse("intake:choices", kwargs={"pk": world.clients["rowan"].pk}),
        {"version": "0", "music": "Drums"},
    )
    assert stale.status_code == 409 and "Quiet piano, no lyrics" in stale.content.decode()
    assert (
        AuditEvent.objects.filter(action="preferences.edit", client_id=world.clients["rowan"].pk).count() == 1
    )
    home = http.get(reverse("portal:home")).content.decode()
    assert "Quiet piano, no lyrics" in home and "Your plan" in home and "Your next sessions" in home


def test_the_portal_shows_the_plan_consent_and_sessions(world, as_user) -> None:
    cleared_and_consented(world)
    home = as_user("rowan_portal").get(reverse("portal:home")).content.decode()
    assert "Your doctor says you can start" in home
    assert "Take back my consent" in home and "Change my choices" in home
    assert "Trustworthiness &amp; transparency" not in home  # no staff notes in the portal
