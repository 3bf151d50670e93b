"""Measures over the JSON API and FHIR R4. Thin: selectors read, the same services write.

``router`` is mounted at /api/ and ``fhir_router`` at /api/fhir/ by ``kapstone.api``. Every read of
client data goes through ``client_get`` (404 for missing or not yours, audited) and is audited
again with what was read; writes go through ``services.response_submit``, the same service the
HTML form calls, which audits them in its transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import AwareDatetime, ConfigDict, Field, StrictFloat, StrictInt

from kapstone.audit.models import Outcome
from kapstone.audit.services import record
from kapstone.clients.models import Client
from kapstone.clients.selectors import client_get, clients_scoped
from kapstone.core.actor import Actor
from kapstone.core.contract import ErrorOut, validation_payload
from kapstone.measures import conf, fhir, selectors, services
from kapstone.measures.instruments import (
    Instrument,
    UnknownInstrumentError,
    get_registry,
    item_text,
    newest_instruments,
)
from kapstone.measures.models import Response, Source

router = Router(tags=["measures"])
fhir_router = Router(tags=["fhir"])

STREAM_CHUNK = 200
_FHIR_OBJECT = {"type": "object", "additionalProperties": True}


def _fhir_doc(description: str, *statuses: int, body: bool = False) -> dict[str, Any]:
    """OpenAPI for an endpoint that answers FHIR JSON (and may take it)."""
    content = {fhir.FHIR_JSON: {"schema": _FHIR_OBJECT}}
    extra: dict[str, Any] = {
        "responses": {
            status: {"description": description if status < 300 else "OperationOutcome", "content": content}
            for status in statuses
        }
    }
    if body:
        extra["requestBody"] = {
            "required": True,
            "content": {
                fhir.FHIR_JSON: {"schema": _FHIR_OBJECT},
                "application/json": {"schema": _FHIR_OBJECT},
            },
        }
    return extra


def _actor(request: HttpRequest) -> Actor:
    return cast(Actor, request.auth)  # type: ignore[attr-defined]


def _fhir(resource: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(resource), status=status, content_type=fhir.FHIR_JSON)


def _outcome(issues: list[fhir.Issue], status: int) -> HttpResponse:
    return _fhir(fhir.operation_outcome(issues), status)


# --- schemas ---------------------------------------------------------------------------------------


class OptionOut(Schema):
    value: int
    label: str
    loinc: str | None = None


class ItemOut(Schema):
    id: str
    position: int
    text: str
    loinc: str | None = None
    kind: str = Field(description="choice (options) or range (min..max)")
    options: list[OptionOut]
    min: float
    max: float
    integer: bool
    required: bool
    conditional: bool = Field(description="asked only when earlier answers say so (skip logic)")
    scored: bool


class BandOut(Schema):
    min: int
    max: int
    label: str


class SubscaleOut(Schema):
    id: str
    label: str
    items: list[str]
    min: int
    max: int


class InstrumentSummary(Schema):
    id: str
    version: str
    title: str
    short_title: str
    description: str | None = None
    item_count: int
    loinc_panel: str | None = None
    loinc_total: str | None = None
    licence: str
    item_text_supplied_by_clinic: bool
    questionnaire: str = Field(description="FHIR canonical reference url|version")


class InstrumentDetail(InstrumentSummary):
    recall: str | None = None
    citation: str
    versions: list[str]
    items: list[ItemOut]
    bands: list[BandOut]
    subscales: list[SubscaleOut]


class ResponseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    instrument: str = Field(description="instrument id, e.g. phq9 (scored under its current version)")
    answers: dict[str, StrictInt | StrictFloat | None] = Field(
        description="answer value by item id; null or absent = not answered"
    )
    administered_at: AwareDatetime | None = Field(default=None, description="default: now")


class ResponseOut(Schema):
    id: int
    client_id: int
    instrument: str
    instrument_version: str
    administered_at: datetime
    source: str
    recorded_by: int | None = None
    complete: bool
    total: int | float | None = None
    band: str | None = None
    interpretation: str
    subscales: dict[str, Any]
    flags: list[dict[str, Any]]
    answers: dict[str, Any]
    created_at: datetime


class RefusalOut(ErrorOut):
    """The one error body; each error's ``field`` is an item id ('' for the response as a whole)."""

    safety_tasks: list[int] = Field(
        default_factory=list, description="safety tasks the answered items opened although nothing was stored"
    )


