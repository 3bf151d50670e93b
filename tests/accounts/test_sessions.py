"""Session lifecycle: idle timeout, absolute lifetime, and ending a deactivated member's sessions."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from tests.security.battery_kit import t14

from kapstone.accounts.models import Membership, Organization, Role, User, UserSession
from kapstone.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in/"
T0 = datetime.fromtimestamp(int(time.time()), tz=UTC)
IDLE_MESSAGE = b"You were signed out after a period without activity. Please sign in again."


def session_key(http: object) -> str:
    return http.cookies[settings.SESSION_COOKIE_NAME].value  # type: ignore[attr-defined]


def membership(world: object, name: str) -> Membership:
    return Membership.objects.get(user=world.users[name])  # type: ignore[attr-defined]


def test_the_defaults_are_15_minutes_idle_and_12_hours_absolute():
    assert settings.KAPSTONE_SESSION_IDLE_SECONDS == 15 * 60
    assert settings.KAPSTONE_SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_an_idle_session_ends_after_15_minutes_and_is_audited(world, as_user, battery):
    theo = world.users["theo"]
    with time_machine.travel(T0, tick=False) as clock:
        http = as_user("theo")
        key = session_key(http)
        # Activity keeps the session alive well past 15 minutes in all.
        for _ in range(3):
            clock.shift(timedelta(minutes=14))
            assert http.get("/dashboard/").status_code == 200
        clock.shift(timedelta(seconds=settings.KAPSTONE_SESSION_IDLE_SECONDS + 1))
        response = http.get(f"/clients/{world.clients['rowan'].pk}/")
        assert response.status_code == 302
        assert response["Location"] == f"{SIGN_IN}?next=/clients/{world.clients['rowan'].pk}/"
        page = http.get(response["Location"])
    ended = response.status_code == 302 and not Session.objects.filter(session_key=key).exists()
    t14(battery, expiries=1, enforced=int(ended))
    assert page.status_code == 200
    assert IDLE_MESSAGE in page.content
    # Stored: the session is gone on the server, and the expiry is audited (no client read happened).
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=theo).exists()
    event = AuditEvent.objects.get(action="auth.session_expired_idle")
    assert (event.actor_id, event.outcome) == (theo.pk, "success")
    assert not AuditEvent.objects.filter(action="client.view").exists()
    assert not AuditEvent.objects.filter(action="auth.session_expired_absolute").exists()


def test_a_busy_session_still_ends_after_12_hours_and_is_audited(world, as_user, battery):
    theo = world.users["theo"]
    with time_machine.travel(T0, tick=False) as clock:
        http = as_user("theo")
        key = session_key(http)
        elapsed = 0
        step = 14 * 60  # always active: never idle for 15 minutes
        while elapsed + step <= settings.KAPSTONE_SESSION_ABSOLUTE_SECONDS:
            clock.shift(step)
            elapsed += step
            assert http.get("/dashboard/").status_code == 200, f"signed out early after {elapsed} s"
        clock.shift(step)
        response = http.get("/dashboard/")
        assert response.status_code == 302
        assert response["Location"] == f"{SIGN_IN}?next=/dashboard/"
        page = http.get(response["Location"])
    ended = response.status_code == 302 and not Session.objects.filter(session_key=key).exists()
    t14(battery, expiries=1, enforced=int(ended))
    assert b"Sessions last at most 12 hours. Please sign in again." in page.content
    assert not Session.objects.filter(session_key=key).exists()
    event = AuditEvent.objects.get(action="auth.session_expired_absolute")
    assert event.actor_id == theo.pk
    assert not AuditEvent.objects.filter(action="auth.session_expired_idle").exists()


def test_deactivating_a_member_ends_their_sessions_and_is_audited(world, as_user, battery):
    theo = world.users["theo"]
    theo_laptop, theo_phone = as_user("theo"), as_user("theo")
    tamsin = as_user("tamsin")
    keys = [session_key(theo_laptop), session_key(theo_phone)]
    avery = as_user("avery")
    target = membership(world, "theo")

    page = avery.get("/accounts/members/")
    assert page.status_code == 200
    assert f"/accounts/members/{target.pk}/active/".encode() in page.content

    response = avery.post(f"/accounts/members/{target.pk}/active/", {"active": "0"}, follow=True)
    assert response.redirect_chain == [("/accounts/members/", 302)]
    assert b"Theo Test is now deactivated as Therapist." in response.content

    target.refresh_from_db()
    alive = Session.objects.filter(session_key__in=keys).count()
    alive += sum(http.get("/dashboard/").status_code == 200 for http in (theo_laptop, theo_phone))
    t14(battery, alive_after_deactivation=alive)
    assert target.is_active is False
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=theo).exists()
    for http in (theo_laptop, theo_phone):
        response = http.get("/dashboard/")
        assert response.status_code == 302
        assert response["Location"] == f"{SIGN_IN}?next=/dashboard/"
    assert tamsin.get("/dashboard/").status_code == 200  # nobody else is signed out

    event = AuditEvent.objects.get(action="member.deactivated")
    assert event.actor_id == world.users["avery"].pk
    assert event.organization_id == world.org_a.pk
    assert event.role == "org_admin"
    assert (event.object_type, event.object_id) == ("membership", str(target.pk))
    assert event.detail == {"user": "theo@test.example", "role": "therapist", "sessions_ended": 2}

    # Signed in again, the deactivated therapist reaches no client.
    again = as_user("theo")
    assert again.get(f"/clients/{world.clients['rowan'].pk}/").status_code == 404
    assert b"not an active member of any organization" in again.get("/dashboard/").content

    response = avery.post(f"/accounts/members/{target.pk}/active/", {"active": "1"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active is True
    assert AuditEvent.objects.filter(action="member.activated", object_id=str(target.pk)).count() == 1


def test_an_org_admin_cannot_deactivate_themselves(world, as_user):
    avery = as_user("avery")
    own = membership(world, "avery")
    response = avery.post(f"/accounts/members/{own.pk}/active/", {"active": "0"}, follow=True)
    assert b"You cannot deactivate your own membership." in response.content
    own.refresh_from_db()
    assert own.is_active is True
    assert not AuditEvent.objects.filter(action="member.deactivated").exists()
    assert avery.get("/accounts/members/").status_code == 200


def test_an_admin_of_another_organization_gets_404_on_a_member(world, as_user):
    olga = User.objects.create_user("olga@test.example", world.password, full_name="Olga Test")
    Membership.objects.create(user=olga, organization=world.org_b, role=Role.ORG_ADMIN)
    world.users["olga"] = olga
    theo_http, olga_http = as_user("theo"), as_user("olga")
    target = membership(world, "theo")

    response = olga_http.post(f"/accounts/members/{target.pk}/active/", {"active": "0"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active is True
    assert theo_http.get("/dashboard/").status_code == 200
    assert not AuditEvent.objects.filter(action="member.deactivated").exists()
    # Olga's members page lists only Otherbrook.
    page = olga_http.get("/accounts/members/")
    assert page.status_code == 200
    assert b"theo@test.example" not in page.content
    assert b"olive@test.example" in page.content
    assert Organization.objects.count() == 2


@pytest.mark.parametrize("name", ["tamsin", "priya", "sam", "toby", "olive"])
def test_staff_who_are_not_org_admins_get_404_on_the_members_pages_and_it_is_audited(world, as_user, name):
    http = as_user(name)
    target = membership(world, "theo")
    assert http.get("/accounts/members/").status_code == 404
    assert http.post(f"/accounts/members/{target.pk}/active/", {"active": "0"}).status_code == 404
    target.refresh_from_db()
    assert target.is_active is True
    denied = AuditEvent.objects.filter(actor_id=world.users[name].pk, outcome="denied").order_by("id")
    assert [e.action for e in denied] == ["member.view", "member.manage"]
    assert denied[0].detail == {"path": "/accounts/members/"}
