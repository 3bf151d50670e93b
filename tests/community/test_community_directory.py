"""The referral directory: public search, verified credentials, referrals carrying only consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from community_helpers import actor, listing_for
from django.test import Client as HttpClient
from django.urls import reverse
from tests.conftest import signed_in_client

from kapstone.audit.models import AuditEvent
from kapstone.community import directory_services as svc
from kapstone.community.directory_selectors import DirectoryFilters, directory_search, parse_filters
from kapstone.community.hooks import CredentialClaim, register_credential_source, unregister_credential_source
from kapstone.community.models import Listing, Referral
from kapstone.core.contract import NotYours, Refused

CERT = "Kapstone Certificate in KAP (Foundations)"


@pytest.fixture
def certificates(world: Any) -> Iterator[dict[int, str]]:
    """A stand-in credentials source: user id -> status of their one certificate."""
    held: dict[int, str] = {}

    def source(user_id: int) -> list[CredentialClaim]:
        if user_id not in held:
            return []
        return [
            CredentialClaim(
                CERT,
                "Larkspur Test Clinic",
                dt.date(2026, 5, 1),
                held[user_id],
                f"https://example.test/verify/{user_id}",
            )
        ]

    register_credential_source(source)
    yield held
    unregister_credential_source(source)


def test_public_search_filters_by_route_modality_state_and_shows_only_opted_in(world: Any) -> None:
    listing_for(world, "theo")
    listing_for(world, "tamsin", state="OR", city="Portland", routes=["iv"], modalities=["emdr"])
    listing_for(world, "priya", opted_in=False)
    page = HttpClient().get(reverse("directory:search"), {"route": "im", "modality": "ifs", "state": "CO"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Theo Test, LMFT" in body
    assert "Tamsin Test" not in body and "Priya Test" not in body  # other filters; not opted in
    rows, _ = directory_search(parse_filters({"route": "iv"}))
    assert [r.display_name for r in rows] == ["Tamsin Test, LMFT"]
    rows, _ = directory_search(parse_filters({"q": "denver lmft", "telehealth": "yes", "accepting": "yes"}))
    assert [r.display_name for r in rows] == ["Theo Test, LMFT"]


def test_unknown_filter_values_are_dropped_with_the_reason_shown(world: Any) -> None:
    filters = parse_filters({"state": "ZZ", "route": "<script>", "telehealth": "maybe", "page": "-3"})
    assert filters == DirectoryFilters(problems=filters.problems)
    assert len(filters.problems) == 3
    page = HttpClient().get(reverse("directory:search"), {"route": "<script>alert(1)</script>"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "is not a route we list" in body and "<script>alert" not in body


def test_a_listing_claiming_a_certificate_it_does_not_hold_is_refused(world: Any, certificates: Any) -> None:
    with pytest.raises(Refused, match="No certificate titled"):
        listing_for(world, "theo", certificate_title=CERT)
    assert not Listing.objects.exists()
    certificates[world.users["theo"].pk] = "revoked"
    with pytest.raises(Refused, match="is revoked"):
        listing_for(world, "theo", certificate_title=CERT)
    # Through the page: the typed text stays, the reason is shown.
    http = signed_in_client(world.users["theo"])
    page = http.post(
        reverse("community:listing_edit"),
        {"kind": "practitioner", "display_name": "Theo T", "state": "CO", "certificate_title": CERT},
    )
    assert page.status_code == 400
    assert "is revoked" in page.content.decode() and 'value="Theo T"' in page.content.decode()


def test_verified_certificate_is_reread_at_view_time(world: Any, certificates: Any) -> None:
    certificates[world.users["theo"].pk] = "active"
    listing = listing_for(world, "theo", certificate_title=CERT)
    url = reverse("directory:search")
    assert f"Verified certificate: {CERT}" in HttpClient().get(url).content.decode()
    certificates[world.users["theo"].pk] = "revoked"  # revoked after listing: no longer shown
    assert "Verified certificate" not in HttpClient().get(url).content.decode()
    detail = HttpClient().get(reverse("directory:listing", args=[listing.pk])).content.decode()
    assert "Nothing verified yet" in detail


def test_admin_attests_a_licence_of_their_own_organization_only(world: Any) -> None:
    listing = listing_for(world, "theo")
    svc.listing_attest(
        actor(world, "avery"),
        listing_pk=listing.pk,
        licence_type="LMFT",
        licence_number="F-123",
        licence_state="co",
    )
    listing.refresh_from_db()
    assert listing.licence_attested_by == world.users["avery"] and listing.licence_state == "CO"
    olive_listing = listing_for(world, "olive")
    with pytest.raises(NotYours):
        svc.listing_attest(
            actor(world, "avery"),
            listing_pk=olive_listing.pk,
            licence_type="LMFT",
            licence_number="X",
            licence_state="CO",
        )
    assert AuditEvent.objects.filter(action="directory.attest", outcome="denied").exists()
    page = HttpClient().get(reverse("directory:listing", args=[listing.pk])).content.decode()
    assert "Licence attested" in page


def test_a_stale_listing_edit_is_refused(world: Any) -> None:
    from kapstone.core.contract import Stale

    listing_for(world, "theo")
    listing_for(world, "theo", expected_version=1, display_name="Theo v2")
    with pytest.raises(Stale):
        listing_for(world, "theo", expected_version=1, display_name="Theo lost")
    assert Listing.objects.get().display_name == "Theo v2"


def _refer(world: Any, **overrides: Any) -> Referral:
    target = Listing.objects.filter(user=world.users["olive"]).first() or listing_for(world, "olive")
    values: dict[str, Any] = {
        "client_pk": world.clients["rowan"].pk,
        "listing_pk": target.pk,
        "consent_elements": ["name", "reason"],
        "consent_channel": "in_person",
        "reason": "Ongoing integration after IM series.",
    }
    values.update(overrides)
    return svc.referral_send(actor(world, "theo"), **values)


def test_a_referral_carries_only_the_consented_elements_and_is_audited_at_both_ends(world: Any) -> None:
    rowan = world.clients["rowan"]
    rowan.email, rowan.phone = "rowan@example.test", "555-0100"
    rowan.save()
    referral = _refer(world)
    assert referral.shared == {"name": "Rowan Fictional", "reason": "Ongoing integration after IM series."}
    sent = AuditEvent.objects.get(action="referral.send")
    assert sent.client_id == rowan.pk and sent.organization_id == world.org_a.pk
    received = AuditEvent.objects.get(action="referral.received")
    assert received.organization_id == world.org_b.pk and received.client_id is None
    page = signed_in_client(world.users["olive"]).get(
        reverse("community:referral_detail", args=[referral.pk])
    )
    body = page.content.decode()
    assert page.status_code == 200 and "Rowan Fictional" in body and "555-0100" not in body


def test_a_reason_without_consent_to_share_it_is_refused(world: Any) -> None:
    with pytest.raises(Refused, match="did not consent"):
        _refer(world, consent_elements=["name"])
    with pytest.raises(Refused, match="consented to share"):
        _refer(world, consent_elements=[], reason="")
    assert not Referral.objects.exists()


def test_only_the_care_team_may_refer_and_only_the_receiver_decides(world: Any) -> None:
    target = listing_for(world, "olive")
    with pytest.raises(NotYours):  # Tamsin is not on Rowan's team
        svc.referral_send(
            actor(world, "tamsin"),
            client_pk=world.clients["rowan"].pk,
            listing_pk=target.pk,
            consent_elements=["name"],
            consent_channel="in_person",
        )
    referral = _refer(world)
    with pytest.raises(NotYours):
        svc.referral_decide(actor(world, "theo"), referral_pk=referral.pk, accept=True)
    svc.referral_decide(actor(world, "olive"), referral_pk=referral.pk, accept=False, note="No openings")
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.decision_note == "No openings"
    with pytest.raises(Refused, match="already answered"):
        svc.referral_decide(actor(world, "olive"), referral_pk=referral.pk, accept=True)
    assert AuditEvent.objects.filter(action="referral.answered", organization_id=world.org_a.pk).count() == 1


def test_referral_pages_round_trip_and_other_people_get_404(world: Any) -> None:
    target = listing_for(world, "olive")
    theo = signed_in_client(world.users["theo"])
    url = reverse("community:referral_new", args=[world.clients["rowan"].pk])
    refused = theo.post(
        url,
        {
            "listing": target.pk,
            "consent_elements": ["name"],
            "consent_channel": "in_person",
            "reason": "Keep me",
        },
    )
    assert refused.status_code == 400 and "Keep me" in refused.content.decode()
    sent = theo.post(
        url,
        {
            "listing": target.pk,
            "consent_elements": ["name", "reason"],
            "consent_channel": "in_person",
            "reason": "Keep me",
        },
    )
    referral = Referral.objects.get()
    assert sent.status_code == 302
    olive = signed_in_client(world.users["olive"])
    olive.post(reverse("community:referral_decide", args=[referral.pk]), {"decision": "accept"})
    referral.refresh_from_db()
    assert referral.status == "accepted"
    for name in ("tamsin", "priya"):
        page = signed_in_client(world.users[name]).get(
            reverse("community:referral_detail", args=[referral.pk])
        )
        assert page.status_code == 404
    assert AuditEvent.objects.filter(action="referral.view", outcome="denied").count() == 2


def test_the_demo_listings_are_fictional_and_one_shows_a_verified_certificate(
    world: Any, certificates: Any
) -> None:
    from kapstone.community.demo import bulk_listings, demo_listings

    certificates[world.users["theo"].pk] = "active"
    made = demo_listings(world.org_a, owner=world.users["theo"], certificate_title=CERT)
    body = (
        HttpClient()
        .get(reverse("directory:search"), {"route": "im", "modality": "ifs", "state": "CO"})
        .content.decode()
    )
    assert "Sage Example, LMFT" in body and f"Verified certificate: {CERT}" in body
    assert body.count("Verified certificate") == 1
    assert all("fictional" in m.bio.lower() for m in made)
    assert bulk_listings(world.org_b, 50) == 50
    assert Listing.objects.filter(organization=world.org_b).count() == 50


def test_the_referral_picker_lists_only_my_clients_and_leads_to_the_form(world: Any) -> None:
    theo = signed_in_client(world.users["theo"])
    page = theo.get(reverse("community:referrals")).content.decode()
    assert "Rowan Fictional" in page and "Harper Notreal" not in page
    start = theo.get(reverse("community:referrals"), {"client": world.clients["rowan"].pk})
    assert start.status_code == 302 and start["Location"].endswith(
        f"/referrals/new/{world.clients['rowan'].pk}/"
    )
    other = theo.get(reverse("community:referral_new", args=[world.clients["harper"].pk]))
    assert other.status_code == 404


def test_the_search_form_keeps_each_chosen_filter_selected_and_every_field_labelled(world: Any) -> None:
    import re

    listing = listing_for(world, "theo")
    params = {"state": "CO", "route": "im", "modality": "ifs", "telehealth": "yes", "accepting": "no"}
    body = HttpClient().get(reverse("directory:search"), params).content.decode()
    for name, field_id in (("state", "dir-state"), ("route", "dir-route"), ("modality", "dir-modality"),
                           ("telehealth", "dir-tele"), ("accepting", "dir-acc")):  # fmt: skip
        assert f'<label for="{field_id}">' in body and f'<select id="{field_id}" name="{name}">' in body
        select = re.search(rf'<select id="{field_id}" name="{name}">(.*?)</select>', body)
        assert select is not None
        chosen = re.findall(r'<option value="([^"]*)" selected>', select.group(1))
        assert chosen == [params[name]], name
        assert select.group(1).startswith('<option value="">Any</option>')
    # Nothing chosen: no option of the search form is marked selected.
    body = HttpClient().get(reverse("directory:search")).content.decode()
    form = re.search(r'<form method="get"[^>]*role="search".*?</form>', body, re.S)
    assert form is not None and "<select" in form.group(0) and " selected>" not in form.group(0)
    # Each result links to its public page.
    theo = HttpClient().get(reverse("directory:search"), {"state": "CO"}).content.decode()
    href = re.search(r'<li class="listing-result">\s*<a href="([^"]+)">Theo Test, LMFT</a>', theo)
    assert href is not None
    page = HttpClient().get(reverse("directory:search") + href.group(1))
    assert page.status_code == 200 and listing.display_name in page.content.decode()


def test_the_next_and_previous_pages_keep_every_chosen_filter(world: Any) -> None:
    import re

    from kapstone.community.demo import bulk_listings

    bulk_listings(world.org_b, 400)
    chosen = {"q": "Fictional", "telehealth": "yes", "accepting": "no"}
    first = HttpClient().get(reverse("directory:search"), chosen).content.decode()
    link = re.search(r'<a href="(\?[^"]+)">Next</a>', first)
    assert link is not None
    second = HttpClient().get(reverse("directory:search") + link.group(1).replace("&amp;", "&"))
    expected, _ = directory_search(parse_filters({**chosen, "page": "2"}))
    shown = re.findall(r'<li class="listing-result">\s*<a href="\d+/">([^<]+)</a>', second.content.decode())
    assert expected and shown == [listing.display_name for listing in expected]
    back = re.search(r'<a href="(\?[^"]+)">Previous</a>', second.content.decode())
    assert back is not None
    assert parse_filters(dict(pair.split("=") for pair in back.group(1)[1:].split("&amp;"))) == parse_filters(
        {**chosen, "page": "1"}
    )
