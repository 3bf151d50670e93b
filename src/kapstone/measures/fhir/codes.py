"""What export and import share: media type, code systems, the deployment's canonical URLs, FHIR ids,
and the structural validation every resource passes through. Pure: no model, request or setting."""

from __future__ import annotations

import re
from typing import Any

import pydantic

from ..scoring.instrument import Instrument, Item, ResponseSet

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

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

Number = int | float


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


def items_by_id(instrument: Instrument) -> dict[str, Item]:
    return {item.id: item for item in instrument.items}


def validated(model: type[pydantic.BaseModel], resource: dict[str, Any]) -> dict[str, Any]:
    """Construct the fhir.resources model (raising on any structural error); return the plain dict."""
    model.model_validate(resource)
    return resource
