"""FHIR R4 for measures: Questionnaire, QuestionnaireResponse and Observation out (``export``);
QuestionnaireResponse in (``ingest``); what both use (``codes``).

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

from .codes import (
    DEV_BASE,
    FHIR_JSON,
    LEGACY_BASE,
    LOINC,
    answer_system,
    canonical,
    canonical_url,
    fhir_id,
    local_codes,
    validated,
)
from .export import (
    ResponseData,
    enable_when,
    observations_for,
    pieces,
    questionnaire_for,
    questionnaire_response_for,
    searchset,
    stream_searchset,
)
from .ingest import (
    MAX_IMPORT_ITEMS,
    FhirImportError,
    Issue,
    operation_outcome,
    parse_questionnaire_response,
    subject_client_id,
)

__all__ = [
    "DEV_BASE",
    "FHIR_JSON",
    "LEGACY_BASE",
    "LOINC",
    "MAX_IMPORT_ITEMS",
    "FhirImportError",
    "Issue",
    "ResponseData",
    "answer_system",
    "canonical",
    "canonical_url",
    "enable_when",
    "fhir_id",
    "local_codes",
    "observations_for",
    "operation_outcome",
    "parse_questionnaire_response",
    "pieces",
    "questionnaire_for",
    "questionnaire_response_for",
    "searchset",
    "stream_searchset",
    "subject_client_id",
    "validated",
]
