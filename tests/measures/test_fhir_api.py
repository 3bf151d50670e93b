"""The JSON and FHIR API over HTTP: who may call what, what is stored, what comes back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from tests.conftest import signed_in_client

from kapstone.audit.models import AuditEvent
from kapstone.measures import conf, fhir
from kapstone.measures.instruments import get_instrument
from kapstone.measures.models import Response, SafetyTask, Source

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"
WHEN = datetime(2025, 2, 3, 10, 15, tzinfo=UTC)


def phq9(*values: int) -> dict[str, int]:
    return {f"phq9_{n}": v for n, v in enumerate(values, start=1)}


ANSWERS = phq9(1, 2, 1, 0, 1, 2, 1, 0, 0)  # total 8: mild


def as_(world: Any, name: str) -> HttpClient:
    if name == "anon":
        return HttpClient()
    return signed_in_client(world.users[name])


def post_json(http: HttpClient, url: str, body: object, content_type: str = "application/json") -> Any:
    return http.post(url, data=json.dumps(body), content_type=content_type)


def responses_url(world: Any, client: str = "rowan") -> str:
    return reverse("api:client_responses", kwargs={"client_id": world.clients[client].pk})


def qr_for(world: Any, answers: dict[str, Any], client: str = "rowan", **changes: Any) -> dict[str, Any]:
    instrument = get_instrument("phq9")
    data = fhir.ResponseData(
        id="incoming",
        client_id=world.clients[client].pk,
        answers=answers,
        administered_at=WHEN,
        complete=True,
    )
    resource = fhir.questionnaire_response_for(instrument, data, base=conf.fhir_base())
    del resource["id"]
    resource.update(changes)
    return resource


IMPORT_URL = "/api/fhir/QuestionnaireResponse"


def issues_of(reply: Any) -> list[dict[str, Any]]:
    assert reply["Content-Type"] == FHIR_JSON
    body = reply.json()
    OperationOutcome.model_validate(body)
    return list(body["issue"])


# --- Schema ------------------------------------------------------------------------------------------


def _api_routes() -> set[str]:
    """Every path the API serves, from the URL resolver (ninja's <int:x> written as OpenAPI {x})."""
    import re

    found: set[str] = set()

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and prefix.startswith("api/"):
                found.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + prefix + str(entry.pattern)))

    walk(get_resolver(), "")
    return found - {"/api/", "/api/openapi.json"}


def test_openapi_schema_lists_every_endpoint(world: Any) -> None:
    reply = as_(world, "theo").get("/api/openapi.json")
    assert reply.status_code == 200
    schema = reply.json()
    paths = schema["paths"]
    expected = {
        "/api/instruments": {"get"},
        "/api/instruments/{instrument_id}": {"get"},
        "/api/clients/{client_id}/responses": {"get", "post"},
        "/api/fhir/Questionnaire/{questionnaire_id}": {"get"},
        "/api/fhir/QuestionnaireResponse/{response_id}": {"get"},
        "/api/fhir/Patient/{client_id}/QuestionnaireResponse": {"get"},
        "/api/fhir/Patient/{client_id}/Observation": {"get"},
        "/api/fhir/QuestionnaireResponse": {"get", "post"},  # GET answers 405 (Allow: POST)
    }
    served = {p: set(ops) & {"get", "post"} for p, ops in paths.items()}
    assert {p: served.get(p) for p in expected} == expected  # other apps' routes are listed too
    assert set(paths) == _api_routes()  # nothing served that the schema does not describe
    fhir_ops = paths["/api/fhir/Patient/{client_id}/Observation"]["get"]
    assert FHIR_JSON in fhir_ops["responses"]["200"]["content"]
    assert FHIR_JSON in paths["/api/fhir/QuestionnaireResponse"]["post"]["requestBody"]["content"]


@pytest.mark.parametrize("who", ["anon", "rowan_portal"])
def test_schema_is_for_staff(world: Any, who: str) -> None:
    assert as_(world, who).get("/api/openapi.json").status_code == 401


