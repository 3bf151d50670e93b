"""FHIR R4 Patient and CapabilityStatement, pure: plain data in, a validated resource out (see
the ``fhir`` package for the measures resources). No Django, no settings: the caller passes the base."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.patient import Patient

from .fhir import FHIR_JSON, fhir_id, validated
from .scoring.definition import Instrument

FHIR_VERSION = "4.0.1"


def patient_for(
    *,
    client_id: int,
    given_name: str,
    family_name: str,
    preferred_name: str = "",
    birth_date: date | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """The client as a minimal Patient: id (the subject every exported resource names), name and
    birth date. Nothing else of the record goes out here."""
    names: list[dict[str, Any]] = [{"use": "official", "family": family_name, "given": [given_name]}]
    if preferred_name and preferred_name != given_name:
        names.append({"use": "usual", "given": [preferred_name]})
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": fhir_id(str(client_id)),
        "active": active,
        "name": names,
    }
    if birth_date is not None:
        resource["birthDate"] = birth_date.isoformat()
    return validated(Patient, resource)


def capability_statement(
    *, base: str, software: str, version: str, instruments: Iterable[Instrument], date_: datetime
) -> dict[str, Any]:
    """What this server answers: the reads by id, the patient compartments, the import, and the
    Questionnaires it serves (their canonical URLs)."""
    read = [{"code": "read"}]
    resources = [
        {"type": "Patient", "interaction": read},
        {"type": "Observation", "interaction": read},
        {"type": "QuestionnaireResponse", "interaction": [*read, {"code": "create"}]},
        {
            "type": "Questionnaire",
            "interaction": read,
            "documentation": "Canonical URLs: "
            + ", ".join(f"{base}/Questionnaire/{fhir_id(i.id)}|{i.version}" for i in instruments),
        },
    ]
    resource: dict[str, Any] = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date_.isoformat(),
        "kind": "instance",
        "software": {"name": software, "version": version},
        "implementation": {"description": f"{software} measures FHIR API", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Every read is scoped to the signed-in person's clients and audited; "
                "another organization's record answers 404. Patient/{id}/QuestionnaireResponse and "
                "Patient/{id}/Observation return a searchset Bundle.",
                "resource": resources,
            }
        ],
    }
    return validated(CapabilityStatement, resource)
