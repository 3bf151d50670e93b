"""FHIR in: a QuestionnaireResponse read fail closed into an instrument, answers and a time, or the
issues (an OperationOutcome) that refuse it, item by item."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ..scoring.instrument import Instrument, Item
from ..scoring.registry import Registry, UnknownInstrumentError
from .codes import DEV_BASE, LEGACY_BASE, LOINC, Number, answer_system, items_by_id, validated

MAX_IMPORT_ITEMS = 500
_PATIENT_REF = re.compile(r"^Patient/(\d{1,18})$")
_DATETIME_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class Issue:
    """One reason an incoming resource is refused. ``link_id`` names the item when there is one."""

    message: str
    link_id: str | None = None
    code: str = "invalid"  # an OperationOutcome issue type (value set issue-type)
    path: str | None = None  # a FHIRPath to the element, when there is no linkId

    @property
    def expression(self) -> str | None:
        if self.link_id is not None:
            safe = self.link_id.replace("\\", "\\\\").replace("'", "\\'")
            return f"QuestionnaireResponse.item.where(linkId='{safe}')"
        return self.path


class FhirImportError(ValueError):
    """The resource cannot be imported; ``issues`` says why, item by item."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    """An OperationOutcome with one error issue per problem (linkId in ``expression``)."""
    out: list[dict[str, Any]] = []
    for issue in issues:
        entry: dict[str, Any] = {
            "severity": "error",
            "code": issue.code,
            "diagnostics": issue.message,
            "details": {"text": issue.message},
        }
        if issue.expression:
            entry["expression"] = [issue.expression]
        out.append(entry)
    if not out:
        out.append({"severity": "error", "code": "processing", "diagnostics": "request refused"})
    return validated(OperationOutcome, {"resourceType": "OperationOutcome", "issue": out})


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _link_for_loc(resource: Mapping[str, Any], loc: tuple[int | str, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "item" and isinstance(loc[1], int):
        items = resource.get("item")
        if isinstance(items, list) and 0 <= loc[1] < len(items) and isinstance(items[loc[1]], Mapping):
            link = items[loc[1]].get("linkId")
            return link if isinstance(link, str) else None
    return None


def _structure_issues(resource: Mapping[str, Any]) -> list[Issue]:
    try:
        QuestionnaireResponse.model_validate(dict(resource))
    except pydantic.ValidationError as exc:
        issues = []
        for err in exc.errors()[:20]:
            loc = tuple(err.get("loc", ()))
            path = ".".join(str(p) for p in loc) or "QuestionnaireResponse"
            link = _link_for_loc(resource, loc)
            prefix = f"linkId {link}: " if link else ""
            issues.append(
                Issue(
                    f"{prefix}{path}: {err.get('msg', 'invalid')}",
                    link_id=link,
                    code="structure",
                    path=None if link else f"QuestionnaireResponse.{path}",
                )
            )
        return issues
    return []


def _resolve_questionnaire(
    resource: Mapping[str, Any], registry: Registry, bases: tuple[str, ...]
) -> Instrument | Issue:
    ref = resource.get("questionnaire")
    if not isinstance(ref, str) or not ref:
        return Issue(
            "questionnaire is required: the canonical URL of a Kapstone questionnaire",
            code="required",
            path="QuestionnaireResponse.questionnaire",
        )
    url, _, version = ref.partition("|")
    prefixes = [f"{b.rstrip('/')}/Questionnaire/" for b in bases]
    instrument_id = next((url[len(p) :] for p in prefixes if url.startswith(p)), "")
    if not instrument_id:
        return Issue(
            f"questionnaire {_short(ref)} is not a Kapstone questionnaire (expected {prefixes[0]}<id>)",
            code="not-found",
            path="QuestionnaireResponse.questionnaire",
        )
    for candidate in dict.fromkeys((instrument_id, instrument_id.replace("-", "_"))):
        try:
            return registry.get(candidate, version or None)
        except UnknownInstrumentError:
            continue
    what = f"{instrument_id} version {version}" if version else instrument_id
    return Issue(
        f"questionnaire {_short(what)} is not installed here",
        code="not-found",
        path="QuestionnaireResponse.questionnaire",
    )


def _coding_value(
    instrument: Instrument, item: Item, coding: object, bases: tuple[str, ...]
) -> Number | None:
    if not isinstance(coding, Mapping):
        return None
    code, system = coding.get("code"), coding.get("system")
    if not isinstance(code, str):
        return None
    local = {answer_system(instrument, item.response, b) for b in bases}
    for option in item.response.options:
        if system in (None, LOINC) and option.loinc == code:
            return option.value
        if (system is None or system in local) and code == str(option.value):
            return option.value
    return None


def _answer_value(
    instrument: Instrument, item: Item, answer: Mapping[str, Any], bases: tuple[str, ...]
) -> Number | Issue:
    link = item.id
    if answer.get("item"):
        return Issue(
            f"linkId {link}: nested items under an answer are not part of this questionnaire",
            link_id=link,
            code="structure",
        )
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1:
        return Issue(f"linkId {link}: an answer needs exactly one value", link_id=link, code="required")
    key = keys[0]
    raw = answer[key]
    response = item.response
    value: Number
    if key == "valueCoding":
        if response.kind != "choice":
            return Issue(f"linkId {link}: expects a number, not a coded answer", link_id=link, code="value")
        found = _coding_value(instrument, item, raw, bases)
        if found is None:
            code = raw.get("code") if isinstance(raw, Mapping) else raw
            return Issue(
                f"linkId {link}: {_short(code)} is not one of the item's answer options",
                link_id=link,
                code="code-invalid",
            )
        return found
    if key == "valueInteger":
        if isinstance(raw, bool) or not isinstance(raw, int):
            return Issue(
                f"linkId {link}: valueInteger {_short(raw)} is not a whole number", link_id=link, code="value"
            )
        value = raw
    elif key == "valueDecimal":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            return Issue(
                f"linkId {link}: valueDecimal {_short(raw)} is not a number", link_id=link, code="value"
            )
        value = raw
        if response.integer:
            if not float(raw).is_integer():
                return Issue(
                    f"linkId {link}: {_short(raw)} is not a whole number", link_id=link, code="value"
                )
            value = int(raw)
    else:
        return Issue(
            f"linkId {link}: {key} is not a numeric answer (use valueCoding, valueInteger or valueDecimal)",
            link_id=link,
            code="value",
        )
    if response.kind == "choice":
        if value not in {o.value for o in response.options}:
            allowed = ", ".join(str(o.value) for o in response.options)
            return Issue(
                f"linkId {link}: {_short(value)} is not an allowed answer ({allowed})",
                link_id=link,
                code="value",
            )
    elif not response.min <= value <= response.max:
        return Issue(
            f"linkId {link}: {_short(value)} is outside {response.min}-{response.max}",
            link_id=link,
            code="value",
        )
    return value


def _authored(resource: Mapping[str, Any]) -> datetime | None | Issue:
    raw = resource.get("authored")
    if raw is None:
        return None
    if not isinstance(raw, str) or not _DATETIME_WITH_ZONE.match(raw):
        return Issue(
            "authored must be a date and time with a time zone (e.g. 2025-01-31T09:30:00Z)",
            code="value",
            path="QuestionnaireResponse.authored",
        )
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return Issue(
            f"authored {_short(raw)} is not a valid date and time",
            code="value",
            path="QuestionnaireResponse.authored",
        )


def _answers(
    instrument: Instrument, raw_items: list[Any], bases: tuple[str, ...], issues: list[Issue]
) -> dict[str, Number]:
    """The answers by item id; each item that cannot be mapped exactly adds its issue instead."""
    answers: dict[str, Number] = {}
    seen: set[str] = set()
    repeated: set[str] = set()
    index = items_by_id(instrument)
    for raw_item in raw_items:
        link = raw_item.get("linkId")
        if not isinstance(link, str):
            issues.append(
                Issue("every item needs a linkId", code="required", path="QuestionnaireResponse.item")
            )
            continue
        item = index.get(link)
        if raw_item.get("item"):
            issues.append(
                Issue(
                    f"linkId {link}: nested items (groups) are not part of {instrument.id}",
                    link_id=link,
                    code="structure",
                )
            )
            continue
        if item is None:
            issues.append(
                Issue(
                    f"linkId {_short(link)} is not an item of {instrument.id} {instrument.version}",
                    link_id=link,
                    code="not-found",
                )
            )
            continue
        if link in seen:
            if link not in repeated:
                repeated.add(link)
                issues.append(
                    Issue(
                        f"linkId {link}: answered more than once (repeated linkId)",
                        link_id=link,
                        code="duplicate",
                    )
                )
            answers.pop(link, None)
            continue
        seen.add(link)
        raw_answers = raw_item.get("answer") or []
        if not raw_answers:
            continue
        if len(raw_answers) > 1:
            issues.append(
                Issue(
                    f"linkId {link}: more than one answer to a single-answer item",
                    link_id=link,
                    code="structure",
                )
            )
            continue
        value = _answer_value(instrument, item, raw_answers[0], bases)
        if isinstance(value, Issue):
            issues.append(value)
            continue
        answers[link] = value
    return answers


def parse_questionnaire_response(
    resource: object, registry: Registry, *, base: str = DEV_BASE
) -> tuple[Instrument, dict[str, Number], datetime | None]:
    """Read an incoming QuestionnaireResponse: (instrument, answers by item id, authored).

    Validates the resource with fhir.resources, resolves the instrument by canonical URL under this
    deployment's ``base`` (or the pre-setting ``LEGACY_BASE`` of earlier exports; ``|version``
    optional: the newest installed version without it) and refuses, naming the linkId, anything it
    cannot map exactly. Items without an answer are left out of the answers. Raises ``FhirImportError``.
    """
    if not isinstance(resource, Mapping):
        raise FhirImportError([Issue("the body must be a JSON object", code="structure")])
    if resource.get("resourceType") != "QuestionnaireResponse":
        raise FhirImportError(
            [
                Issue(
                    f"resourceType must be QuestionnaireResponse, not {_short(resource.get('resourceType'))}",
                    code="structure",
                    path="QuestionnaireResponse.resourceType",
                )
            ]
        )
    issues = _structure_issues(resource)
    if issues:
        raise FhirImportError(issues)
    status = resource.get("status")
    if status not in ("completed", "amended"):
        issues.append(
            Issue(
                f"status must be completed (or amended), not {_short(status)}",
                code="business-rule",
                path="QuestionnaireResponse.status",
            )
        )
    bases = (base, LEGACY_BASE)
    found = _resolve_questionnaire(resource, registry, bases)
    authored = _authored(resource)
    if isinstance(authored, Issue):
        issues.append(authored)
    if isinstance(found, Issue):
        raise FhirImportError([*issues, found])
    instrument = found
    raw_items = resource.get("item") or []
    if len(raw_items) > MAX_IMPORT_ITEMS:
        raise FhirImportError(
            [
                *issues,
                Issue(
                    f"too many items ({len(raw_items)})", code="too-costly", path="QuestionnaireResponse.item"
                ),
            ]
        )
    answers = _answers(instrument, raw_items, bases, issues)
    if issues:
        raise FhirImportError(issues)
    assert not isinstance(authored, Issue)
    return instrument, answers, authored


def subject_client_id(resource: object) -> int | Issue:
    """The client id from ``subject.reference`` (``Patient/<id>``), or the issue that refuses it."""
    subject = resource.get("subject") if isinstance(resource, Mapping) else None
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    match = _PATIENT_REF.match(ref) if isinstance(ref, str) else None
    if match is None:
        return Issue(
            "subject must reference the client as Patient/<id>",
            code="required",
            path="QuestionnaireResponse.subject",
        )
    return int(match.group(1))