# --- Instruments -------------------------------------------------------------------------------------


def test_instrument_list_and_detail(world: Any) -> None:
    http = as_(world, "avery")  # no client data: any staff member
    listed = http.get("/api/instruments").json()
    ids = {i["id"] for i in listed}
    assert {"phq9", "gad7"} <= ids
    phq = next(i for i in listed if i["id"] == "phq9")
    assert phq["loinc_total"] == "44261-6"
    assert phq["questionnaire"] == f"{conf.fhir_base()}/Questionnaire/phq9|1.0.0"
    detail = http.get("/api/instruments/phq9").json()
    assert [i["loinc"] for i in detail["items"]][:2] == ["44250-9", "44255-8"]
    assert detail["items"][0]["options"][3] == {"value": 3, "label": "Nearly every day", "loinc": "LA6571-9"}
    assert detail["bands"][0] == {"min": 0, "max": 4, "label": "Minimal depression"}
    assert http.get("/api/instruments/nope").status_code == 404
    assert http.get("/api/instruments/phq9?version=9.9").status_code == 404


# --- Recording and listing responses -------------------------------------------------------------------


def test_post_response_scores_and_stores_through_the_service(world: Any) -> None:
    reply = post_json(
        as_(world, "theo"),
        responses_url(world),
        {"instrument": "phq9", "answers": ANSWERS, "administered_at": WHEN.isoformat()},
    )
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert (body["total"], body["band"], body["complete"]) == (8, "Mild depression", True)
    stored = Response.objects.get(pk=body["id"])
    assert stored.client_id == world.clients["rowan"].pk
    assert (stored.source, stored.instrument_version, stored.administered_at) == (
        Source.CLINICIAN,
        "1.0.0",
        WHEN,
    )
    assert stored.recorded_by_id == world.users["theo"].pk
    assert AuditEvent.objects.filter(action="measure.record", object_id=str(stored.pk)).exists()


def test_incomplete_answers_get_422_naming_each_item_and_store_nothing(world: Any) -> None:
    answers = dict(ANSWERS)
    del answers["phq9_3"]
    answers["phq9_5"] = 9
    reply = post_json(as_(world, "theo"), responses_url(world), {"instrument": "phq9", "answers": answers})
    assert reply.status_code == 422
    errors = reply.json()["errors"]
    assert {"phq9_3", "phq9_5"} <= {e["field"] for e in errors}
    assert not Response.objects.exists()


@pytest.mark.parametrize("body", [
    {"instrument": "phq9", "answers": {"phq9_1": "2"}},  # a string is not a number
    {"instrument": "phq9", "answers": {"phq9_1": True}},
    {"instrument": "phq9", "answers": phq9(*[0] * 9), "administered_at": "2025-01-01T10:00:00"},  # no zone
    {"instrument": "phq9", "answers": phq9(*[0] * 9), "client": 99},  # unknown field
])  # fmt: skip
def test_malformed_bodies_are_refused(world: Any, body: dict[str, Any]) -> None:
    reply = post_json(as_(world, "theo"), responses_url(world), body)
    assert reply.status_code == 422
    assert not Response.objects.exists()


def test_unknown_instrument_and_future_time_are_422(world: Any) -> None:
    http = as_(world, "theo")
    assert post_json(http, responses_url(world), {"instrument": "nope", "answers": {}}).status_code == 422
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    reply = post_json(
        http, responses_url(world), {"instrument": "phq9", "answers": ANSWERS, "administered_at": future}
    )
    assert reply.status_code == 422 and "administered_at" in {e["field"] for e in reply.json()["errors"]}


