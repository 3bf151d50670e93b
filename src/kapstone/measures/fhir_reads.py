"""FHIR reads by id and the CapabilityStatement (issue #11): ``Patient/{id}``, ``Observation/{id}``
and ``metadata``, on the same ``fhir_router`` as the Questionnaire and QuestionnaireResponse reads.
Scoped and audited like everything else: a client not yours (or missing) is 404 with the denial
audited; a read is audited with what was read. Registered by importing this module from
``kapstone.measures.api``."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from kapstone.audit.services import record
from kapstone.measures import conf, fhir, selectors
from kapstone.measures.api import (
    _actor,
    _fhir,
    _fhir_client,
    _fhir_doc,
    _instrument_exact,
    fhir_router,
    response_data,
)
from kapstone.measures.fhir_meta import capability_statement, patient_for
from kapstone.measures.instruments import newest_instruments

_OBSERVATION_ID = re.compile(r"^(\d{1,18})-([A-Za-z0-9.\-]{1,60})$")


@fhir_router.get("/metadata", url_name="fhir_metadata", openapi_extra=_fhir_doc("CapabilityStatement", 200))
def fhir_metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: what this server reads, imports and serves."""
    try:
        version = package_version("kapstone")
    except PackageNotFoundError:  # running from a source tree
        version = "unknown"
    return _fhir(
        capability_statement(
            base=conf.fhir_base(),
            software="Kapstone",
            version=version,
            instruments=newest_instruments(),
            date_=timezone.now(),
        )
    )


@fhir_router.get(
    "/Patient/{client_id}", url_name="fhir_patient", openapi_extra=_fhir_doc("Patient", 200, 404)
)
def fhir_patient(request: HttpRequest, client_id: int) -> HttpResponse:
    """The client as a Patient (scoped: 404 when not yours; audited)."""
    actor = _actor(request)
    client = _fhir_client(actor, client_id)
    record(actor, "fhir.read", object_type="client", object_id=client.pk, client_id=client.pk,
           detail={"resource": "Patient"})  # fmt: skip
    return _fhir(
        patient_for(
            client_id=client.pk,
            given_name=client.given_name,
            family_name=client.family_name,
            preferred_name=client.preferred_name,
            birth_date=client.date_of_birth,
            active=client.is_active,
        )
    )


@fhir_router.get(
    "/Observation/{observation_id}",
    url_name="fhir_observation",
    openapi_extra=_fhir_doc("Observation", 200, 404),
)
def fhir_observation(request: HttpRequest, observation_id: str) -> HttpResponse:
    """One Observation by the id the exports give it (``<response id>-total``, ``-band`` or
    ``-<item>``): derived from the stored response, which is read scoped and audited."""
    match = _OBSERVATION_ID.match(observation_id)
    if match is None:
        raise Http404
    actor = _actor(request)
    response = selectors.response_get(actor, int(match.group(1)))  # 404 + audited when not yours
    instrument = _instrument_exact({}, response)
    if instrument is None:
        raise Http404
    found = next(
        (
            o
            for o in fhir.observations_for(instrument, response_data(response), base=conf.fhir_base())
            if o["id"] == observation_id
        ),
        None,
    )
    if found is None:
        raise Http404
    record(actor, "fhir.read", object_type="response", object_id=response.pk, client_id=response.client_id,
           detail={"resource": "Observation", "id": observation_id})  # fmt: skip
    return _fhir(found)
