"""FHIR R4 for measures: Questionnaire, QuestionnaireResponse and Observation out; QuestionnaireResponse in.

Pure: the builders take an ``Instrument`` from the scoring core and plain data (``ResponseData``), never
a model, a request or settings. Every resource they return has been validated by constructing it with
``fhir.resources.R4B`` (R4B is the R4-compatible release; the package's default is R5). That
validation is structural (cardinality, primitive formats, choice types); it does not check code
bindings, so the mapping sets codes from fixed tables here.

Mapping choices (see docs in the report of the change that added this module):

* Every canonical URL and local code system hangs off the deployment's FHIR base (``base``: the
  caller passes it; the API passes ``conf.fhir_base()``, a setting that defaults to the site URL +
  ``/api/fhir``), so a canonical URL resolves on the server that minted it. A Questionnaire's
  canonical URL is ``<base>/Questionnaire/<FHIR id>``, the same id the resource carries and the read
  answers at (the instrument id with ``_`` written as ``-``: FHIR ids allow letters, digits, ``-``
  and ``.`` only), with the definition's version. Item ``linkId`` = item id.
* Every LOINC coding carries a ``display`` (the item text, instrument title, or a label).
* A choice answer is a Coding: the LOINC answer code where the definition has one (PHQ-9, GAD-7,
  C-SSRS), otherwise code = the option value in a Kapstone code system for that response set. The
  option value is always carried too, in the ``ordinalValue`` extension of the answer option.
* Item text is left out when the licence says the clinic supplies it.
* LOINC codes come only from the definition: a total without one gets a Kapstone code, an item without
  one gets no item Observation. Nothing is invented.
* Import is fail closed: an unknown questionnaire or linkId, a repeated linkId, more than one answer,
  a non-numeric answer, an answer that is not an option, or a value out of range is refused, with an
  issue naming the linkId.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pydantic
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from .scoring.definition import Instrument, Item, ResponseOption, ResponseSet
from .scoring.registry import Registry, UnknownInstrumentError
from .scoring.rules import AllOf, AnyOf, Condition, ItemTest, OptionRef

FHIR_JSON = "application/fhir+json"
# The base a pure caller gets when it names none: the development server's (the setting's default
# with no KAPSTONE_SITE_URL). The web app always passes the deployment's own (``conf.fhir_base()``).
DEV_BASE = "http://127.0.0.1:8000/api/fhir"
# Read on import only: resources exported before the base became a setting (issue #11) used it.
LEGACY_BASE = "https://kapstone.example/fhir"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"

MAX_IMPORT_ITEMS = 500
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_PATIENT_REF = re.compile(r"^Patient/(\d{1,18})$")
_DATETIME_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")

Number = int | float


# --------------------------------------------------------------------------------------------
# Plain input data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseData:
    """One stored response, as plain data (what the builders need; the API fills it from a model)."""

    id: int | str
    client_id: int | str
    answers: Mapping[str, object]
    administered_at: datetime
    complete: bool
    total: Number | None = None
    band: str | None = None
    subscales: Mapping[str, Number] = field(default_factory=dict)

    @classmethod
    def coerce(cls, data: ResponseData | Mapping[str, Any]) -> ResponseData:
        if isinstance(data, ResponseData):
            return data
        subscales = data.get("subscales") or {}
        return cls(
            id=data["id"],
            client_id=data["client_id"],
            answers=data.get("answers") or {},
            administered_at=data["administered_at"],
            complete=bool(data.get("complete")),
            total=data.get("total"),
            band=data.get("band"),
            subscales={k: (v["score"] if isinstance(v, Mapping) else v) for k, v in subscales.items()},
        )


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def fhir_id(text: str) -> str:
    """A FHIR resource id for one of our ids (``cssrs_screener`` -> ``cssrs-screener``)."""
    converted = str(text).replace("_", "-")
    if not _FHIR_ID.match(converted):
        raise ValueError(f"{text!r} cannot be written as a FHIR id")
    return converted


def canonical_url(instrument: Instrument, base: str = DEV_BASE) -> str:
    """``<base>/Questionnaire/<FHIR id>``: the URL the Questionnaire read answers at."""
    return f"{base.rstrip('/')}/Questionnaire/{fhir_id(instrument.id)}"


def canonical(instrument: Instrument, base: str = DEV_BASE) -> str:
    """The versioned canonical reference (``url|version``) a QuestionnaireResponse points at."""
    return f"{canonical_url(instrument, base)}|{instrument.version}"


def local_codes(base: str = DEV_BASE) -> str:
    """The Kapstone code system for totals and subscales that have no LOINC code."""
    return f"{base.rstrip('/')}/CodeSystem/measures"


def answer_system(instrument: Instrument, response_set: ResponseSet, base: str = DEV_BASE) -> str:
    """The Kapstone code system for a response set's options that have no LOINC answer code."""
    return f"{base.rstrip('/')}/CodeSystem/{instrument.id}/{response_set.id}"


