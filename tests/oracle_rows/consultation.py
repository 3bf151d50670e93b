"""Access-oracle rows of kapstone.consultation (/consultation/): a group in Larkspur facilitated by
Sam with Theo, Priya and Toby; a case Theo made from Rowan's record and posted there."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import CARE_TEAM_OF_ROWAN, STAFF_IN_A, Row, only

from kapstone.core.actor import Actor

POST_ONLY = 405  # the role passes the policy, then 405 for a GET (no object is read)
CLINICIANS = ("theo", "tamsin", "priya", "sam", "toby", "olive")
GROUP_MEMBERS = ("sam", "theo", "priya", "toby")


def _actor(w: Any, name: str, role: str) -> Actor:
    return Actor(user=w.users[name], organization=w.org_a, roles=frozenset({role}))


def _group(w: Any) -> Any:
    from kapstone.consultation import services

    avery = _actor(w, "avery", "org_admin")
    group = services.group_create(avery, name="Tuesday peer group", facilitator=w.users["sam"])
    for name in ("theo", "priya", "toby"):
        services.member_add(avery, group=group, user=w.users[name])
    return group


def _posted_case(w: Any) -> Any:
    from kapstone.consultation import services
    from kapstone.consultation.models import Proposal

    group = _group(w)
    theo = _actor(w, "theo", "therapist")
    case = services.case_create(
        theo, client=w.clients["rowan"], summary="Rowan Fictional feels stuck.", note_ids=[]
    )
    decisions = {
        p.pk: services.Decision(p.kind == Proposal.Kind.REDACTION and "accept" or "remove")
        for p in case.proposals.all()
    }
    services.case_review(theo, case=case, decisions=decisions, expected_version=case.version)
    case.refresh_from_db()
    services.case_post(theo, case=case, group=group, expected_version=case.version)
    return case


def posted_case(w: Any) -> dict[str, Any]:
    return {"pk": _posted_case(w).pk}


def group(w: Any) -> dict[str, Any]:
    return {"pk": _group(w).pk}


ROWS: dict[str, Row] = {
    "consultation:home": Row(only((*STAFF_IN_A, "olive"))),
    "consultation:case_new": Row(only(CARE_TEAM_OF_ROWAN), kwargs=lambda w: {"pk": w.clients["rowan"].pk}),
    "consultation:case": Row(only(GROUP_MEMBERS), kwargs=posted_case),
    "consultation:case_review": Row(only(("theo",)), kwargs=posted_case),
    "consultation:case_redact": Row(only(CLINICIANS, ok=POST_ONLY), kwargs=posted_case),
    "consultation:case_post": Row(only(CLINICIANS, ok=POST_ONLY), kwargs=posted_case),
    "consultation:case_feedback": Row(only(CLINICIANS, ok=POST_ONLY), kwargs=posted_case),
    "consultation:case_flag": Row(only(CLINICIANS, ok=POST_ONLY), kwargs=posted_case),
    "consultation:case_close": Row(only(CLINICIANS, ok=POST_ONLY), kwargs=posted_case),
    "consultation:group_new": Row(only(("avery",))),
    "consultation:group": Row(only(("avery", *GROUP_MEMBERS)), kwargs=group),
    "consultation:member_add": Row(only(("avery",), ok=POST_ONLY), kwargs=group),
    "consultation:meeting_new": Row(only((*STAFF_IN_A, "olive"), ok=POST_ONLY), kwargs=group),
}
