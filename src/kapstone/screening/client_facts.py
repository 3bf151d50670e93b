"""The screening facts document (screening/FACTS.md) built from a client's intake and latest measures.
It lives with screening, whose knowledge it is; the record reaches it only through the provider this
module gives ``kapstone.clients.hooks`` (registered in ``ScreeningConfig.ready``).

``facts_for_client`` is what a screening evaluates; ``validate_intake`` refuses intake data the pure
core would refuse (it calls ``validate_facts`` with the clinic's rule-set bounds, so no number is
repeated here) and names the form field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from kapstone.audit.services import record
from kapstone.clients.models import HISTORY_FIELDS, Client, Intake, IntakeMedication
from kapstone.core.actor import Actor
from kapstone.measures.models import Response
from kapstone.screening.facts import CSSRS_RISK, MEDICATION_CLASSES, FactsError, validate_facts
from kapstone.screening.models import Clearance, ScreeningEvaluation
from kapstone.screening.selectors import active_ruleset, measure_max_age_days

PHQ9 = "phq9"
PHQ9_ITEM9 = "phq9_9"
CSSRS = "cssrs_screener"
MEASURE_FACTS = ("phq9_item9", "cssrs_risk")

# Facts the intake form owns, by name in the facts document -> the Intake field.
_SCALARS = (
    "sex_at_birth",
    "pregnant",
    "lactating",
    "contraception",
    "bp_systolic",
    "bp_diastolic",
    "heart_rate",
    "weight_kg",
    "product",
    "route",
)
_ALLERGIES = {"ketamine": "allergy_ketamine", "esketamine": "allergy_esketamine"}


def fact_field(fact: str) -> str:
    """The intake form field a facts-document error belongs to (NON_FIELD_ERRORS when none)."""
    if fact in _SCALARS:
        return fact
    section, _, key = fact.partition(".")
    if section == "history" and (key in HISTORY_FIELDS or key == "hepatic_impairment"):
        return key
    if section == "allergies" and key in _ALLERGIES:
        return _ALLERGIES[key]
    return NON_FIELD_ERRORS  # age (date of birth), medication entries, measures


def age_on(date_of_birth: dt.date | None, on: dt.date) -> int | None:
    if date_of_birth is None:
        return None
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def _number(value: Decimal | int | float) -> int | float:
    if isinstance(value, Decimal):
        as_int = int(value)
        return as_int if value == as_int else float(value)
    return value


def medication_entry(name: str, classes: Iterable[str], dose_de: Decimal | float | None) -> dict[str, object]:
    entry: dict[str, object] = {"name": name, "classes": list(classes)}
    if dose_de is not None:
        entry["diazepam_equivalent_mg_per_day"] = _number(dose_de)
    return entry


def intake_document(
    intake: Intake | None,
    client: Client,
    *,
    at: datetime | None = None,
    medications: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, object]:
    """The facts the intake (and the client's date of birth) give. ``medications`` overrides the
    stored rows (for validating a form before it is saved). A medication list not marked complete
    is left out: unknown, not "none"."""
    at = at or timezone.now()
    doc: dict[str, object] = {}
    age = age_on(client.date_of_birth, timezone.localdate(at) if timezone.is_aware(at) else at.date())
    if age is not None:
        doc["age_years"] = age
    if intake is None:
        return doc
    for name in _SCALARS:
        value = getattr(intake, name)
        if value is None or value == "":
            continue
        doc[name] = (
            _number(value) if isinstance(value, Decimal | int) and not isinstance(value, bool) else value
        )
    history: dict[str, object] = {
        k: getattr(intake, k) for k in HISTORY_FIELDS if getattr(intake, k) is not None
    }
    if intake.hepatic_impairment:
        history["hepatic_impairment"] = intake.hepatic_impairment
    doc["history"] = history
    doc["allergies"] = {
        k: getattr(intake, f) for k, f in _ALLERGIES.items() if getattr(intake, f) is not None
    }
    if intake.medications_reviewed:
        if medications is None:
            rows: Iterable[IntakeMedication] = intake.medications.all() if intake.pk else []
            medications = [
                {
                    "name": m.name,
                    "classes": m.classes,
                    "diazepam_equivalent_mg_per_day": m.diazepam_equivalent_mg_per_day,
                }
                for m in rows
            ]
        doc["medications"] = [
            medication_entry(m["name"], m["classes"], m.get("diazepam_equivalent_mg_per_day"))
            for m in medications
        ]
    return doc


@dataclass(frozen=True)
class MeasureFact:
    value: object
    response_id: int
    administered_at: datetime

    def source(self) -> dict[str, object]:
        return {"response_id": self.response_id, "administered_at": self.administered_at.isoformat()}


def latest_measure_facts(
    client: Client, *, at: datetime | None = None, max_age_days: int | None = None
) -> dict[str, MeasureFact]:
    """PHQ-9 item 9 and the C-SSRS screener risk level from the newest responses administered no
    later than ``at`` (and, with ``max_age_days``, no earlier than that many days before it)."""
    at = at or timezone.now()
    base = Response.objects.filter(client=client, administered_at__lte=at)
    if max_age_days is not None:
        base = base.filter(administered_at__gte=at - dt.timedelta(days=max_age_days))
    found: dict[str, MeasureFact] = {}
    for response in base.filter(instrument_id=PHQ9).order_by("-administered_at", "-pk")[:20]:
        answer = (response.answers or {}).get(PHQ9_ITEM9)
        if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer <= 3:
            found["phq9_item9"] = MeasureFact(answer, response.pk, response.administered_at)
            break
    for response in base.filter(instrument_id=CSSRS, complete=True).order_by("-administered_at", "-pk")[:20]:
        total = response.total
        if total is not None and float(total).is_integer() and 0 <= int(total) < len(CSSRS_RISK):
            found["cssrs_risk"] = MeasureFact(CSSRS_RISK[int(total)], response.pk, response.administered_at)
            break
    return found


def facts_and_sources(
    client: Client, *, at: datetime | None = None
) -> tuple[dict[str, object], dict[str, object]]:
    """The full facts document for a screening now, and where its measure facts came from."""
    at = at or timezone.now()
    intake = Intake.objects.filter(client=client).first()
    doc = intake_document(intake, client, at=at)
    sources: dict[str, object] = {}
    measures = latest_measure_facts(client, at=at, max_age_days=measure_max_age_days(client.organization_id))
    for name, fact in measures.items():
        doc[name] = fact.value
        sources[name] = fact.source()
    return doc, sources


def facts_for_client(client: Client, *, at: datetime | None = None) -> dict[str, object]:
    """The documented facts document (FACTS.md) for ``client``: intake answers, age from the date of
    birth, and PHQ-9 item 9 / C-SSRS risk from measures no older than the clinic allows."""
    return facts_and_sources(client, at=at)[0]


def validate_intake(intake: Intake, medications: Sequence[Mapping[str, Any]] | None) -> None:
    """Raise ``ValidationError`` keyed by intake field when the pure core would refuse the facts."""
    client = intake.client
    doc = intake_document(intake, client, medications=medications)
    if medications is not None and "medications" not in doc:  # check entries even when the list is partial
        doc["medications"] = [
            medication_entry(m["name"], m["classes"], m.get("diazepam_equivalent_mg_per_day"))
            for m in medications
        ]
    try:
        validate_facts(doc, active_ruleset(client.organization_id).ruleset.bounds)
    except FactsError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            field = fact_field(error.field)
            message = error.message
            if error.field == "age_years":
                message = f"Date of birth on the client record: {message}"
            errors.setdefault(field, []).append(message)
        raise ValidationError(errors) from exc


def changed_facts(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """Names of the facts that differ between two documents (history.x / allergies.x flattened)."""

    def flat(doc: Mapping[str, object]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in doc.items():
            if key in ("history", "allergies") and isinstance(value, Mapping):
                out.update({f"{key}.{k}": v for k, v in value.items()})
            else:
                out[key] = value
        return out

    a, b = flat(before), flat(after)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def supersede_for_changed_facts(actor: Actor, client: Client, changed: list[str]) -> tuple[int, int]:
    """Inside the caller's transaction: clearance is re-required and undecided screenings go stale."""
    now = timezone.now()
    reason = f"intake changed ({', '.join(changed)})"
    clearances = Clearance.objects.filter(client=client, superseded_at__isnull=True).update(
        superseded_at=now, superseded_reason=reason
    )
    screenings = ScreeningEvaluation.objects.filter(
        client=client, superseded_at__isnull=True, clearance__isnull=True
    ).update(superseded_at=now, superseded_reason=reason)
    if clearances or screenings:
        record(
            actor,
            "clearance.supersede",
            object_type="client",
            object_id=client.pk,
            client_id=client.pk,
            detail={"reason": reason, "clearances": clearances, "screenings": screenings},
        )
    return clearances, screenings


class IntakeFactsProvider:
    """What the record asks of screening about an intake (``kapstone.clients.hooks.IntakeFacts``)."""

    medication_classes: tuple[str, ...] = tuple(MEDICATION_CLASSES)

    def document(
        self, intake: Intake | None, client: Client, *, medications: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[str, object]:
        return intake_document(intake, client, medications=medications)

    def validate(self, intake: Intake, medications: Sequence[Mapping[str, Any]] | None) -> None:
        validate_intake(intake, medications)

    def changed(self, before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
        return changed_facts(before, after)

    def supersede(self, actor: Actor, client: Client, changed: list[str]) -> tuple[int, int]:
        return supersede_for_changed_facts(actor, client, changed)