def _patient(client_id: int | str) -> dict[str, str]:
    return {"reference": f"Patient/{client_id}"}


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("administered_at must be timezone-aware")
    return moment.isoformat()


def _text_allowed(instrument: Instrument) -> bool:
    return not instrument.item_text_supplied_by_clinic and instrument.licence.text_may_be_shipped


def _item_label(instrument: Instrument, item: Item) -> str:
    if _text_allowed(instrument):
        return item.text
    return f"{instrument.short_title} item {item.position}"


def _number_key(value: Number, integer: bool) -> str:
    return "Integer" if integer and isinstance(value, int) else "Decimal"


def _option_coding(
    instrument: Instrument,
    response: ResponseSet,
    option: ResponseOption,
    *,
    base: str,
    with_ordinal: bool = False,
) -> dict[str, Any]:
    coding: dict[str, Any]
    if option.loinc:
        coding = {"system": LOINC, "code": option.loinc, "display": option.label}
    else:
        coding = {
            "system": answer_system(instrument, response, base),
            "code": str(option.value),
            "display": option.label,
        }
    if with_ordinal:
        coding["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.value}]
    return coding


def _items(instrument: Instrument) -> dict[str, Item]:
    return {item.id: item for item in instrument.items}


def _option_for(item: Item, value: object) -> ResponseOption:
    for option in item.response.options:
        if option.value == value and not isinstance(value, bool):
            return option
    raise ValueError(f"{item.id}: {value!r} is not one of the item's options")


def _validated(model: type[pydantic.BaseModel], resource: dict[str, Any]) -> dict[str, Any]:
    """Construct the fhir.resources model (raising on any structural error); return the plain dict."""
    model.model_validate(resource)
    return resource


# --------------------------------------------------------------------------------------------
# Questionnaire
# --------------------------------------------------------------------------------------------


def _resolve(instrument: Instrument, value: object) -> Number | None:
    if isinstance(value, OptionRef):
        default = instrument.options[value.name].default
        return default if isinstance(default, int | float) and not isinstance(default, bool) else None
    return value if isinstance(value, int | float) else None


_FHIR_OPS = {"==": "=", "!=": "!=", ">": ">", "<": "<", ">=": ">=", "<=": "<="}
_PY_OPS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
    "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
}  # fmt: skip


def _enable_when_any(instrument: Instrument, cond: Condition, base: str) -> list[dict[str, Any]] | None:
    """enableWhen entries of which ANY must hold, or None when FHIR cannot say it."""
    if isinstance(cond, AnyOf):
        out: list[dict[str, Any]] = []
        for part in cond.parts:
            sub = _enable_when_any(instrument, part, base)
            if sub is None:
                return None
            out += sub
        return out
    if not isinstance(cond, ItemTest):
        return None
    value = _resolve(instrument, cond.value)
    if value is None:
        return None
    question = _items(instrument)[cond.item]
    response = question.response
    if response.kind == "choice":
        matching = [o for o in response.options if _PY_OPS[cond.op](o.value, value)]
        if not matching:
            return None
        return [
            {
                "question": question.id,
                "operator": "=",
                "answerCoding": _option_coding(instrument, response, o, base=base),
            }
            for o in matching
        ]
    key = "answerInteger" if response.integer and isinstance(value, int) else "answerDecimal"
    return [{"question": question.id, "operator": _FHIR_OPS[cond.op], key: value}]


def enable_when(
    instrument: Instrument, cond: Condition, base: str = DEV_BASE
) -> tuple[list[dict[str, Any]], str | None] | None:
    """Translate an item's ``ask_if`` into (enableWhen, enableBehavior), or None if it cannot be."""
    if isinstance(cond, AllOf):
        entries: list[dict[str, Any]] = []
        for part in cond.parts:
            sub = _enable_when_any(instrument, part, base)
            if sub is None or len(sub) != 1:
                return None
            entries += sub
        return entries, ("all" if len(entries) > 1 else None)
    found = _enable_when_any(instrument, cond, base)
    if found is None:
        return None
    return found, ("any" if len(found) > 1 else None)


