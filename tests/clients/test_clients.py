"""The client record over HTTP: create, edit with a version, scoped reads, search, and htmx fragments."""

from __future__ import annotations

import pytest

from kapstone.audit.models import AuditEvent
from kapstone.clients.models import CareTeamMember, Client

pytestmark = pytest.mark.django_db


def edit_data(http: object, client: Client, **changes: str) -> dict[str, object]:
    """The edit form as the browser would send it: the fields as shown, with the person's changes."""
    form = http.get(f"/clients/{client.pk}/edit/").context["form"]  # type: ignore[attr-defined]
    return {
        **{
            name: "" if value is None else value
            for name, value in form.initial.items()
            if name in form.fields
        },
        **changes,
    }


def snapshot(client: Client) -> dict[str, object]:
    client.refresh_from_db()
    return {f.attname: getattr(client, f.attname) for f in Client._meta.concrete_fields}


# --- Create --------------------------------------------------------------------------------------------


def test_a_therapist_creates_a_client_and_joins_its_care_team(world, as_user):
    theo = as_user("theo")
    assert theo.get("/clients/new/").status_code == 200
    response = theo.post(
        "/clients/new/",
        {
            "given_name": "Quinn",
            "family_name": "Madeup",
            "pronouns": "he/him",
            "date_of_birth": "1990-04-01",
            "organization": world.org_b.pk,
            "version": 99,  # not fields of the form: the server decides
        },
        follow=True,
    )
    quinn = Client.objects.get(given_name="Quinn")
    assert response.redirect_chain == [(f"/clients/{quinn.pk}/", 302)]
    assert b"Quinn Madeup was added." in response.content
    assert quinn.organization_id == world.org_a.pk
    assert quinn.version == 1
    assert str(quinn.date_of_birth) == "1990-04-01"
    assert list(CareTeamMember.objects.filter(client=quinn).values_list("user_id", "team_role")) == [
        (world.users["theo"].pk, "therapist")
    ]
    event = AuditEvent.objects.get(action="client.create")
    assert (event.actor_id, event.organization_id, event.client_id) == (
        world.users["theo"].pk,
        world.org_a.pk,
        quinn.pk,
    )
    # Colleagues outside the new care team do not see the new client.
    assert as_user("tamsin").get(f"/clients/{quinn.pk}/").status_code == 404


def test_an_invalid_date_keeps_every_other_typed_field_and_writes_nothing(world, as_user):
    response = as_user("theo").post(
        "/clients/new/",
        {
            "given_name": "Quinn",
            "family_name": "Madeup",
            "pronouns": "he/him",
            "date_of_birth": "1990-02-31",
            "email": "quinn@example.org",
        },
    )
    assert response.status_code == 200
    assert b"Enter a valid date." in response.content
    assert b"Please correct the fields marked below. What you typed is kept." in response.content
    for typed in (
        b'value="Quinn"',
        b'value="Madeup"',
        b'value="he/him"',
        b'value="quinn@example.org"',
        b'value="1990-02-31"',
    ):
        assert typed in response.content
    assert not Client.objects.filter(given_name="Quinn").exists()
    assert not AuditEvent.objects.filter(action="client.create").exists()


def test_an_org_admin_creates_a_client_without_joining_the_care_team(world, as_user):
    avery = as_user("avery")
    response = avery.post("/clients/new/", {"given_name": "Morgan", "family_name": "Sampleton"})
    morgan = Client.objects.get(given_name="Morgan")
    assert response["Location"] == "/clients/"
    assert not CareTeamMember.objects.filter(client=morgan).exists()
    assert avery.get(f"/clients/{morgan.pk}/").status_code == 404


@pytest.mark.parametrize("name", ["sam", "toby"])
def test_supervisors_and_trainees_cannot_create_clients(world, as_user, name):
    http = as_user(name)
    assert http.get("/clients/new/").status_code == 404
    assert http.post("/clients/new/", {"given_name": "Nope", "family_name": "Nope"}).status_code == 404
    assert not Client.objects.filter(given_name="Nope").exists()
    assert (
        AuditEvent.objects.filter(
            actor_id=world.users[name].pk, action="client.create", outcome="denied"
        ).count()
        == 2
    )


