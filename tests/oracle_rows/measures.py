"""Access-oracle rows of the FHIR reads added for issue #11 (kapstone.measures.fhir_reads): the
CapabilityStatement for every staff member; Patient/{id} and Observation/{id} for Rowan's care
team only (the other organization's member and everyone else 404); 401 without a staff session."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import CARE_TEAM_OF_ROWAN, Row

STAFF_ALL = ("avery", "theo", "tamsin", "priya", "sam", "toby", "olive")


def api_only(allowed: tuple[str, ...]) -> dict[str, int]:
    return {"*": 404, "anon": 401, "rowan_portal": 401, **dict.fromkeys(allowed, 200)}


def rowan(w: Any) -> dict[str, Any]:
    return {"client_id": w.clients["rowan"].pk}


def rowan_total(w: Any) -> dict[str, Any]:
    from kapstone.core.actor import Actor
    from kapstone.measures.services import response_submit

    theo = Actor(user=w.users["theo"], organization=w.org_a, roles=frozenset({"therapist"}))
    answers = {f"phq9_{i}": 0 for i in range(1, 10)}
    response = response_submit(theo, w.clients["rowan"], "phq9", answers)
    return {"observation_id": f"{response.pk}-total"}


ROWS: dict[str, Row] = {
    "api:fhir_metadata": Row(api_only(STAFF_ALL)),
    "api:fhir_patient": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=rowan),
    "api:fhir_observation": Row(api_only(CARE_TEAM_OF_ROWAN), kwargs=rowan_total),
}