def _questionnaire_item(instrument: Instrument, item: Item, base: str) -> dict[str, Any]:
    response = item.response
    entry: dict[str, Any] = {"linkId": item.id}
    if item.loinc:
        entry["code"] = [{"system": LOINC, "code": item.loinc, "display": _item_label(instrument, item)}]
    entry["prefix"] = str(item.position)
    if _text_allowed(instrument):
        entry["text"] = item.text
    if response.kind == "choice":
        entry["type"] = "choice"
        entry["answerOption"] = [
            {"valueCoding": _option_coding(instrument, response, option, base=base, with_ordinal=True)}
            for option in response.options
        ]
    else:
        kind = "Integer" if response.integer else "Decimal"
        entry["type"] = kind.lower()
        entry["extension"] = [
            {"url": MIN_VALUE, f"value{kind}": response.min},
            {"url": MAX_VALUE, f"value{kind}": response.max},
        ]
    required = item.required
    if item.ask_if is not None:
        translated = enable_when(instrument, item.ask_if, base)
        if translated is None:
            # FHIR cannot express the rule; the scoring engine still enforces it on submit.
            required = False
        else:
            entries, behaviour = translated
            entry["enableWhen"] = entries
            if behaviour:
                entry["enableBehavior"] = behaviour
    entry["required"] = required
    return entry


