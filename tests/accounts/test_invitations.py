"""Invitations: an org admin invites by email; the link grants the role once, and only for a while."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient

from kapstone.accounts.models import Invitation, Membership, User
from kapstone.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(?P<url>\S+/accounts/invitation/(?P<token>[A-Za-z0-9_-]+)/)")
T0 = datetime.fromtimestamp(int(time.time()), tz=UTC)


def invite(http: HttpClient, capture: object, email: str, role: str = "therapist") -> object:
    with capture(execute=True):  # the mail goes out when the invitation commits
        return http.post("/accounts/members/", {"email": email, "role": role}, follow=True)


def token_from(mail: object) -> str:
    match = LINK.search(mail.body)  # type: ignore[attr-defined]
    assert match, mail.body  # type: ignore[attr-defined]
    assert match["url"] == f"{settings.SITE_URL}/accounts/invitation/{match['token']}/"
    return match["token"]


def test_an_org_admin_invites_by_email_and_a_real_mail_carries_the_link(
    world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(as_user("avery"), django_capture_on_commit_callbacks, "Nova.New@Test.example")
    assert response.redirect_chain == [("/accounts/members/", 302)]
    assert b"Invitation sent to Nova.New@Test.example." in response.content

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nova.new@test.example"]
    assert mail.subject == "You are invited to Larkspur Test Clinic on Kapstone"
    assert "Avery Test invited you to join Larkspur Test Clinic as Therapist." in mail.body
    token = token_from(mail)

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.organization_id) == (
        "nova.new@test.example",
        "therapist",
        world.org_a.pk,
    )
    assert invitation.invited_by_id == world.users["avery"].pk
    # Only a hash of the token is stored, so a database reader cannot accept the invitation.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    event = AuditEvent.objects.get(action="member.invite")
    assert event.detail == {"email": "nova.new@test.example", "role": "therapist"}
    assert token not in str(event.detail)


def test_accepting_creates_the_account_with_the_membership_and_the_link_works_once(
    world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    invite(as_user("avery"), django_capture_on_commit_callbacks, "nova@test.example", role="prescriber")
    link = f"/accounts/invitation/{token_from(mailoutbox[0])}/"
    visitor = HttpClient()

    page = visitor.get(link)
    assert page.status_code == 200
    assert b"Join Larkspur Test Clinic" in page.content
    assert b"Prescriber" in page.content

    weak = visitor.post(link, {"full_name": "Nova Newcomer", "password": "short1"})
    assert weak.status_code == 200
    assert b"This password is too short. It must contain at least 12 characters." in weak.content
    assert b'value="Nova Newcomer"' in weak.content  # the typed name is kept
    common = visitor.post(link, {"full_name": "Nova Newcomer", "password": "password1234"})
    assert b"This password is too common." in common.content
    assert not User.objects.filter(email="nova@test.example").exists()
    assert Invitation.objects.get().accepted_at is None

    response = visitor.post(
        link, {"full_name": "Nova Newcomer", "password": "a long and quiet river 7"}, follow=True
    )
    assert response.redirect_chain == [("/accounts/sign-in/", 302)]
    assert b"Welcome to Larkspur Test Clinic. Sign in to continue." in response.content
    nova = User.objects.get(email="nova@test.example")
    assert nova.full_name == "Nova Newcomer"
    assert nova.is_staff_member
    assert nova.check_password("a long and quiet river 7")
    grant = Membership.objects.get(user=nova)
    assert (grant.organization_id, grant.role, grant.is_active) == (world.org_a.pk, "prescriber", True)
    assert Invitation.objects.get().accepted_at is not None
    event = AuditEvent.objects.get(action="member.role_granted")
    assert (event.actor_id, event.organization_id, event.object_id) == (
        nova.pk,
        world.org_a.pk,
        str(grant.pk),
    )

    # Single use: the link now shows the closed page and grants nothing.
    again = HttpClient()
    closed = again.get(link)
    assert closed.status_code == 404
    assert b"This invitation cannot be used" in closed.content
    assert (
        again.post(link, {"full_name": "Mallory", "password": "another long passphrase 9"}).status_code == 404
    )
    assert Membership.objects.filter(user=nova).count() == 1
    assert not User.objects.filter(full_name="Mallory").exists()

    # The new staff member signs in and is asked to set up the second step.
    signed = HttpClient().post(
        "/accounts/sign-in/", {"email": "nova@test.example", "password": "a long and quiet river 7"}
    )
    assert signed["Location"] == "/accounts/sign-in/set-up-mfa/"


def test_an_existing_account_accepts_without_a_new_password_and_keeps_its_own(
    world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    invite(as_user("avery"), django_capture_on_commit_callbacks, "olive@test.example")
    link = f"/accounts/invitation/{token_from(mailoutbox[0])}/"
    response = HttpClient().post(link, {"full_name": "Someone Else", "password": ""})
    assert response.status_code == 302
    olive = User.objects.get(email="olive@test.example")
    assert olive.full_name == "Olive Test"
    assert olive.check_password(world.password)
    assert set(Membership.objects.filter(user=olive).values_list("organization_id", "role")) == {
        (world.org_b.pk, "therapist"),
        (world.org_a.pk, "therapist"),
    }


def test_an_invitation_expires(world, as_user, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        invite(as_user("avery"), django_capture_on_commit_callbacks, "late@test.example")
    link = f"/accounts/invitation/{token_from(mailoutbox[0])}/"
    days = settings.KAPSTONE_INVITATION_DAYS
    with time_machine.travel(T0 + timedelta(days=days) - timedelta(minutes=1), tick=False):
        assert HttpClient().get(link).status_code == 200
    with time_machine.travel(T0 + timedelta(days=days, minutes=1), tick=False):
        visitor = HttpClient()
        assert visitor.get(link).status_code == 404
        response = visitor.post(link, {"full_name": "Late Comer", "password": "a long and quiet river 7"})
    assert response.status_code == 404
    assert b"This invitation cannot be used" in response.content
    assert not User.objects.filter(email="late@test.example").exists()
    assert Invitation.objects.get().accepted_at is None


def test_inviting_someone_who_already_holds_the_role_is_refused_and_sends_nothing(
    world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(as_user("avery"), django_capture_on_commit_callbacks, "theo@test.example")
    assert response.status_code == 200
    assert b"This person already holds that role here." in response.content
    assert b'value="theo@test.example"' in response.content
    assert mailoutbox == []
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("name", ["tamsin", "priya", "sam", "olive"])
def test_staff_who_are_not_org_admins_cannot_invite(
    world, as_user, name, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(
        as_user(name), django_capture_on_commit_callbacks, "friend@test.example", role="org_admin"
    )
    assert response.status_code == 404
    assert mailoutbox == []
    assert not Invitation.objects.exists()
    denied = AuditEvent.objects.get(actor_id=world.users[name].pk, outcome="denied")
    assert denied.action == "member.view"


def test_an_unknown_token_shows_the_closed_page(db):
    response = HttpClient().get("/accounts/invitation/not-a-real-token/")
    assert response.status_code == 404
    assert b"This invitation cannot be used" in response.content


def test_an_overlong_email_is_refused_with_a_message(
    world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.org"
    response = invite(as_user("avery"), django_capture_on_commit_callbacks, email)
    assert response.status_code == 200
    assert b"Ensure this value has at most 254 characters (it has 259)." in response.content
    assert not Invitation.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_client_portal_address_cannot_be_invited_as_staff(world, as_user, mailoutbox):
    response = as_user("avery").post(
        "/accounts/members/", {"email": "rowan@test.example", "role": "therapist"}
    )
    assert response.status_code == 200
    assert b"This address cannot be invited as staff" in response.content
    assert b'value="rowan@test.example"' in response.content
    assert not Invitation.objects.filter(email="rowan@test.example").exists()
    assert mailoutbox == []