# --- mapping ---------------------------------------------------------------------------------------


def _summary(instrument: Instrument) -> dict[str, Any]:
    return {
        "id": instrument.id,
        "version": instrument.version,
        "title": instrument.title,
        "short_title": instrument.short_title,
        "description": instrument.description,
        "item_count": len(instrument.items),
        "loinc_panel": instrument.loinc.panel,
        "loinc_total": instrument.loinc.total,
        "licence": instrument.licence.name,
        "item_text_supplied_by_clinic": instrument.item_text_supplied_by_clinic,
        "questionnaire": fhir.canonical(instrument, conf.fhir_base()),
    }


def response_out(response: Response) -> dict[str, Any]:
    result = response.result or {}
    return {
        "id": response.pk,
        "client_id": response.client_id,
        "instrument": response.instrument_id,
        "instrument_version": response.instrument_version,
        "administered_at": response.administered_at,
        "source": response.source,
        "recorded_by": response.recorded_by_id,
        "complete": response.complete,
        "total": result.get("total", response.total),
        "band": response.band or None,
        "interpretation": str(result.get("interpretation", "")),
        "subscales": result.get("subscales") or {},
        "flags": list(result.get("flags") or []),
        "answers": dict(response.answers or {}),
        "created_at": response.created_at,
    }


def response_data(response: Response) -> fhir.ResponseData:
    """A stored response as the plain data the FHIR builders take."""
    result = response.result or {}
    subscales = result.get("subscales") or {}
    return fhir.ResponseData(
        id=response.pk,
        client_id=response.client_id,
        answers=dict(response.answers or {}),
        administered_at=response.administered_at,
        complete=response.complete,
        total=result.get("total", response.total),
        band=response.band or None,
        subscales={k: v["score"] for k, v in subscales.items() if isinstance(v, dict) and "score" in v},
    )


def _refusal(exc: ValidationError) -> dict[str, Any]:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    summary = " ".join(errors.get(NON_FIELD_ERRORS, [])[:1]) or "Nothing was saved."
    tasks = [t.pk for t in getattr(exc, "safety_tasks", [])]
    return {**validation_payload(exc, detail=summary), "safety_tasks": tasks}


def _refusal_issues(exc: ValidationError, instrument: Instrument) -> list[fhir.Issue]:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    item_ids = {item.id for item in instrument.items}
    issues: list[fhir.Issue] = []
    for key, messages in errors.items():
        for message in messages:
            if key in item_ids:
                issues.append(fhir.Issue(f"linkId {key}: {message}", link_id=key, code="value"))
            elif key == "administered_at":
                issues.append(
                    fhir.Issue(f"authored: {message}", code="value", path="QuestionnaireResponse.authored")
                )
            else:
                issues.append(fhir.Issue(message, code="business-rule"))
    return issues


# --- instruments -----------------------------------------------------------------------------------