def questionnaire_for(instrument: Instrument, *, base: str = DEV_BASE) -> dict[str, Any]:
    """The FHIR R4 Questionnaire for one instrument definition (one version)."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument.id),
        "url": canonical_url(instrument, base),
        "version": instrument.version,
        "title": instrument.title,
        "status": "active",
    }
    description = " ".join(part for part in (instrument.description, instrument.recall) if part)
    if description:
        resource["description"] = description
    licence = instrument.licence
    resource["copyright"] = licence.name + (f". {licence.note}" if licence.note else "")
    if instrument.loinc.panel:
        resource["code"] = [{"system": LOINC, "code": instrument.loinc.panel, "display": instrument.title}]
    resource["item"] = [_questionnaire_item(instrument, item, base) for item in instrument.items]
    return _validated(Questionnaire, resource)


# --------------------------------------------------------------------------------------------
# QuestionnaireResponse
# --------------------------------------------------------------------------------------------


def _answer(instrument: Instrument, item: Item, value: object, base: str) -> dict[str, Any]:
    response = item.response
    if response.kind == "choice":
        return {"valueCoding": _option_coding(instrument, response, _option_for(item, value), base=base)}
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{item.id}: {value!r} is not a number")
    return {f"value{_number_key(value, response.integer)}": value}


def questionnaire_response_for(
    instrument: Instrument, response_data: ResponseData | Mapping[str, Any], *, base: str = DEV_BASE
) -> dict[str, Any]:
    """A stored response as a FHIR R4 QuestionnaireResponse (answered items, in definition order)."""
    data = ResponseData.coerce(response_data)
    items: list[dict[str, Any]] = []
    show_text = _text_allowed(instrument)
    for item in instrument.items:
        value = data.answers.get(item.id)
        if value is None:
            continue
        entry: dict[str, Any] = {"linkId": item.id}
        if show_text:
            entry["text"] = item.text
        entry["answer"] = [_answer(instrument, item, value, base)]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": fhir_id(str(data.id)),
        "questionnaire": canonical(instrument, base),
        "status": "completed" if data.complete else "in-progress",
        "subject": _patient(data.client_id),
        "authored": _instant(data.administered_at),
    }
    if items:
        resource["item"] = items
    return _validated(QuestionnaireResponse, resource)


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------


def _score_value(value: Number) -> dict[str, Any]:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"valueInteger": value}
    return {"valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}}


def _total_label(instrument: Instrument) -> str:
    if instrument.scoring.method == "highest_level":
        return f"{instrument.short_title} level"
    if instrument.scoring.method == "mean":
        return f"{instrument.short_title} mean score"
    return f"{instrument.short_title} total score"


def observations_for(
    instrument: Instrument, response_data: ResponseData | Mapping[str, Any], *, base: str = DEV_BASE
) -> list[dict[str, Any]]:
    """Observations derived from one response: the total (and the band where LOINC has a code for it)
    when the response is complete, and one per answered item that has a LOINC code."""
    data = ResponseData.coerce(response_data)
    rid = fhir_id(str(data.id))
    common: dict[str, Any] = {
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "subject": _patient(data.client_id),
        "effectiveDateTime": _instant(data.administered_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{rid}"}],
    }
    out: list[dict[str, Any]] = []
    if data.complete and data.total is not None:
        label = _total_label(instrument)
        if instrument.loinc.total:
            coding = {"system": LOINC, "code": instrument.loinc.total, "display": label}
        else:
            coding = {"system": local_codes(base), "code": f"{instrument.id}.total", "display": label}
        total: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"{rid}-total",
            **common,
            "code": {"coding": [coding], "text": label},
            **_score_value(data.total),
        }
        if data.band:
            total["interpretation"] = [{"text": data.band}]
        components = []
        for sub in instrument.subscales:
            if sub.id in data.subscales:
                components.append(
                    {
                        "code": {
                            "coding": [
                                {
                                    "system": local_codes(base),
                                    "code": f"{instrument.id}.{sub.id}",
                                    "display": sub.label,
                                }
                            ],
                            "text": sub.label,
                        },
                        **_score_value(data.subscales[sub.id]),
                    }
                )
        if components:
            total["component"] = components
        out.append(total)
        band = next((b for b in instrument.bands if b.label == data.band), None)
        if instrument.loinc.band and band is not None:
            concept: dict[str, Any] = {"text": band.label}
            if band.loinc:
                concept["coding"] = [{"system": LOINC, "code": band.loinc, "display": band.label}]
            out.append(
                {
                    "resourceType": "Observation",
                    "id": f"{rid}-band",
                    **common,
                    "code": {
                        "coding": [
                            {
                                "system": LOINC,
                                "code": instrument.loinc.band,
                                "display": f"{instrument.short_title} result",
                            }
                        ],
                        "text": f"{instrument.short_title} result",
                    },
                    "valueCodeableConcept": concept,
                }
            )
    for item in instrument.items:
        value = data.answers.get(item.id)
        if item.loinc is None or value is None:
            continue
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"{rid}-{fhir_id(item.id)}",
            **common,
            "code": {
                "coding": [{"system": LOINC, "code": item.loinc, "display": _item_label(instrument, item)}],
                "text": _item_label(instrument, item),
            },
        }
        if item.response.kind == "choice":
            option = _option_for(item, value)
            # Always a coded answer (PHQ-9 item 10 too): the LOINC answer code where the definition
            # has one, otherwise the option in the response set's Kapstone code system.
            obs["valueCodeableConcept"] = {
                "coding": [_option_coding(instrument, item.response, option, base=base, with_ordinal=True)],
                "text": option.label,
            }
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{item.id}: {value!r} is not a number")
            obs.update(_score_value(value))
        out.append(obs)
    return [_validated(Observation, o) for o in out]


# --------------------------------------------------------------------------------------------
# Bundles, streamed
# --------------------------------------------------------------------------------------------


def stream_searchset(
    resources: Iterable[Mapping[str, Any]], *, total: int | None, self_url: str, base_url: str
) -> Iterator[str]:
    """A searchset Bundle as JSON text chunks, one entry at a time (constant memory)."""
    head: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        head["total"] = total
    head["link"] = [{"relation": "self", "url": self_url}]
    opening = json.dumps(head, separators=(",", ":"))[:-1] + ',"entry":['
    yield opening
    base = base_url.rstrip("/")
    first = True
    for resource in resources:
        entry = {
            "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            # An OperationOutcome in a searchset reports a problem with the search, not a match.
            "search": {"mode": "outcome" if resource["resourceType"] == "OperationOutcome" else "match"},
        }
        yield ("" if first else ",") + json.dumps(entry, separators=(",", ":"))
        first = False
    yield "]}"


def searchset(resources: Iterable[Mapping[str, Any]], *, self_url: str, base_url: str) -> dict[str, Any]:
    """The same Bundle built in memory and validated (for tests and small results)."""
    listed = list(resources)
    text = "".join(stream_searchset(listed, total=len(listed), self_url=self_url, base_url=base_url))
    return _validated(Bundle, json.loads(text))


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


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
    return _validated(OperationOutcome, {"resourceType": "OperationOutcome", "issue": out})


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


def parse_questionnaire_response(  # noqa: C901 - one case per rule; listed in issue #10 to split
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
    answers: dict[str, Number] = {}
    seen: set[str] = set()
    repeated: set[str] = set()
    index = _items(instrument)
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
