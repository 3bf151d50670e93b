"""Access-oracle rows of kapstone.community (the /community/ pages and the public /directory/)."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import STAFF_IN_A, Row, only

from kapstone.core.actor import Actor

EVERYONE = {"*": 200}
ALL_STAFF = (*STAFF_IN_A, "olive")
THERAPISTS_AND_PRESCRIBERS = ("theo", "tamsin", "priya", "olive")
POST_ONLY = 405  # a role that may act passes the policy, then 405 for a GET (no object is read)


def _actor(w: Any, name: str, role: str) -> Actor:
    org = w.org_b if name == "olive" else w.org_a
    return Actor(user=w.users[name], organization=org, roles=frozenset({role}))


def _listing(w: Any, name: str, role: str) -> Any:
    from kapstone.community.directory_services import listing_save

    return listing_save(
        _actor(w, name, role), kind="practitioner", display_name=f"{name} listing", state="CO", opted_in=True
    )


def public_listing(w: Any) -> dict[str, Any]:
    return {"pk": _listing(w, "theo", "therapist").pk}


def referral_theo_to_olive(w: Any) -> dict[str, Any]:
    from kapstone.community.directory_services import referral_send

    target = _listing(w, "olive", "therapist")
    referral = referral_send(
        _actor(w, "theo", "therapist"),
        client_pk=w.clients["rowan"].pk,
        listing_pk=target.pk,
        consent_elements=["name"],
        consent_channel="in_person",
    )
    return {"pk": referral.pk}


ROWS: dict[str, Row] = {
    "directory:search": Row(EVERYONE),
    "directory:listing": Row(EVERYONE, kwargs=public_listing),
    "community:home": Row(only(ALL_STAFF)),
    "community:listing_edit": Row(only(ALL_STAFF)),
    "community:attestations": Row(only(("avery",))),
    "community:attest": Row(only(("avery",), ok=POST_ONLY), kwargs=public_listing),
    "community:referrals": Row(only(THERAPISTS_AND_PRESCRIBERS)),
    "community:referral_new": Row(only(("theo", "priya")), kwargs=lambda w: {"pk": w.clients["rowan"].pk}),
    "community:referral_detail": Row(only(("theo", "olive")), kwargs=referral_theo_to_olive),
    "community:referral_decide": Row(
        only(THERAPISTS_AND_PRESCRIBERS, ok=POST_ONLY), kwargs=referral_theo_to_olive
    ),
}


# --- Workshops: one in organization A hosted by Sam (supervisor). ------------------------------------
HOST_ROLES = ("avery", "theo", "tamsin", "priya", "sam", "olive")


def sams_workshop(w: Any) -> dict[str, Any]:
    import datetime as dt

    from django.utils import timezone

    from kapstone.community.workshop_services import workshop_create

    starts = timezone.now() + dt.timedelta(days=2)
    workshop = workshop_create(
        _actor(w, "sam", "supervisor"),
        title="Oracle workshop",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        capacity=5,
    )
    return {"pk": workshop.pk}


ROWS.update(
    {
        "community:workshops": Row(only(ALL_STAFF)),
        "community:workshop_new": Row(only(HOST_ROLES)),
        "community:workshop": Row(only(STAFF_IN_A), kwargs=sams_workshop),
        "community:workshop_edit": Row(only(("sam",)), kwargs=sams_workshop),
        "community:workshop_event": Row(only(STAFF_IN_A), kwargs=sams_workshop),
        "community:workshop_register": Row(only(ALL_STAFF, ok=POST_ONLY), kwargs=sams_workshop),
        "community:workshop_unregister": Row(only(ALL_STAFF, ok=POST_ONLY), kwargs=sams_workshop),
        "community:workshop_claim": Row(only(ALL_STAFF, ok=POST_ONLY), kwargs=sams_workshop),
        "community:workshop_cancel": Row(only(HOST_ROLES, ok=POST_ONLY), kwargs=sams_workshop),
        "community:workshop_attendance": Row(only(HOST_ROLES, ok=POST_ONLY), kwargs=sams_workshop),
        "community:calendar_feed_manage": Row(only(ALL_STAFF)),
        "community:calendar_feed": Row({"*": 404}, kwargs=lambda w: {"token": "no-such-token"}),
    }
)


# --- Peer support: an organization space of A, a topic and Theo's post in it. -------------------------
MODERATORS = ("avery", "sam")


def theos_post(w: Any) -> Any:
    from kapstone.community.forum_services import space_create, topic_create

    space = space_create(_actor(w, "sam", "supervisor"), name="Peers", kind="organization")
    return topic_create(
        _actor(w, "theo", "therapist"), space_pk=space.pk, title="Hello", body="Hello, peers."
    )


def theos_attachment(w: Any) -> dict[str, Any]:
    from kapstone.community.models import PostAttachment

    post = theos_post(w)
    found = PostAttachment.objects.create(
        post=post, filename="a.pdf", content_type="application/pdf", size=9, sha256="0" * 64, data=b"%PDF-1.4"
    )
    return {"pk": found.pk}


ROWS.update(
    {
        "community:spaces": Row(only(ALL_STAFF)),
        "community:space": Row(only(STAFF_IN_A), kwargs=lambda w: {"pk": theos_post(w).topic.space_id}),
        "community:topic": Row(only(STAFF_IN_A), kwargs=lambda w: {"pk": theos_post(w).topic_id}),
        "community:topic_lock": Row(
            only(MODERATORS, ok=POST_ONLY), kwargs=lambda w: {"pk": theos_post(w).topic_id}
        ),
        "community:post_edit": Row(only(("theo",)), kwargs=lambda w: {"pk": theos_post(w).pk}),
        "community:post_flag": Row(only(ALL_STAFF, ok=POST_ONLY), kwargs=lambda w: {"pk": theos_post(w).pk}),
        "community:moderate": Row(only(MODERATORS, ok=POST_ONLY), kwargs=lambda w: {"pk": theos_post(w).pk}),
        "community:moderation": Row(only(MODERATORS)),
        "community:attachment_add": Row(
            only(ALL_STAFF, ok=POST_ONLY), kwargs=lambda w: {"pk": theos_post(w).pk}
        ),
        "community:attachment": Row(only(STAFF_IN_A), kwargs=theos_attachment),
        "community:topic_subscribe": Row(
            only(ALL_STAFF, ok=POST_ONLY), kwargs=lambda w: {"pk": theos_post(w).topic_id}
        ),
    }
)


# --- Mentorship: Sam mentors Toby (proposed by the matching). -----------------------------------------


def sam_mentors_toby(w: Any) -> dict[str, Any]:
    from kapstone.community import mentorship_services as mentorship

    mentorship.profile_save(_actor(w, "sam", "supervisor"), capacity=1)
    mentorship.request_create(_actor(w, "toby", "trainee"), wants="A mentor")
    return {"pk": mentorship.match_run(_actor(w, "avery", "org_admin"))[0].pk}


ROWS.update(
    {
        "community:mentorship": Row(only(ALL_STAFF)),
        "community:mentor_profile": Row(only(ALL_STAFF)),
        "community:mentorship_request": Row(only(ALL_STAFF)),
        "community:mentorship_match": Row(only(MODERATORS, ok=POST_ONLY)),
        "community:mentorship_detail": Row(only(("sam", "toby")), kwargs=sam_mentors_toby),
        "community:mentorship_decide": Row(only(ALL_STAFF, ok=POST_ONLY), kwargs=sam_mentors_toby),
    }
)


# --- Resource library: a PDF Theo shared with his organization. ----------------------------------------


def theos_document(w: Any) -> dict[str, Any]:
    from kapstone.community.library import resource_share

    resource = resource_share(
        _actor(w, "theo", "therapist"),
        title="Handout",
        evidence_level="educational",
        visibility="organization",
        filename="handout.pdf",
        data=b"%PDF-1.4\n%%EOF\n",
    )
    return {"pk": resource.pk}


ROWS.update(
    {
        "community:library": Row(only(ALL_STAFF)),
        "community:resource_new": Row(only(HOST_ROLES)),
        "community:resource": Row(only(STAFF_IN_A), kwargs=theos_document),
        "community:resource_download": Row(only(STAFF_IN_A), kwargs=theos_document),
    }
)