@router.get("/instruments", response=list[InstrumentSummary], url_name="instruments")
def instrument_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Installed instrument definitions (newest version of each). No client data."""
    return [_summary(i) for i in newest_instruments()]


@router.get("/instruments/{instrument_id}", response=InstrumentDetail, url_name="instrument")
def instrument_detail(request: HttpRequest, instrument_id: str, version: str | None = None) -> dict[str, Any]:
    """One definition: items with options and LOINC codes, bands, subscales."""
    registry = get_registry()
    try:
        instrument = registry.get(instrument_id, version)
    except UnknownInstrumentError:
        raise Http404 from None
    _, overrides = selectors.clinic_settings(_actor(request).organization_id, instrument.id)
    versions = [i.version for i in registry.all() if i.id == instrument.id]
    return {
        **_summary(instrument),
        "recall": instrument.recall,
        "citation": instrument.citation,
        "versions": versions,
        "items": [
            {
                "id": item.id,
                "position": item.position,
                "text": item_text(instrument, item.id, overrides),
                "loinc": item.loinc,
                "kind": item.response.kind,
                "options": [
                    {"value": o.value, "label": o.label, "loinc": o.loinc} for o in item.response.options
                ],
                "min": item.response.min,
                "max": item.response.max,
                "integer": item.response.integer,
                "required": item.required,
                "conditional": item.ask_if is not None,
                "scored": item.scored,
            }
            for item in instrument.items
        ],
        "bands": [{"min": b.min, "max": b.max, "label": b.label} for b in instrument.bands],
        "subscales": [
            {"id": s.id, "label": s.label, "items": list(s.items), "min": s.min, "max": s.max}
            for s in instrument.subscales
        ],
    }


# --- responses -------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/responses", response=list[ResponseOut], url_name="client_responses")
def response_list(
    request: HttpRequest,
    client_id: int,
    instrument: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """A client's stored responses, oldest first (scoped to the care team, audited)."""
    actor = _actor(request)
    client = client_get(actor, client_id, action="measure.view")
    qs = Response.objects.filter(client=client).order_by("administered_at", "pk")
    if instrument:
        qs = qs.filter(instrument_id=instrument)
    rows = list(qs[offset : offset + limit])
    record(
        actor,
        "measure.view",
        object_type="response",
        client_id=client.pk,
        detail={"via": "api", "count": len(rows), "instrument": instrument or "", "offset": offset},
    )
    return [response_out(r) for r in rows]


@router.post(
    "/clients/{client_id}/responses",
    response={201: ResponseOut, 422: RefusalOut},
    url_name="client_responses",
)
def response_create(request: HttpRequest, client_id: int, payload: ResponseIn) -> Status[dict[str, Any]]:
    """Score and store a response (the same service as the HTML form). 422 names each item refused;
    nothing is stored then, but safety flags the answered items raise still open tasks."""
    actor = _actor(request)
    client = client_get(actor, client_id, action="measure.record")
    try:
        response = services.response_submit(
            actor,
            client,
            payload.instrument,
            payload.answers,
            source=Source.CLINICIAN,
            administered_at=payload.administered_at,
        )
    except ValidationError as exc:
        return Status(422, _refusal(exc))
    return Status(201, response_out(response))


# --- FHIR ------------------------------------------------------------------------------------------


def _instrument_exact(
    cache: dict[tuple[str, str], Instrument | None], response: Response
) -> Instrument | None:
    key = (response.instrument_id, response.instrument_version)
    if key not in cache:
        try:
            cache[key] = get_registry().get(*key)
        except UnknownInstrumentError:
            cache[key] = None
    return cache[key]


def _unmapped(response: Response) -> dict[str, Any]:
    message = (
        f"Response {response.pk} ({response.instrument_id} {response.instrument_version}) is not exported: "
        f"that definition version is not installed."
    )
    return {
        "resourceType": "OperationOutcome",
        "id": f"unmapped-{response.pk}",
        "issue": [{"severity": "warning", "code": "not-found", "diagnostics": message}],
    }


def _client_responses(client_pk: int) -> QuerySet[Response]:
    return (
        Response.objects.filter(client_id=client_pk)
        .order_by("administered_at", "pk")
        .only(
            "id",
            "client_id",
            "instrument_id",
            "instrument_version",
            "answers",
            "result",
            "total",
            "band",
            "complete",
            "administered_at",
        )
    )


def _responses_counted(qs: QuerySet[Response]) -> tuple[Iterable[Response], int]:
    """The client's responses and how many: one query when they fit in one chunk (most clients),
    else a count and the chunked read (constant memory). Read before the audit row that names the
    count is written; nothing is sent until it is."""
    first = list(qs[:STREAM_CHUNK])
    if len(first) < STREAM_CHUNK:
        return first, len(first)
    return qs.iterator(chunk_size=STREAM_CHUNK), qs.count()


