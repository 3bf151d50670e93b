"""The client's questionnaire link: mailed, hashed, resumable, single use, expiring; refusals audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone
from measures_helpers import actor, phq9, phq9_post, sha256

from kapstone.audit.models import AuditEvent
from kapstone.measures.models import PortalLink, Response, SafetyTask
from kapstone.measures.services import (
    IncompleteResponse,
    LinkClosed,
    portal_answers_save,
    portal_link_create,
    portal_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rowan(world):
    client = world.clients["rowan"]
    client.email = "rowan.client@test.example"
    client.save()
    return client


@pytest.fixture
def token(world, rowan, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        _, raw = portal_link_create(actor(world, "theo"), rowan, "phq9")
    return raw


def _url(token):
    return f"/q/{token}/"


def test_the_link_is_mailed_once_and_only_its_hash_is_stored(world, token, mailoutbox):
    link = PortalLink.objects.get()
    assert link.token_hash == sha256(token) and link.mail_key == "" and link.mailed_at is not None
    stored = [str(v) for v in PortalLink.objects.values().get().values()]
    assert token not in stored
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["rowan.client@test.example"] and _url(token) in mail.body
    assert "PHQ" not in mail.subject + mail.body and "depress" not in mail.body.lower()  # no clinical detail
    assert AuditEvent.objects.filter(action="measure.assign", object_id=str(link.pk)).exists()
    assert AuditEvent.objects.filter(
        action="measure.link_mailed", object_id=str(link.pk), outcome="success"
    ).exists()


def test_the_questionnaire_page_is_a_plain_phone_form_without_staff_navigation(token):
    reply = HttpClient().get(_url(token))
    assert reply.status_code == 200
    page = reply.content.decode()
    assert 'name="viewport"' in page and page.count("<fieldset") == 10
    assert 'aria-label="Main"' not in page and "Caseload" not in page and "Rowan" not in page
    assert 'value="save"' in page and 'value="submit"' in page
    assert AuditEvent.objects.filter(action="measure.portal_open").exists()


def test_submitting_stores_a_portal_response_and_uses_up_the_link(world, token):
    http = HttpClient()
    reply = http.post(_url(token), {**phq9_post(base=1), "action": "submit"}, REMOTE_ADDR="203.0.113.9")
    assert reply.status_code == 302 and reply["Location"] == "/q/done/"
    response = Response.objects.get()
    assert response.source == "portal" and response.recorded_by is None and response.total == 8
    link = PortalLink.objects.get()
    assert link.used_at is not None and link.response == response
    submitted = AuditEvent.objects.get(action="measure.portal_submit")
    assert submitted.source_ip == "203.0.113.9" and submitted.actor_id is None
    assert submitted.organization_id == world.org_a.pk


def test_a_used_link_gives_the_closed_page_with_no_data_and_is_audited_as_denied(world, token):
    http = HttpClient()
    http.post(_url(token), {**phq9_post(), "action": "submit"})
    for reply in (http.get(_url(token)), http.post(_url(token), {**phq9_post(base=3), "action": "submit"})):
        assert reply.status_code == 404
        page = reply.content.decode()
        assert "This link cannot be used" in page and "<fieldset" not in page and "PHQ" not in page
    assert Response.objects.count() == 1
    denied = AuditEvent.objects.filter(action="measure.portal_denied")
    assert denied.count() == 2 and {e.detail["reason"] for e in denied} == {"used"}
    assert all(e.outcome == "denied" and e.client_id == world.clients["rowan"].pk for e in denied)
    with pytest.raises(LinkClosed, match="used"):
        portal_submit(token, phq9(), None)


def test_an_expired_link_is_refused_and_audited(token):
    link = PortalLink.objects.get()
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        reply = HttpClient().post(_url(token), {**phq9_post(), "action": "submit"})
        assert reply.status_code == 404 and b"This link cannot be used" in reply.content
        with pytest.raises(LinkClosed, match="expired"):
            portal_answers_save(token, {"phq9_1": 1})
    assert not Response.objects.exists()
    assert [e.detail["reason"] for e in AuditEvent.objects.filter(action="measure.portal_denied")] == [
        "expired",
        "expired",
    ]
    with time_machine.travel(link.expires_at - timedelta(minutes=1)):
        assert HttpClient().get(_url(token)).status_code == 200


@pytest.mark.parametrize("bad", ["no-such-link", "x" * 43, "x" * 500])
def test_an_unknown_token_is_the_same_closed_page_and_audited(world, bad):
    reply = HttpClient().get(_url(bad))
    assert reply.status_code == 404 and b"This link cannot be used" in reply.content
    event = AuditEvent.objects.get(action="measure.portal_denied")
    assert event.detail == {"reason": "unknown"} and event.client_id is None


def test_saving_keeps_partial_answers_and_the_same_link_resumes_them(token):
    http = HttpClient()
    reply = http.post(_url(token), {"phq9_1": "2", "phq9_2": "3", "phq9_7": "9", "action": "save"})
    assert reply.status_code == 302 and reply["Location"] == _url(token)
    link = PortalLink.objects.get()
    assert link.partial_answers == {"phq9_1": 2, "phq9_2": 3}  # the out-of-range 9 is not kept
    assert link.used_at is None and not Response.objects.exists()
    page = HttpClient().get(_url(token)).content.decode()  # another device, same link
    assert re.search(r'name="phq9_1" value="2"[^>]*checked', page)
    assert re.search(r'name="phq9_2" value="3"[^>]*checked', page)
    assert AuditEvent.objects.filter(action="measure.portal_save").get().detail == {"answered": 2, "of": 10}


def test_an_incomplete_submission_names_the_questions_and_keeps_the_answers(token):
    post = {**phq9_post(base=1), "action": "submit"}
    del post["phq9_5"]
    reply = HttpClient().post(_url(token), post)
    assert reply.status_code == 200
    page = reply.content.decode()
    assert "Question 5 has no answer." in page
    assert re.search(r'name="phq9_4" value="1"[^>]*checked', page)
    link = PortalLink.objects.get()
    assert (
        link.used_at is None and link.partial_answers["phq9_4"] == 1 and "phq9_5" not in link.partial_answers
    )
    assert not Response.objects.exists()


def test_saved_answers_that_raise_a_safety_flag_open_a_task_even_if_the_client_never_returns(world, token):
    portal_answers_save(token, {"phq9_9": 3})
    task = SafetyTask.objects.get()
    assert task.source == "portal" and task.response is None and task.evidence == {"phq9_9": 3}
    with pytest.raises(IncompleteResponse) as caught:  # a later incomplete submit does not duplicate it
        portal_submit(token, {"phq9_9": 3, "phq9_1": 0}, None)
    assert caught.value.safety_tasks == [task] and SafetyTask.objects.count() == 1
    response = portal_submit(token, phq9(item9=3), None)  # and the complete one attaches to it
    task.refresh_from_db()
    assert task.response == response


def test_staff_send_page_creates_a_link_shown_once(
    world, rowan, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = as_user("toby").post(f"/measures/clients/{rowan.pk}/send/", {"instrument": "gad7"})
    assert reply.status_code == 200
    link = PortalLink.objects.get()
    match = re.search(r"/q/([A-Za-z0-9_-]{40,})/", reply.content.decode())
    assert match and sha256(match.group(1)) == link.token_hash
    assert link.instrument_id == "gad7" and len(mailoutbox) == 1


@pytest.mark.parametrize("name", ["sam", "tamsin", "olive", "avery"])
def test_only_recorders_on_the_team_may_send_links(world, rowan, as_user, name):
    reply = as_user(name).post(f"/measures/clients/{rowan.pk}/send/", {"instrument": "phq9"})
    assert reply.status_code == 404 and not PortalLink.objects.exists()


def test_a_link_for_a_client_without_email_is_created_but_not_mailed(
    world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    harper = world.clients["harper"]
    with django_capture_on_commit_callbacks(execute=True):
        reply = as_user("tamsin").post(f"/measures/clients/{harper.pk}/send/", {"instrument": "phq9"})
    assert b"no email address on file" in reply.content
    assert PortalLink.objects.get().mail_key == "" and not mailoutbox


def test_link_lifetime_follows_the_setting(world, rowan, settings):
    settings.KAPSTONE_PORTAL_LINK_DAYS = 2
    link, _ = portal_link_create(actor(world, "theo"), rowan, "phq9", mail=False)
    assert timedelta(days=2) - (link.expires_at - timezone.now()) < timedelta(seconds=5)


def test_a_link_whose_instrument_is_no_longer_installed_is_closed(token):
    PortalLink.objects.update(instrument_id="retired_scale")
    assert HttpClient().get(_url(token)).status_code == 404
    with pytest.raises(LinkClosed, match="instrument not installed"):
        portal_submit(token, phq9(), None)
    reasons = [e.detail["reason"] for e in AuditEvent.objects.filter(action="measure.portal_denied")]
    assert reasons == ["instrument not installed", "instrument not installed"]
