"""FHIR out: Questionnaire, QuestionnaireResponse and Observations for one instrument and response,
and searchset Bundles streamed one entry at a time. See the package docstring for the mapping."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ..scoring.instrument import Instrument, Item, ResponseOption, ResponseSet
from ..scoring.rules import AllOf, AnyOf, Condition, ItemTest, OptionRef
from .codes import (
    DEV_BASE,
    LOINC,
    MAX_VALUE,
    MIN_VALUE,
    OBSERVATION_CATEGORY,
    ORDINAL_VALUE,
    UCUM,
    Number,
    answer_system,
    canonical,
    canonical_url,
    fhir_id,
    items_by_id,
    local_codes,
    validated,
)


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


def _option_for(item: Item, value: object) -> ResponseOption:
    for option in item.response.options:
        if option.value == value and not isinstance(value, bool):
            return option
    raise ValueError(f"{item.id}: {value!r} is not one of the item's options")


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
    question = items_by_id(instrument)[cond.item]
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
    return validated(Questionnaire, resource)


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
    return validated(QuestionnaireResponse, resource)


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
    return [validated(Observation, o) for o in out]


# --------------------------------------------------------------------------------------------
# Bundles, streamed
# --------------------------------------------------------------------------------------------


# Compact JSON, one encoder for every call (``json.dumps`` with arguments builds one per call), and
# the entries encoded a batch at a time: a list of entries encodes to exactly the entries' texts
# joined by commas inside ``[...]``, so the bytes are the same as one entry at a time, in fewer calls.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
ENTRIES_PER_CHUNK = 50


def stream_searchset(
    resources: Iterable[Mapping[str, Any]], *, total: int | None, self_url: str, base_url: str
) -> Iterator[str]:
    """A searchset Bundle as JSON text chunks, ``ENTRIES_PER_CHUNK`` entries at a time (constant memory)."""
    head: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        head["total"] = total
    head["link"] = [{"relation": "self", "url": self_url}]
    opening = _COMPACT.encode(head)[:-1] + ',"entry":['
    yield opening
    base = base_url.rstrip("/")
    batch: list[dict[str, Any]] = []
    separator = ""
    for resource in resources:
        batch.append(
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                # An OperationOutcome in a searchset reports a problem with the search, not a match.
                "search": {"mode": "outcome" if resource["resourceType"] == "OperationOutcome" else "match"},
            }
        )
        if len(batch) == ENTRIES_PER_CHUNK:
            yield separator + _COMPACT.encode(batch)[1:-1]
            batch, separator = [], ","
    if batch:
        yield separator + _COMPACT.encode(batch)[1:-1]
    yield "]}"


def pieces(chunks: Iterable[str], size: int = 32 * 1024) -> Iterator[bytes]:
    """Text chunks joined into UTF-8 pieces of about ``size`` characters: one socket write per
    piece, not per Bundle entry, from a bounded buffer (the stream's memory stays constant)."""
    pending: list[str] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        if held >= size:
            yield "".join(pending).encode()
            pending, held = [], 0
    if pending:
        yield "".join(pending).encode()


def searchset(resources: Iterable[Mapping[str, Any]], *, self_url: str, base_url: str) -> dict[str, Any]:
    """The same Bundle built in memory and validated (for tests and small results)."""
    listed = list(resources)
    text = "".join(stream_searchset(listed, total=len(listed), self_url=self_url, base_url=base_url))
    return validated(Bundle, json.loads(text))