def test_list_is_scoped_and_audited(world: Any) -> None:
    http = as_(world, "theo")
    post_json(http, responses_url(world), {"instrument": "phq9", "answers": ANSWERS})
    post_json(
        http, responses_url(world), {"instrument": "gad7", "answers": {f"gad7_{n}": 1 for n in range(1, 8)}}
    )
    before = AuditEvent.objects.filter(action="measure.view").count()
    listed = as_(world, "sam").get(responses_url(world)).json()  # the supervisor reads
    assert [r["instrument"] for r in listed] == ["phq9", "gad7"]
    assert as_(world, "sam").get(responses_url(world) + "?instrument=gad7").json()[0]["total"] == 7
    assert AuditEvent.objects.filter(action="measure.view").count() > before
    event = AuditEvent.objects.filter(action="measure.view", object_type="response").latest("id")
    assert event.client_id == world.clients["rowan"].pk and event.actor_id == world.users["sam"].pk


def test_api_and_html_form_store_the_same_response(world: Any) -> None:
    http = as_(world, "theo")
    api_reply = post_json(
        http,
        responses_url(world),
        {"instrument": "phq9", "answers": ANSWERS | {"phq9_10": 1}, "administered_at": WHEN.isoformat()},
    )
    assert api_reply.status_code == 201
    form_url = reverse(
        "measures:record_form", kwargs={"pk": world.clients["rowan"].pk, "instrument_id": "phq9"}
    )
    form_data = {k: str(v) for k, v in (ANSWERS | {"phq9_10": 1}).items()}
    form_reply = http.post(form_url, form_data | {"administered_at": "2025-02-03T10:15"})
    assert form_reply.status_code == 302, form_reply.content[:2000]
    via_api, via_form = Response.objects.order_by("pk")
    fields = (
        "client_id",
        "organization_id",
        "instrument_id",
        "instrument_version",
        "answers",
        "result",
        "total",
        "band",
        "complete",
        "administered_at",
        "source",
        "recorded_by_id",
    )
    assert {f: getattr(via_api, f) for f in fields} == {f: getattr(via_form, f) for f in fields}


# --- CSRF --------------------------------------------------------------------------------------------


def _csrf_client(world: Any, name: str) -> tuple[HttpClient, str]:
    http = signed_in_client(world.users[name])
    http.handler.enforce_csrf_checks = True
    token = _get_new_csrf_string()
    http.cookies[settings.CSRF_COOKIE_NAME] = token
    return http, token