def _fhir_client(actor: Actor, client_id: int) -> Client:
    """The client if the actor may read its measures, through the access scope and without an audit
    row of its own: the FHIR read writes one row saying what it read. Missing or not yours:
    ``client_get``'s answer (the denial audited, 404)."""
    found = clients_scoped(actor, "measure.view").filter(pk=client_id).first()
    return found if found is not None else client_get(actor, client_id, action="measure.view")


def _qr_stream(responses: Iterable[Response]) -> Iterator[dict[str, Any]]:
    cache: dict[tuple[str, str], Instrument | None] = {}
    base = conf.fhir_base()
    for response in responses:
        instrument = _instrument_exact(cache, response)
        if instrument is None:
            yield _unmapped(response)
            continue
        yield fhir.questionnaire_response_for(instrument, response_data(response), base=base)


def _observation_stream(responses: Iterable[Response]) -> Iterator[dict[str, Any]]:
    cache: dict[tuple[str, str], Instrument | None] = {}
    base = conf.fhir_base()
    for response in responses:
        instrument = _instrument_exact(cache, response)
        if instrument is None:
            yield _unmapped(response)
            continue
        yield from fhir.observations_for(instrument, response_data(response), base=base)


def _bundle(
    request: HttpRequest, resources: Iterator[dict[str, Any]], total: int | None
) -> StreamingHttpResponse:
    base = request.build_absolute_uri(reverse("api:api-root")).rstrip("/") + "/fhir"
    chunks = fhir.stream_searchset(
        resources, total=total, self_url=request.build_absolute_uri(), base_url=base
    )
    return StreamingHttpResponse(fhir.pieces(chunks), content_type=fhir.FHIR_JSON)


@fhir_router.get(
    "/Questionnaire/{questionnaire_id}",
    url_name="fhir_questionnaire",
    openapi_extra=_fhir_doc("Questionnaire", 200, 404),
)
def fhir_questionnaire(
    request: HttpRequest, questionnaire_id: str, version: str | None = None
) -> HttpResponse:
    """The FHIR R4 Questionnaire for an instrument (by instrument id or FHIR id; newest version unless
    ``version`` is given)."""
    registry = get_registry()
    for candidate in dict.fromkeys((questionnaire_id, questionnaire_id.replace("-", "_"))):
        try:
            return _fhir(fhir.questionnaire_for(registry.get(candidate, version), base=conf.fhir_base()))
        except UnknownInstrumentError:
            continue
    raise Http404


@fhir_router.get(
    "/QuestionnaireResponse/{response_id}",
    url_name="fhir_questionnaire_response",
    openapi_extra=_fhir_doc("QuestionnaireResponse", 200, 404),
)
def fhir_questionnaire_response(request: HttpRequest, response_id: int) -> HttpResponse:
    """One stored response as a QuestionnaireResponse (scoped; audited as measure.view)."""
    response = selectors.response_get(_actor(request), response_id)
    instrument = _instrument_exact({}, response)
    if instrument is None:
        return _fhir(_unmapped(response), 404)
    return _fhir(fhir.questionnaire_response_for(instrument, response_data(response), base=conf.fhir_base()))


@fhir_router.get(
    "/Patient/{client_id}/QuestionnaireResponse",
    url_name="fhir_patient_questionnaire_responses",
    openapi_extra=_fhir_doc("Bundle (searchset) of QuestionnaireResponse, streamed", 200, 404),
)
def fhir_patient_questionnaire_responses(request: HttpRequest, client_id: int) -> StreamingHttpResponse:
    """Every stored response of the client, oldest first, as a streamed searchset Bundle."""
    actor = _actor(request)
    pk = _fhir_client(actor, client_id).pk
    responses, total = _responses_counted(_client_responses(pk))
    record(actor, "fhir.read", object_type="client", object_id=pk, client_id=pk,
           detail={"resource": "QuestionnaireResponse", "count": total})  # fmt: skip
    return _bundle(request, _qr_stream(responses), total)


