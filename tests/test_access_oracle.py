"""The access oracle: every URL pattern, every persona, the status they must get.

Walks every named URL in the project; a pattern with no row here fails the suite, so a new page
cannot ship without saying who may open it. Each row names the URL kwargs (built from the `world`
fixture) and the expected GET status per persona; "*" is the default for personas not named.

Personas (tests/conftest.py): anon; avery = org admin A; theo = therapist on Rowan's team;
tamsin = therapist in A, not on Rowan's team; priya = prescriber, sam = supervisor, toby = trainee
(all three on Rowan's team); olive = therapist in organization B; rowan_portal = Rowan's portal login.
Status 302 for anon means "sent to sign in"; 404 means "not found or not yours" (the same page).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.oracle_kit import (
    CARE_TEAM_OF_ROWAN,
    PERSONAS,
    Row,
    only,
)
from tests.oracle_rows import CAPABILITY_ROWS

from kapstone.access.decorators import PORTAL, PUBLIC, SIGNED_IN
from kapstone.access.policy import ACTIONS, POLICY, Scope, scope_for
from kapstone.core.actor import Actor


def rowan(w: Any) -> dict[str, Any]:
    return {"pk": w.clients["rowan"].pk}


STAFF_ALL = ("avery", "theo", "tamsin", "priya", "sam", "toby", "olive")
RECORDERS_OF_ROWAN = ("theo", "priya", "toby")  # measure.record / measure.assign: not the supervisor


def _rowan_phq9(w: Any, item9: int) -> Any:
    from kapstone.measures.services import response_submit

    theo = Actor(user=w.users["theo"], organization=w.org_a, roles=frozenset({"therapist"}))
    answers = {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_9": item9}
    return response_submit(theo, w.clients["rowan"], "phq9", answers)


def rowan_response(w: Any) -> dict[str, Any]:
    return {"pk": _rowan_phq9(w, 0).pk}


def rowan_safety_task(w: Any) -> dict[str, Any]:
    return {"pk": _rowan_phq9(w, 1).safety_tasks.get().pk}


def api_only(allowed: tuple[str, ...]) -> dict[str, int]:
    """The JSON API: no session (or a portal client's) is 401, not a redirect; not yours is 404."""
    return {"*": 404, "anon": 401, "rowan_portal": 401, **dict.fromkeys(allowed, 200)}


def api_client(w: Any) -> dict[str, Any]:
    return {"client_id": w.clients["rowan"].pk}


def _theo(w: Any) -> Actor:
    return Actor(user=w.users["theo"], organization=w.org_a, roles=frozenset({"therapist"}))


def rowan_screening(w: Any) -> dict[str, Any]:
    from kapstone.screening.services import screening_run

    return {**rowan(w), "eid": screening_run(_theo(w), w.clients["rowan"]).pk}


def rowan_consent(w: Any) -> dict[str, Any]:
    from kapstone.clients.consent.template import default_consent_template
    from kapstone.clients.consent_services import consent_sign

    template = default_consent_template()
    signed = {"understood": True, "signed_name": "Rowan Fictional"}
    consent = consent_sign(_theo(w), w.clients["rowan"], **signed,
                           channel="in_person", template_key=(template.id, template.version),
                           witnessed_by=w.users["theo"])  # fmt: skip
    return {"cid": consent.pk}


def org_a_ruleset_version(w: Any) -> dict[str, Any]:
    from kapstone.screening.models import RuleSetVersion

    row = RuleSetVersion.objects.create(
        organization=w.org_a, ruleset_id="larkspur", version="1", title="t",
        toml_text="", sha256="0" * 64, created_by=w.users["avery"],
    )  # fmt: skip
    return {"vid": row.pk}


# --- Care (kapstone.care): a course for Rowan, its sessions, an alert. --------------------------------
# The dosing session is built directly, in progress: readiness (clearance + consent) is the clients
# module's to grant, and the oracle only asks who may open which page.


def _care_course(w: Any) -> Any:
    from kapstone.care import services
    from kapstone.care.models import ProtocolVersion

    services.protocols_install_shipped(_theo(w), w.org_a)
    pv = ProtocolVersion.objects.get(organization=w.org_a, protocol_id="sublingual_kap_series")
    return services.course_start(_theo(w), w.clients["rowan"], pv)


def care_protocol(w: Any) -> dict[str, Any]:
    from kapstone.care import services

    return {"pk": services.protocols_install_shipped(_theo(w), w.org_a)[0].pk}


def care_course(w: Any) -> dict[str, Any]:
    return {"pk": _care_course(w).pk}


def care_preparation(w: Any) -> dict[str, Any]:
    from django.utils import timezone

    from kapstone.care import services

    return {"pk": services.session_schedule(_theo(w), _care_course(w), "preparation", timezone.now()).pk}


def _care_dosing(w: Any) -> Any:
    from django.utils import timezone

    from kapstone.care.models import CareSession, DosingDetail

    now = timezone.now()
    session = CareSession.objects.create(
        organization=w.org_a, client=w.clients["rowan"], course=_care_course(w), kind="dosing", number=1,
        status="in_progress", scheduled_at=now, started_at=now, created_by=w.users["theo"],
    )  # fmt: skip
    DosingDetail.objects.create(session=session)
    return session


def care_dosing(w: Any) -> dict[str, Any]:
    return {"pk": _care_dosing(w).pk}


CARE_RECORDING_ROLES = ("theo", "tamsin", "priya", "toby", "olive")  # therapists, prescribers, trainees


def care_alert(w: Any) -> dict[str, Any]:
    from kapstone.care.models import Alert

    session = _care_dosing(w)
    alert = Alert.objects.create(session=session, code="sbp_high", severity="urgent", message="SBP 185")
    return {"pk": alert.pk}


TEAM_THERAPISTS_AND_PRESCRIBERS = ("theo", "priya")
STAFF_IN_A_ALL = ("avery", "theo", "tamsin", "priya", "sam", "toby")
ROLE_MAY_SUBMIT = (
    "theo",
    "tamsin",
    "priya",
    "olive",
)  # POST-only: the role passes, then 405 (no object read)
RULESET_EDITORS = ("avery", "priya")

# --- Notes (kapstone.notes): rows made by the services, as Theo (therapist) and Toby (trainee) ---------


def _note_actor(w: Any, name: str) -> Actor:
    role = "therapist" if name == "theo" else "trainee"
    return Actor(user=w.users[name], organization=w.org_a, roles=frozenset({role}))


def _rowan_note(w: Any, *, sign: bool, name: str = "theo") -> Any:
    from kapstone.notes.services import draft_create, note_sign

    who = _note_actor(w, name)
    sections = {"data": "d", "assessment": "a", "plan": "p"}
    note = draft_create(who, w.clients["rowan"], "dap", sections=sections)
    return note_sign(who, note, expected_version=note.version) if sign else note


def rowan_signed_note(w: Any) -> dict[str, Any]:
    return {"pk": _rowan_note(w, sign=True).pk}


def rowan_draft_note(w: Any) -> dict[str, Any]:  # Theo's: a draft is its author's only
    return {"pk": _rowan_note(w, sign=False).pk}


def rowan_pending_note(w: Any) -> dict[str, Any]:  # Toby's, signed, waiting for a co-sign
    return {"pk": _rowan_note(w, sign=True, name="toby").pk}


def rowan_psychnote(w: Any) -> dict[str, Any]:  # Theo's: nobody else's, with or without a team
    from kapstone.notes.services import psychnote_create

    return {"pk": psychnote_create(_note_actor(w, "theo"), w.clients["rowan"], "process note").pk}


NOTE_WRITERS_OF_ROWAN = ("theo", "priya", "toby")
NOTE_SIGNERS_ANYWHERE = ("theo", "tamsin", "priya", "toby", "olive")  # POST-only: the role passes, then 405
PSYCHNOTE_GRANTERS = ("theo", "tamsin", "toby", "olive")  # an author shares their own notes (no client read)
API_POST_ONLY = {"*": 405}  # GET on a POST-only API path: 405 for everyone, before any read


ORACLE: dict[str, Row] = {
    # Public.
    "core:home": Row({"*": 302}),
    "core:healthz": Row({"*": 200}),
    "accounts:login": Row({"*": 302, "anon": 200}),
    "accounts:mfa_verify": Row({"*": 302}),  # nobody is half-way through signing in here
    "accounts:mfa_setup": Row({"*": 302}),
    "accounts:logout": Row({"*": 405}),  # POST only
    "accounts:accept_invitation": Row({"*": 404}, kwargs=lambda w: {"token": "no-such-invitation"}),
    # Any staff member.
    "core:dashboard": Row(only(STAFF_ALL)),
    "accounts:switch_organization": Row(only(STAFF_ALL, ok=405)),
    # Clients.
    "clients:list": Row(only(STAFF_ALL)),
    "clients:create": Row(only(("avery", "theo", "tamsin", "priya", "olive"))),
    "clients:detail": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "clients:edit": Row(only(("theo", "priya", "toby")), kwargs=rowan),
    "clients:care_team": Row(only(("avery", "theo")), kwargs=rowan),
    # Running the organization.
    "accounts:members": Row(only(("avery",))),
    "accounts:member_set_active": Row(only(("avery",), ok=405), kwargs=lambda w: {"pk": 1}),
    "audit:log": Row(only(("avery",))),
    "audit:export": Row(only(("avery",))),
    # The client's own portal.
    "portal:home": Row(only(("rowan_portal",))),
    # Measurement (staff). Caseload: every clinician sees their own (empty or not); the admin none.
    "measures:caseload": Row(only(("theo", "tamsin", "priya", "sam", "toby", "olive"))),
    # Program outcomes: de-identified cohort counts of the organization (the admin too; not trainees).
    "outcomes:program": Row(only(("avery", "theo", "tamsin", "priya", "sam", "olive"))),
    "measures:instruments": Row(only(STAFF_ALL)),
    "measures:instrument_settings": Row(only(("avery",)), kwargs=lambda w: {"instrument_id": "phq9"}),
    "measures:client": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "measures:record": Row(only(RECORDERS_OF_ROWAN), kwargs=rowan),
    "measures:record_form": Row(
        only(RECORDERS_OF_ROWAN), kwargs=lambda w: {**rowan(w), "instrument_id": "phq9"}
    ),
    "measures:send_link": Row(only(RECORDERS_OF_ROWAN), kwargs=rowan),
    "measures:schedules": Row(only(RECORDERS_OF_ROWAN), kwargs=rowan),
    "measures:response": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan_response),
    "measures:safety_task": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan_safety_task),
    # The client's questionnaire link: public, and an unknown token is the same 404 for everyone.
    "questionnaire:fill": Row({"*": 404}, kwargs=lambda w: {"token": "no-such-link"}),
    "questionnaire:done": Row({"*": 200}),
    # The JSON / FHIR API (kapstone.api): staff session only; 401 for anonymous and portal clients.
    "api:api-root": Row({"*": 404}),
    "api:openapi-json": Row(api_only(STAFF_ALL)),
    "api:instruments": Row(api_only(STAFF_ALL)),
    "api:instrument": Row(api_only(STAFF_ALL), kwargs=lambda w: {"instrument_id": "phq9"}),
    "api:client_responses": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=api_client),  # GET list; POST records
    "api:fhir_questionnaire": Row(api_only(STAFF_ALL), kwargs=lambda w: {"questionnaire_id": "phq9"}),
    "api:fhir_questionnaire_response": Row(
        api_only(CARE_TEAM_OF_ROWAN), kwargs=lambda w: {"response_id": rowan_response(w)["pk"]}
    ),
    "api:fhir_patient_questionnaire_responses": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=api_client),
    "api:fhir_patient_observations": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=api_client),
    "api:fhir_questionnaire_response_create": Row({"*": 405, "anon": 401, "rowan_portal": 401}),  # POST only
    # Intake, choices and consent (kapstone.clients intake/consent pages).
    "intake:detail": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "intake:edit": Row(only(("theo", "priya", "toby")), kwargs=rowan),
    "intake:choices": Row(only(("theo", "priya", "toby")), kwargs=rowan),
    "intake:consent": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "intake:consent_sign": Row(only(TEAM_THERAPISTS_AND_PRESCRIBERS), kwargs=rowan),
    "intake:consent_detail": Row(only(CARE_TEAM_OF_ROWAN), kwargs=lambda w: {**rowan(w), **rowan_consent(w)}),
    "intake:consent_withdraw": Row(
        only(TEAM_THERAPISTS_AND_PRESCRIBERS), kwargs=lambda w: {**rowan(w), **rowan_consent(w)}
    ),
    "intake:consent_template": Row(only(STAFF_ALL)),
    "intake:consent_template_edit": Row(only(("avery",))),
    # The client's own consent and choices.
    "portal:consent": Row(only(("rowan_portal",))),
    "portal:consent_withdraw": Row(only(("rowan_portal",)), kwargs=rowan_consent),
    "portal:choices": Row(only(("rowan_portal",))),
    # Screening and medical clearance: only the prescriber on the care team decides.
    "screening:list": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "screening:run": Row(only(ROLE_MAY_SUBMIT, ok=405), kwargs=rowan),
    "screening:evaluation": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan_screening),
    "screening:submit": Row(only(ROLE_MAY_SUBMIT, ok=405), kwargs=rowan_screening),
    "screening:decide": Row(only(("priya",)), kwargs=rowan_screening),
    # The clinic's rule set: configuration, readable by all staff, edited by the admin and prescribers.
    "screening:ruleset": Row(only(STAFF_ALL)),
    "screening:ruleset_edit": Row(only(RULESET_EDITORS)),
    "screening:ruleset_settings": Row(only(RULESET_EDITORS)),
    "screening:ruleset_activate": Row(only(RULESET_EDITORS, ok=405)),
    "screening:ruleset_version": Row(only(STAFF_IN_A_ALL), kwargs=org_a_ruleset_version),
    # Progress notes: the care team reads signed notes; a draft is its author's (Theo's) only.
    "notes:client_notes": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "notes:create": Row(only(NOTE_WRITERS_OF_ROWAN), kwargs=rowan),
    "notes:detail": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan_signed_note),
    "notes:edit": Row(only(("theo",)), kwargs=rowan_draft_note),
    "notes:sign": Row(only(NOTE_SIGNERS_ANYWHERE, ok=405), kwargs=rowan_draft_note),
    "notes:addendum": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan_signed_note),
    "notes:cosign": Row(only(("sam",), ok=405), kwargs=rowan_pending_note),
    "notes:cosign_queue": Row(only(("sam",))),
    # Psychotherapy notes: the author only (a supervisor needs the author's grant; see tests/notes).
    "notes:psychnote_list": Row(only(("theo", "sam", "toby")), kwargs=rowan),
    "notes:psychnote_create": Row(only(("theo", "toby")), kwargs=rowan),
    "notes:psychnote_detail": Row(only(("theo",)), kwargs=rowan_psychnote),
    "notes:psychnote_grants": Row(only(PSYCHNOTE_GRANTERS)),
    "notes:psychnote_revoke": Row(only(PSYCHNOTE_GRANTERS, ok=405), kwargs=lambda w: {"pk": 1}),
    "api:client_notes": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=api_client),  # GET list; POST starts a draft
    "api:note": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=lambda w: {"note_id": rowan_signed_note(w)["pk"]}),
    "api:note_sign": Row(API_POST_ONLY, kwargs=lambda w: {"note_id": 1}),
    "api:note_addenda": Row(API_POST_ONLY, kwargs=lambda w: {"note_id": 1}),
    "api:note_cosign": Row(API_POST_ONLY, kwargs=lambda w: {"note_id": 1}),
    # KAP courses and the dosing room (kapstone.care). Protocols are clinic configuration (all staff
    # read their own organization's; a prescriber writes); the record is the care team's; recording in
    # the dosing room is for the team's therapists, prescribers and trainees (not the supervisor).
    # POST-only pages: a role that may act passes the policy, then 405 (no object is read).
    "care:protocols": Row(only(STAFF_ALL)),
    "care:protocol": Row(only(STAFF_IN_A_ALL), kwargs=care_protocol),
    "care:protocol_new_version": Row(only(("priya",)), kwargs=care_protocol),
    "care:client_courses": Row(only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "care:course_start": Row(only(RECORDERS_OF_ROWAN), kwargs=rowan),
    "care:course": Row(only(CARE_TEAM_OF_ROWAN), kwargs=care_course),
    "care:course_edit": Row(only(RECORDERS_OF_ROWAN), kwargs=care_course),
    "care:session_new": Row(only(RECORDERS_OF_ROWAN), kwargs=care_course),
    "care:course_pdf": Row(only(CARE_TEAM_OF_ROWAN), kwargs=care_course),
    "care:session": Row(only(CARE_TEAM_OF_ROWAN), kwargs=care_preparation),
    "care:session_edit": Row(only(RECORDERS_OF_ROWAN), kwargs=care_preparation),
    "care:session_start": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_preparation),
    "care:session_cancel": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_preparation),
    "care:session_pdf": Row(only(CARE_TEAM_OF_ROWAN), kwargs=care_dosing),
    "care:dosing": Row(only(RECORDERS_OF_ROWAN), kwargs=care_dosing),
    "care:dosing_start": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:dose": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:vitals": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:rating": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:intervention": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:adverse_event": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:discharge": Row(only(CARE_RECORDING_ROLES, ok=405), kwargs=care_dosing),
    "care:board": Row(only(RECORDERS_OF_ROWAN), kwargs=care_dosing),
    "care:alert_acknowledge": Row(only((*CARE_RECORDING_ROLES, "sam"), ok=405), kwargs=care_alert),
}