# --- Edit with a version -----------------------------------------------------------------------------------


def test_an_edit_with_the_current_version_is_saved_and_bumps_the_version(world, as_user):
    rowan = world.clients["rowan"]
    theo = as_user("theo")
    data = edit_data(theo, rowan, pronouns="ze/zir", preferred_name="Ro", organization=world.org_b.pk)
    assert data["version"] == 1
    response = theo.post(f"/clients/{rowan.pk}/edit/", data, follow=True)
    assert response.redirect_chain == [(f"/clients/{rowan.pk}/", 302)]
    assert b"Saved." in response.content
    stored = snapshot(rowan)
    assert (stored["pronouns"], stored["preferred_name"], stored["version"]) == ("ze/zir", "Ro", 2)
    assert stored["organization_id"] == world.org_a.pk
    writes = [e for e in AuditEvent.objects.filter(action="client.edit") if "fields" in e.detail]
    assert [e.detail for e in writes] == [{"fields": ["preferred_name", "pronouns"]}]


def test_a_stale_save_gets_409_shows_the_saved_version_keeps_the_typed_text_and_changes_nothing(
    world, as_user
):
    rowan = world.clients["rowan"]
    theo, priya = as_user("theo"), as_user("priya")
    theo_form = edit_data(theo, rowan, phone="+1 555 0100", pronouns="they/them (typed by Theo)")
    priya_form = edit_data(priya, rowan, pronouns="she/her")
    assert theo_form["version"] == priya_form["version"] == 1

    assert priya.post(f"/clients/{rowan.pk}/edit/", priya_form).status_code == 302
    saved = snapshot(rowan)
    assert (saved["pronouns"], saved["version"]) == ("she/her", 2)

    response = theo.post(f"/clients/{rowan.pk}/edit/", theo_form)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This record was changed by someone else since you opened it." in html
    assert "Saved version (version 2)" in html
    assert "<dt>Pronouns</dt><dd>she/her</dd>" in html
    assert 'value="they/them (typed by Theo)"' in html  # what Theo typed is still in the form
    assert 'value="+1 555 0100"' in html
    assert snapshot(rowan) == saved  # nothing of Theo's was written
    writers = [e.actor_id for e in AuditEvent.objects.filter(action="client.edit") if "fields" in e.detail]
    assert writers == [world.users["priya"].pk]


def test_a_save_without_a_version_is_refused_as_stale(world, as_user):
    rowan = world.clients["rowan"]
    theo = as_user("theo")
    data = edit_data(theo, rowan, pronouns="xe/xem")
    del data["version"]
    assert theo.post(f"/clients/{rowan.pk}/edit/", data).status_code == 409
    assert snapshot(rowan)["pronouns"] == ""


def test_an_invalid_edit_keeps_the_typed_fields_and_changes_nothing(world, as_user):
    rowan = world.clients["rowan"]
    before = snapshot(rowan)
    theo = as_user("theo")
    response = theo.post(
        f"/clients/{rowan.pk}/edit/",
        edit_data(theo, rowan, pronouns="ze/zir", email="not an email", date_of_birth="yesterday"),
    )
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content
    assert b"Enter a valid date." in response.content
    assert b'value="ze/zir"' in response.content
    assert snapshot(rowan) == before


# --- Who may open what --------------------------------------------------------------------------------------