@fhir_router.get(
    "/Patient/{client_id}/Observation",
    url_name="fhir_patient_observations",
    openapi_extra=_fhir_doc("Bundle (searchset) of Observation, streamed", 200, 404),
)
def fhir_patient_observations(request: HttpRequest, client_id: int) -> StreamingHttpResponse:
    """Observations derived from every stored response of the client (totals, LOINC-coded items),
    streamed: the responses are read in chunks and the entries written as they are built."""
    actor = _actor(request)
    pk = _fhir_client(actor, client_id).pk
    responses, count = _responses_counted(_client_responses(pk))
    record(actor, "fhir.read", object_type="client", object_id=pk, client_id=pk,
           detail={"resource": "Observation", "responses": count})  # fmt: skip
    return _bundle(request, _observation_stream(responses), None)


@fhir_router.get(
    "/QuestionnaireResponse",
    url_name="fhir_questionnaire_response_create",
    response={405: None},
    openapi_extra=_fhir_doc("", 405),
)
def fhir_questionnaire_response_get(request: HttpRequest) -> HttpResponse:
    """GET on the import URL: signed-in staff learn it is POST only (anonymous callers get 401 first)."""
    message = (
        "Use POST to import a QuestionnaireResponse; read a client's responses at "
        "/api/fhir/Patient/<id>/QuestionnaireResponse."
    )
    reply = _outcome([fhir.Issue(message, code="not-supported")], 405)
    reply["Allow"] = "POST"
    return reply


@fhir_router.post(
    "/QuestionnaireResponse",
    url_name="fhir_questionnaire_response_create",
    response={201: None},
    openapi_extra=_fhir_doc("the stored QuestionnaireResponse", 201, 400, 404, 422, body=True),
)
def fhir_questionnaire_response_import(request: HttpRequest) -> HttpResponse:
    """Import a QuestionnaireResponse from another system for a client in your care (``subject``
    ``Patient/<id>``). It is scored on arrival by the same service as the form (source ``fhir``)
    and stored under the instrument's current version. Bad input gets an OperationOutcome naming
    the linkId; nothing is stored."""
    actor = _actor(request)
    try:
        resource = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _outcome([fhir.Issue("the body is not JSON", code="structure")], 400)
    subject = fhir.subject_client_id(resource)
    if isinstance(subject, fhir.Issue):
        return _outcome([subject], 422)
    client = client_get(actor, subject, action="measure.record")
    try:
        instrument, answers, authored = fhir.parse_questionnaire_response(
            resource, get_registry(), base=conf.fhir_base()
        )
    except fhir.FhirImportError as exc:
        _audit_refusal(actor, client.pk, exc.issues)
        return _outcome(exc.issues, 422)
    current = get_registry().get(instrument.id)
    if current.version != instrument.version:
        issue = fhir.Issue(
            f"questionnaire {instrument.id} version {instrument.version} is installed but responses "
            f"are scored under the current version {current.version}; send that version",
            code="business-rule",
            path="QuestionnaireResponse.questionnaire",
        )
        _audit_refusal(actor, client.pk, [issue])
        return _outcome([issue], 422)
    try:
        response = services.response_submit(
            actor, client, instrument.id, answers, source=Source.FHIR, administered_at=authored
        )
    except ValidationError as exc:
        return _outcome(_refusal_issues(exc, instrument), 422)
    reply = _fhir(
        fhir.questionnaire_response_for(instrument, response_data(response), base=conf.fhir_base()), 201
    )
    reply["Location"] = reverse("api:fhir_questionnaire_response", kwargs={"response_id": response.pk})
    return reply


def _audit_refusal(actor: Actor, client_pk: int, issues: list[fhir.Issue]) -> None:
    record(
        actor,
        "fhir.import",
        outcome=Outcome.FAILURE,
        object_type="response",
        client_id=client_pk,
        detail={"issues": [{"code": i.code, "linkId": (i.link_id or "")[:60]} for i in issues[:30]]},
    )


# The resource reads by id and the CapabilityStatement register on ``fhir_router`` (issue #11).
from kapstone.measures import fhir_reads  # noqa: E402, F401