def test_unsafe_methods_need_the_csrf_token(world: Any) -> None:
    http, token = _csrf_client(world, "theo")
    body = json.dumps({"instrument": "phq9", "answers": ANSWERS})
    refused = http.post(responses_url(world), body, content_type="application/json")
    assert refused.status_code == 403
    assert (
        http.post(IMPORT_URL, json.dumps(qr_for(world, ANSWERS)), content_type=FHIR_JSON).status_code == 403
    )
    assert not Response.objects.exists()
    accepted = http.post(
        responses_url(world), body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    assert http.get(responses_url(world)).status_code == 200  # safe methods need no token


# --- Access: 401 for non-staff, 404 for not yours -------------------------------------------------------


def _rowan_urls(world: Any) -> list[tuple[str, str]]:
    pk = world.clients["rowan"].pk
    return [
        ("get", f"/api/clients/{pk}/responses"),
        ("post", f"/api/clients/{pk}/responses"),
        ("get", f"/api/fhir/Patient/{pk}/QuestionnaireResponse"),
        ("get", f"/api/fhir/Patient/{pk}/Observation"),
        ("post", IMPORT_URL),
    ]


def _call(http: HttpClient, method: str, url: str, world: Any) -> Any:
    if method == "get":
        return http.get(url)
    if url == IMPORT_URL:
        return post_json(http, url, qr_for(world, ANSWERS), FHIR_JSON)
    return post_json(http, url, {"instrument": "phq9", "answers": ANSWERS})


@pytest.mark.parametrize("who", ["tamsin", "olive", "avery"])
def test_not_yours_is_404_everywhere(world: Any, who: str) -> None:
    http = as_(world, who)
    for method, url in _rowan_urls(world):
        reply = _call(http, method, url, world)
        assert reply.status_code == 404, (who, method, url)
    assert not Response.objects.exists()
    stored = _store(world)
    assert http.get(f"/api/fhir/QuestionnaireResponse/{stored.pk}").status_code == 404


@pytest.mark.parametrize("who", ["anon", "rowan_portal"])
def test_non_staff_get_401_everywhere(world: Any, who: str) -> None:
    http = as_(world, who)
    stored = _store(world)
    urls = [
        *_rowan_urls(world),
        ("get", "/api/instruments"),
        ("get", "/api/instruments/phq9"),
        ("get", "/api/fhir/Questionnaire/phq9"),
        ("get", f"/api/fhir/QuestionnaireResponse/{stored.pk}"),
        ("get", IMPORT_URL),
    ]
    for method, url in urls:
        reply = _call(http, method, url, world)
        assert reply.status_code == 401, (who, method, url)
        if "/fhir/" in url:
            assert issues_of(reply)[0]["code"] == "login"
    assert Response.objects.count() == 1


def test_supervisor_may_read_but_not_record(world: Any) -> None:
    http = as_(world, "sam")
    assert _call(http, "post", responses_url(world), world).status_code == 404
    assert _call(http, "post", IMPORT_URL, world).status_code == 404
    assert http.get(responses_url(world)).status_code == 200


def test_get_on_the_import_url_is_405_for_staff(world: Any) -> None:
    reply = as_(world, "theo").get(IMPORT_URL)
    assert reply.status_code == 405
    assert issues_of(reply)[0]["code"] == "not-supported" and reply["Allow"] == "POST"


# --- FHIR reads ----------------------------------------------------------------------------------------


def _store(
    world: Any, answers: dict[str, int] | None = None, instrument: str = "phq9", when: datetime = WHEN
) -> Response:
    from kapstone.core.actor import Actor
    from kapstone.measures.services import response_submit

    theo = Actor(user=world.users["theo"], organization=world.org_a, roles=frozenset({"therapist"}))
    return response_submit(
        theo,
        world.clients["rowan"],
        instrument,
        answers or ANSWERS,
        administered_at=when,
    )


def test_questionnaire_endpoint(world: Any) -> None:
    http = as_(world, "theo")
    reply = http.get("/api/fhir/Questionnaire/phq9")
    assert reply.status_code == 200 and reply["Content-Type"] == FHIR_JSON
    Questionnaire.model_validate(reply.json())
    assert reply.json()["url"] == f"{conf.fhir_base()}/Questionnaire/phq9"
    assert http.get("/api/fhir/Questionnaire/cssrs-screener").json()["id"] == "cssrs-screener"
    assert http.get("/api/fhir/Questionnaire/phq9?version=1.0.0").status_code == 200
    missing = http.get("/api/fhir/Questionnaire/nope")
    assert missing.status_code == 404 and issues_of(missing)[0]["code"] == "not-found"


def test_questionnaire_response_bundle_is_streamed_valid_and_audited(world: Any) -> None:
    first = _store(world)
    _store(world, {f"gad7_{n}": 2 for n in range(1, 8)}, "gad7", WHEN + timedelta(days=1))
    reply = as_(world, "sam").get(f"/api/fhir/Patient/{world.clients['rowan'].pk}/QuestionnaireResponse")
    assert reply.status_code == 200 and reply.streaming and reply["Content-Type"] == FHIR_JSON
    bundle = json.loads(b"".join(reply.streaming_content))  # type: ignore[attr-defined]
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == 2
    resources = [e["resource"] for e in bundle["entry"]]
    for resource in resources:
        QuestionnaireResponse.model_validate(resource)
    assert resources[0]["id"] == str(first.pk)
    assert resources[0]["questionnaire"].endswith("/Questionnaire/phq9|1.0.0")
    assert resources[1]["questionnaire"].endswith("/Questionnaire/gad7|1.0.0")
    assert bundle["entry"][0]["fullUrl"].endswith(f"/api/fhir/QuestionnaireResponse/{first.pk}")
    event = AuditEvent.objects.filter(action="fhir.read").latest("id")
    assert (
        event.client_id == world.clients["rowan"].pk and event.detail["resource"] == "QuestionnaireResponse"
    )


def test_observation_bundle_is_streamed_with_bounded_queries(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    for day in range(12):
        _store(world, when=WHEN + timedelta(days=day))
    http = as_(world, "theo")
    url = f"/api/fhir/Patient/{world.clients['rowan'].pk}/Observation"
    with django_assert_max_num_queries(25):  # not one query per response
        reply = http.get(url)
        body = b"".join(reply.streaming_content)  # type: ignore[attr-defined]
    assert reply.status_code == 200 and reply["Content-Type"] == FHIR_JSON
    bundle = json.loads(body)
    Bundle.model_validate(bundle)
    observations = [e["resource"] for e in bundle["entry"]]
    totals = [o for o in observations if o["code"]["coding"][0]["code"] == "44261-6"]
    assert len(totals) == 12
    assert totals[0]["valueInteger"] == 8 and totals[0]["interpretation"] == [{"text": "Mild depression"}]
    assert totals[0]["derivedFrom"][0]["reference"].startswith("QuestionnaireResponse/")
    assert len(observations) == 12 * 10  # total + nine answered LOINC-coded items each
    assert AuditEvent.objects.filter(action="fhir.read", detail__resource="Observation").exists()


def test_single_questionnaire_response(world: Any) -> None:
    stored = _store(world)
    reply = as_(world, "priya").get(f"/api/fhir/QuestionnaireResponse/{stored.pk}")
    assert reply.status_code == 200
    assert reply.json()["subject"] == {"reference": f"Patient/{world.clients['rowan'].pk}"}
    assert as_(world, "priya").get("/api/fhir/QuestionnaireResponse/999999").status_code == 404


# --- FHIR import ---------------------------------------------------------------------------------------


def test_import_scores_on_arrival_and_stores_source_fhir_with_the_version(world: Any) -> None:
    answers = phq9(2, 2, 2, 1, 1, 1, 1, 0, 1)  # total 11, item 9 answered 1: a safety task
    reply = post_json(as_(world, "theo"), IMPORT_URL, qr_for(world, answers), FHIR_JSON)
    assert reply.status_code == 201, reply.content
    assert reply["Content-Type"] == FHIR_JSON
    body = reply.json()
    QuestionnaireResponse.model_validate(body)
    stored = Response.objects.get()
    assert body["id"] == str(stored.pk)
    assert reply["Location"] == f"/api/fhir/QuestionnaireResponse/{stored.pk}"
    assert (stored.source, stored.instrument_id, stored.instrument_version) == (Source.FHIR, "phq9", "1.0.0")
    assert (stored.total, stored.band, stored.complete) == (11, "Moderate depression", True)
    assert stored.administered_at == WHEN
    assert stored.answers == answers
    task = SafetyTask.objects.get()
    assert (task.source, task.response_id, task.flag_id) == (Source.FHIR, stored.pk, "phq9_item9")


def test_import_accepts_plain_integers_and_no_version(world: Any) -> None:
    resource = qr_for(world, ANSWERS, questionnaire="https://kapstone.example/fhir/Questionnaire/phq9")
    for entry in resource["item"]:
        entry["answer"] = [{"valueInteger": ANSWERS[entry["linkId"]]}]
    reply = post_json(as_(world, "toby"), IMPORT_URL, resource, "application/json")
    assert reply.status_code == 201
    assert Response.objects.get().recorded_by_id == world.users["toby"].pk


def _refused(
    world: Any, resource: object, status: int = 422, raw: bytes | None = None
) -> list[dict[str, Any]]:
    http = as_(world, "theo")
    if raw is not None:
        reply = http.post(IMPORT_URL, data=raw, content_type=FHIR_JSON)
    else:
        reply = post_json(http, IMPORT_URL, resource, FHIR_JSON)
    assert reply.status_code == status, reply.content
    assert not Response.objects.exists()
    return issues_of(reply)


def test_import_of_an_unknown_link_id_names_it(world: Any) -> None:
    resource = qr_for(world, ANSWERS)
    resource["item"].append({"linkId": "phq9_11", "answer": [{"valueInteger": 1}]})
    issues = _refused(world, resource)
    assert issues[0]["expression"] == ["QuestionnaireResponse.item.where(linkId='phq9_11')"]
    assert "phq9_11" in issues[0]["diagnostics"]
    event = AuditEvent.objects.filter(action="fhir.import").latest("id")
    assert event.outcome == "failure" and event.detail["issues"][0]["linkId"] == "phq9_11"


def test_import_of_a_non_numeric_answer_names_the_link_id(world: Any) -> None:
    resource = qr_for(world, ANSWERS)
    resource["item"][4]["answer"] = [{"valueString": "sometimes"}]
    issues = _refused(world, resource)
    assert issues[0]["expression"] == ["QuestionnaireResponse.item.where(linkId='phq9_5')"]


def test_import_of_a_duplicate_answer_is_refused(world: Any) -> None:
    resource = qr_for(world, ANSWERS)
    resource["item"].append(json.loads(json.dumps(resource["item"][0])))
    issues = _refused(world, resource)
    assert issues[0]["code"] == "duplicate" and "phq9_1" in issues[0]["diagnostics"]


def test_import_of_an_incomplete_response_names_the_missing_item(world: Any) -> None:
    answers = dict(ANSWERS)
    del answers["phq9_7"]
    issues = _refused(world, qr_for(world, answers))
    named = [i for i in issues if i.get("expression")]
    assert named[0]["expression"] == ["QuestionnaireResponse.item.where(linkId='phq9_7')"]


def test_import_of_an_unknown_questionnaire(world: Any) -> None:
    issues = _refused(
        world, qr_for(world, ANSWERS, questionnaire="https://kapstone.example/fhir/Questionnaire/x")
    )
    assert issues[0]["code"] == "not-found"


def test_import_with_a_future_authored_time(world: Any) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    issues = _refused(world, qr_for(world, ANSWERS, authored=future))
    assert issues[0]["expression"] == ["QuestionnaireResponse.authored"]


def test_import_of_bad_json_and_bad_subjects(world: Any) -> None:
    assert _refused(world, None, 400, raw=b"{not json")[0]["code"] == "structure"
    assert _refused(world, qr_for(world, ANSWERS, subject={"reference": "Group/1"}))[0]["code"] == "required"
    # Someone else's client (same organization, other care team) and another organization's client.
    for other in ("harper", "oona"):
        issues = _refused(world, qr_for(world, ANSWERS, client=other), status=404)
        assert issues[0]["code"] == "not-found"


def test_a_response_whose_definition_version_is_gone_is_reported_not_guessed(world: Any) -> None:
    kept, gone = _store(world), _store(world, when=WHEN + timedelta(days=1))
    Response.objects.filter(pk=gone.pk).update(instrument_version="0.9.0")
    http = as_(world, "theo")
    for kind in ("QuestionnaireResponse", "Observation"):
        reply = http.get(f"/api/fhir/Patient/{world.clients['rowan'].pk}/{kind}")
        bundle = json.loads(b"".join(reply.streaming_content))  # type: ignore[attr-defined]
        Bundle.model_validate(bundle)
        outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
        assert [e["resource"]["id"] for e in outcomes] == [f"unmapped-{gone.pk}"]
        matches = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
        assert matches and all(str(kept.pk) in json.dumps(r) for r in matches)
    single = http.get(f"/api/fhir/QuestionnaireResponse/{gone.pk}")
    assert single.status_code == 404 and "0.9.0" in issues_of(single)[0]["diagnostics"]
