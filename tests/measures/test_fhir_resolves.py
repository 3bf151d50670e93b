"""FHIR that resolves (issue #11 item 7): a per-deployment canonical base; Questionnaire canonical
URLs that are the URLs the reads answer at; Patient, Observation, QuestionnaireResponse and
Questionnaire reads by id, scoped and audited; a CapabilityStatement; a display on every LOINC
coding; PHQ-9 item 10 exported as a coded answer; every resource valid for fhir.resources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import override_settings
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from tests.conftest import signed_in_client

from kapstone.audit.models import AuditEvent
from kapstone.core.actor import Actor
from kapstone.measures import conf, fhir
from kapstone.measures.instruments import get_registry
from kapstone.measures.services import response_submit

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"
WHEN = datetime(2025, 2, 3, 10, 15, tzinfo=UTC)
PHQ9 = {f"phq9_{n}": v for n, v in enumerate((1, 2, 1, 0, 1, 2, 1, 0, 0), start=1)} | {"phq9_10": 1}
CLINIC_BASE = "https://fhir.larkspur-clinic.example.org/api/fhir"


def _store(world: Any) -> Any:
    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    return response_submit(theo, world.clients["rowan"], "phq9", PHQ9, administered_at=WHEN)


def _codings(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield node
        for value in node.values():
            yield from _codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _codings(value)


def test_the_canonical_base_is_a_setting_defaulting_to_the_site_url(settings: Any) -> None:
    settings.KAPSTONE_FHIR_BASE = ""
    assert conf.fhir_base() == f"{settings.SITE_URL}/api/fhir"
    settings.KAPSTONE_FHIR_BASE = CLINIC_BASE + "/"
    assert conf.fhir_base() == CLINIC_BASE


@override_settings(KAPSTONE_FHIR_BASE=CLINIC_BASE)
def test_every_questionnaire_resolves_at_its_canonical_url(world: Any) -> None:
    http = signed_in_client(world.users["theo"])
    for instrument_id in get_registry().ids():
        q = fhir.questionnaire_for(get_registry().get(instrument_id), base=conf.fhir_base())
        assert q["url"] == f"{CLINIC_BASE}/Questionnaire/{q['id']}"  # the URL ends in the resource id
        assert "kapstone.example" not in str(q)
        path = q["url"].removeprefix(CLINIC_BASE.removesuffix("/api/fhir"))
        reply = http.get(path)
        assert reply.status_code == 200 and reply.json() == q, instrument_id


@override_settings(KAPSTONE_FHIR_BASE=CLINIC_BASE)
def test_each_resource_read_by_id_returns_valid_fhir_and_is_audited(world: Any) -> None:
    stored = _store(world)
    rowan = world.clients["rowan"]
    http = signed_in_client(world.users["theo"])
    patient = http.get(f"/api/fhir/Patient/{rowan.pk}")
    assert patient.status_code == 200 and patient["Content-Type"] == FHIR_JSON
    Patient.model_validate(patient.json())
    assert patient.json()["name"][0]["family"] == rowan.family_name
    qr = http.get(f"/api/fhir/QuestionnaireResponse/{stored.pk}").json()
    QuestionnaireResponse.model_validate(qr)
    assert qr["questionnaire"] == f"{CLINIC_BASE}/Questionnaire/phq9|1.0.0"
    assert qr["subject"]["reference"] == f"Patient/{rowan.pk}"
    total = http.get(f"/api/fhir/Observation/{stored.pk}-total")
    assert total.status_code == 200
    Observation.model_validate(total.json())
    assert total.json()["valueInteger"] == 8
    assert total.json()["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{stored.pk}"}]
    Questionnaire.model_validate(http.get("/api/fhir/Questionnaire/phq9").json())
    reads = AuditEvent.objects.filter(action="fhir.read", actor_id=world.users["theo"].pk)
    assert {e.detail["resource"] for e in reads} >= {"Patient", "Observation"}
    assert http.get(f"/api/fhir/Observation/{stored.pk}-nonsense").status_code == 404
    assert http.get("/api/fhir/Observation/not-an-id").status_code == 404


@pytest.mark.parametrize("who", ["olive", "tamsin", "avery"])
def test_reads_by_id_are_404_for_anyone_else_and_the_denial_is_audited(world: Any, who: str) -> None:
    stored = _store(world)
    rowan = world.clients["rowan"]
    http = signed_in_client(world.users[who])
    for url in (
        f"/api/fhir/Patient/{rowan.pk}",
        f"/api/fhir/Observation/{stored.pk}-total",
        f"/api/fhir/QuestionnaireResponse/{stored.pk}",
    ):
        reply = http.get(url)
        assert reply.status_code == 404 and reply["Content-Type"] == FHIR_JSON, (who, url)
    denied = AuditEvent.objects.filter(actor_id=world.users[who].pk, outcome="denied")
    assert denied.count() >= 3


@override_settings(KAPSTONE_FHIR_BASE=CLINIC_BASE)
def test_metadata_is_a_capability_statement(world: Any) -> None:
    reply = signed_in_client(world.users["theo"]).get("/api/fhir/metadata")
    assert reply.status_code == 200 and reply["Content-Type"] == FHIR_JSON
    body = reply.json()
    CapabilityStatement.model_validate(body)
    kinds = {r["type"]: {i["code"] for i in r["interaction"]} for r in body["rest"][0]["resource"]}
    assert kinds == {
        "Patient": {"read"},
        "Observation": {"read"},
        "QuestionnaireResponse": {"read", "create"},
        "Questionnaire": {"read"},
    }
    assert f"{CLINIC_BASE}/Questionnaire/phq9|1.0.0" in str(body)


def test_every_loinc_coding_has_a_display(world: Any) -> None:
    stored = _store(world)
    http = signed_in_client(world.users["theo"])
    resources: list[Any] = [http.get(f"/api/fhir/QuestionnaireResponse/{stored.pk}").json()]
    streamed = http.get(f"/api/fhir/Patient/{stored.client_id}/Observation")
    bundle = json.loads(b"".join(streamed.streaming_content))  # type: ignore[attr-defined]
    resources += [e["resource"] for e in bundle["entry"]]
    resources += [fhir.questionnaire_for(get_registry().get(i)) for i in get_registry().ids()]
    loinc = [c for r in resources for c in _codings(r) if c["system"] == fhir.LOINC]
    assert loinc and all(c.get("display") for c in loinc), [c for c in loinc if not c.get("display")][:3]


def test_phq9_item_10_is_exported_as_a_coded_answer(world: Any) -> None:
    stored = _store(world)
    http = signed_in_client(world.users["theo"])
    item10 = http.get(f"/api/fhir/Observation/{stored.pk}-phq9-10").json()
    assert item10["code"]["coding"][0]["code"] == "69722-7"
    assert item10["valueCodeableConcept"]["coding"][0]["system"] == fhir.LOINC
    assert item10["valueCodeableConcept"]["coding"][0]["code"] == "LA6573-5"
    assert item10["valueCodeableConcept"]["coding"][0]["display"] == "Somewhat difficult"
    qr = http.get(f"/api/fhir/QuestionnaireResponse/{stored.pk}").json()
    answer = next(i for i in qr["item"] if i["linkId"] == "phq9_10")["answer"][0]["valueCoding"]
    assert (answer["system"], answer["code"]) == (fhir.LOINC, "LA6573-5")


@override_settings(KAPSTONE_FHIR_BASE=CLINIC_BASE)
def test_import_reads_this_deployments_canonical_and_the_legacy_one(world: Any) -> None:
    instrument = get_registry().get("phq9")
    registry = get_registry()
    for base in (CLINIC_BASE, fhir.LEGACY_BASE):
        data = fhir.ResponseData(id="x", client_id=1, answers=PHQ9, administered_at=WHEN, complete=True)
        resource = fhir.questionnaire_response_for(instrument, data, base=base)
        found, answers, _ = fhir.parse_questionnaire_response(resource, registry, base=conf.fhir_base())
        assert found.id == "phq9" and answers["phq9_10"] == 1
    other = fhir.questionnaire_response_for(
        instrument,
        fhir.ResponseData(id="x", client_id=1, answers=PHQ9, administered_at=WHEN, complete=True),
        base="https://someone-else.example/fhir",
    )
    with pytest.raises(fhir.FhirImportError):
        fhir.parse_questionnaire_response(other, registry, base=conf.fhir_base())