# Training, practicum, credentials, consultation and community keep their rows in tests/oracle_rows/.
ORACLE.update(CAPABILITY_ROWS)


def _walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found += _walk(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{prefix}{entry.name}", entry.callback))
    return found


ALL_PATTERNS = _walk(get_resolver())


def test_every_url_pattern_has_a_row_in_the_oracle() -> None:
    names = {name for name, _ in ALL_PATTERNS}
    missing = sorted(names - set(ORACLE))
    stale = sorted(set(ORACLE) - names)
    assert not missing, f"URL patterns without an access row: {missing}; add them to ORACLE"
    assert not stale, f"ORACLE rows for URLs that no longer exist: {stale}"


def test_every_view_declares_its_access() -> None:
    declared = {PUBLIC, SIGNED_IN, PORTAL, *ACTIONS}
    undeclared = [
        name
        for name, view in ALL_PATTERNS
        if not name.startswith("api") and getattr(view, "kapstone_access", None) not in declared
    ]
    assert not undeclared, f"views without an access decorator: {undeclared}"


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(ORACLE))
def test_each_persona_gets_the_oracle_status(url_name: str, world: Any, battery: Any) -> None:
    from tests.conftest import signed_in_client

    row = ORACLE[url_name]
    kwargs = row.kwargs(world)  # builds the row's objects: once
    url = reverse(url_name, kwargs=kwargs) + row.query
    seen = {}
    for persona in PERSONAS:
        http = HttpClient() if persona == "anon" else signed_in_client(world.users[persona])
        seen[persona] = http.get(url).status_code
    expected = {persona: row.status_for(persona) for persona in PERSONAS}
    allowed = {persona for persona, status in expected.items() if status < 300}
    battery.tally(
        "T1",
        cells=len(PERSONAS),
        matched=sum(seen[p] == expected[p] for p in PERSONAS),
        unexpected_allows=sum(seen[p] < 300 and p not in allowed for p in PERSONAS),
        urls=1,
    )
    swapped = bool(kwargs) and expected["olive"] == 404  # an id of ours in the other org's hands
    battery.tally("T2", swapped=int(swapped), cross_org_not_404=int(swapped and seen["olive"] != 404))
    assert seen == expected


# --- The policy table itself, read as a specification ------------------------------------------------


def test_unknown_action_is_an_error_not_a_denial() -> None:
    with pytest.raises(KeyError):
        scope_for(Actor(user=None), "client.delete_everything")


@pytest.mark.django_db
def test_no_organization_means_no_scope_for_any_action(world: Any) -> None:
    actor = Actor(user=world.users["theo"], organization=None, roles=frozenset({"therapist"}))
    assert {action: scope_for(actor, action) for action in ACTIONS} == dict.fromkeys(ACTIONS, Scope.NONE)


@pytest.mark.django_db
def test_multiple_roles_take_the_widest_scope(world: Any) -> None:
    both = Actor(
        user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist", "org_admin"})
    )
    assert scope_for(both, "client.list") is Scope.ORG
    assert scope_for(both, "client.view") is Scope.CARE_TEAM  # admin adds nothing to the record itself


def test_org_admin_never_reads_the_clinical_record() -> None:
    clinical = [action for action in POLICY if action.startswith(("client.view", "client.edit", "measure."))]
    assert clinical
    assert all("org_admin" not in POLICY[action] for action in clinical)