def test_another_therapist_gets_404_on_rowan_and_the_attempt_is_audited_with_rowans_id(world, as_user):
    rowan = world.clients["rowan"]
    before = snapshot(rowan)
    tamsin = as_user("tamsin")
    pages = [f"/clients/{rowan.pk}/", f"/clients/{rowan.pk}/edit/", f"/clients/{rowan.pk}/care-team/"]
    for path in pages:
        response = tamsin.get(path)
        assert response.status_code == 404, path
        assert b"Rowan" not in response.content
    edit = tamsin.post(
        f"/clients/{rowan.pk}/edit/", {"given_name": "Hacked", "family_name": "X", "version": 1}
    )
    assert edit.status_code == 404
    assert snapshot(rowan) == before
    denied = AuditEvent.objects.filter(actor_id=world.users["tamsin"].pk, outcome="denied").order_by("id")
    assert [(e.action, e.client_id, e.object_id) for e in denied] == [
        ("client.view", rowan.pk, str(rowan.pk)),
        ("client.edit", rowan.pk, str(rowan.pk)),
        ("careteam.manage", rowan.pk, str(rowan.pk)),
        ("client.edit", rowan.pk, str(rowan.pk)),
    ]
    assert all(e.organization_id == world.org_a.pk for e in denied)


@pytest.mark.parametrize(("name", "client"), [("olive", "rowan"), ("theo", "oona"), ("olive", "harper")])
def test_another_organization_gets_404(world, as_user, name, client):
    target = world.clients[client]
    http = as_user(name)
    assert http.get(f"/clients/{target.pk}/").status_code == 404
    assert http.get(f"/clients/{target.pk}/edit/").status_code == 404
    assert target.given_name.encode() not in http.get("/clients/").content
    assert http.get("/clients/", {"q": target.given_name}).context["clients"] == []
    denied = AuditEvent.objects.filter(actor_id=world.users[name].pk, outcome="denied")
    assert {e.client_id for e in denied} == {target.pk}


def test_a_missing_client_gives_the_same_404(world, as_user):
    response = as_user("theo").get("/clients/999999/")
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="client.view", outcome="denied")
    assert (event.object_id, event.client_id) == ("999999", None)


def test_the_org_admin_lists_clients_but_cannot_open_one(world, as_user):
    avery = as_user("avery")
    listing = avery.get("/clients/")
    assert listing.status_code == 200
    assert [c.given_name for c in listing.context["clients"]] == ["Rowan", "Harper"]  # by family name
    assert b"Oona" not in listing.content
    rowan = world.clients["rowan"]
    assert (
        f'href="/clients/{rowan.pk}/"'.encode() not in listing.content
    )  # no link to a page they cannot open
    for path in (f"/clients/{rowan.pk}/", f"/clients/{rowan.pk}/edit/"):
        assert avery.get(path).status_code == 404
    denied = AuditEvent.objects.filter(actor_id=world.users["avery"].pk, outcome="denied").order_by("id")
    assert [e.action for e in denied] == ["client.view", "client.edit"]


def test_a_therapist_lists_only_their_care_team_clients(world, as_user):
    assert [c.given_name for c in as_user("theo").get("/clients/").context["clients"]] == ["Rowan"]
    assert [c.given_name for c in as_user("tamsin").get("/clients/").context["clients"]] == ["Harper"]
    assert [c.given_name for c in as_user("olive").get("/clients/").context["clients"]] == ["Oona"]


def test_search_by_name(world, as_user):
    avery = as_user("avery")
    assert [c.given_name for c in avery.get("/clients/", {"q": "row"}).context["clients"]] == ["Rowan"]
    assert [c.given_name for c in avery.get("/clients/", {"q": "NOTREAL"}).context["clients"]] == ["Harper"]
    empty = avery.get("/clients/", {"q": "zzz"})
    assert empty.context["clients"] == []
    assert "No clients match “zzz”.".encode() in empty.content
    event = AuditEvent.objects.filter(action="client.list").order_by("id").last()
    assert event.detail == {"count": 0, "search": True}  # the search text (a name) is not logged
    # A therapist's search stays inside their care team.
    assert as_user("theo").get("/clients/", {"q": "harper"}).context["clients"] == []


def test_an_htmx_request_gets_only_the_rows_fragment(world, as_user):
    theo = as_user("theo")
    full = theo.get("/clients/", {"q": "row"})
    assert b"<html" in full.content
    fragment = theo.get("/clients/", {"q": "row"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith("<table")
    assert "<html" not in html
    assert "<h1>" not in html
    assert 'id="client-search"' not in html
    assert "Rowan Fictional" in html
    assert fragment["Cache-Control"] == "no-store"
