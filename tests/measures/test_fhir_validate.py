"""Every resource the export produces validates with fhir.resources (R4B), for every installed
instrument; a round trip through a QuestionnaireResponse keeps the answers; import fails closed."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.measures import fhir
from kapstone.measures.scoring import Instrument, default_registry, score
from kapstone.measures.scoring.definition import Item

REGISTRY = default_registry()
ALL = [(i.id, i.version) for i in REGISTRY.all()]
WHEN = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def get(key: tuple[str, str]) -> Instrument:
    return REGISTRY.get(*key)


def value_strategy(item: Item) -> st.SearchStrategy[Any]:
    response = item.response
    if response.kind == "choice":
        return st.sampled_from([o.value for o in response.options])
    if response.integer:
        return st.integers(int(response.min), int(response.max))
    return st.floats(float(response.min), float(response.max), allow_nan=False, allow_infinity=False)


@st.composite
def any_answers(draw: st.DrawFn, ins: Instrument) -> dict[str, Any]:
    """Any subset of items with valid values (not necessarily a complete response)."""
    out: dict[str, Any] = {}
    for item in ins.items:
        if draw(st.booleans()):
            out[item.id] = draw(value_strategy(item))
    return out


@st.composite
def complete_answers(draw: st.DrawFn, ins: Instrument) -> dict[str, Any]:
    """A complete response: every item a value, then the ones skip logic leaves out removed."""
    answers = {item.id: draw(value_strategy(item)) for item in ins.items}
    for item in ins.items:
        if not item.required and draw(st.booleans()):
            answers.pop(item.id)
    for _ in range(len(ins.items)):
        skipped = {e["item"] for e in score(ins, answers).errors if e["code"] == "must_be_skipped"}
        if not skipped:
            break
        for item_id in skipped:
            answers.pop(str(item_id))
    return answers


def response_data(ins: Instrument, answers: dict[str, Any], rid: int = 11) -> fhir.ResponseData:
    result = score(ins, answers)
    return fhir.ResponseData(
        id=rid,
        client_id=3,
        answers=answers,
        administered_at=WHEN,
        complete=result.complete,
        total=result.total,
        band=result.band,
        subscales={k: v["score"] for k, v in result.subscales.items()},  # type: ignore[misc]
    )


# --- Every resource validates --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL, ids=[f"{i}-{v}" for i, v in ALL])
def test_questionnaire_validates(key: tuple[str, str]) -> None:
    resource = fhir.questionnaire_for(get(key))
    parsed = Questionnaire.model_validate(resource)
    assert parsed.url == resource["url"]
    assert len(parsed.item or []) == len(get(key).items)
    json.dumps(resource)  # plain JSON, no model objects inside


@pytest.mark.parametrize("key", ALL, ids=[f"{i}-{v}" for i, v in ALL])
@FAST
@given(data=st.data())
def test_every_exported_resource_validates(key: tuple[str, str], data: st.DataObject) -> None:
    ins = get(key)
    answers = data.draw(complete_answers(ins))
    rd = response_data(ins, answers)
    assert rd.complete, score(ins, answers).errors
    qr = fhir.questionnaire_response_for(ins, rd)
    QuestionnaireResponse.model_validate(qr)
    observations = fhir.observations_for(ins, rd)
    for obs in observations:
        Observation.model_validate(obs)
    assert observations and observations[0]["id"].endswith("-total")
    bundle = fhir.searchset([qr, *observations], self_url="https://h.example/x", base_url="https://h.example")
    Bundle.model_validate(bundle)
    json.dumps([qr, observations])


@pytest.mark.parametrize("key", ALL, ids=[f"{i}-{v}" for i, v in ALL])
@FAST
@given(data=st.data())
def test_partial_responses_validate_too(key: tuple[str, str], data: st.DataObject) -> None:
    ins = get(key)
    answers = data.draw(any_answers(ins))
    rd = fhir.ResponseData(id="p1", client_id=3, answers=answers, administered_at=WHEN, complete=False)
    QuestionnaireResponse.model_validate(fhir.questionnaire_response_for(ins, rd))
    for obs in fhir.observations_for(ins, rd):
        Observation.model_validate(obs)


# --- Round trip --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL, ids=[f"{i}-{v}" for i, v in ALL])
@FAST
@given(data=st.data())
def test_round_trip_keeps_the_answers(key: tuple[str, str], data: st.DataObject) -> None:
    ins = get(key)
    answers = data.draw(any_answers(ins))
    rd = fhir.ResponseData(id=1, client_id=3, answers=answers, administered_at=WHEN, complete=True)
    qr = json.loads(json.dumps(fhir.questionnaire_response_for(ins, rd)))  # through the wire
    parsed, got, authored = fhir.parse_questionnaire_response(qr, REGISTRY)
    assert (parsed.id, parsed.version) == key
    assert got == answers
    assert authored == WHEN


@pytest.mark.parametrize("key", ALL, ids=[f"{i}-{v}" for i, v in ALL])
@FAST
@given(data=st.data())
def test_round_trip_with_plain_numbers_instead_of_codings(key: tuple[str, str], data: st.DataObject) -> None:
    ins = get(key)
    answers = data.draw(any_answers(ins))
    rd = fhir.ResponseData(id=1, client_id=3, answers=answers, administered_at=WHEN, complete=True)
    qr = fhir.questionnaire_response_for(ins, rd)
    for entry in qr.get("item", []):
        entry["answer"] = (
            [{"valueInteger": answers[entry["linkId"]]}]
            if isinstance(answers[entry["linkId"]], int)
            else [{"valueDecimal": answers[entry["linkId"]]}]
        )
    qr["questionnaire"] = fhir.canonical_url(ins)  # no |version: the newest installed
    parsed, got, _ = fhir.parse_questionnaire_response(qr, REGISTRY)
    assert got == answers
    assert parsed.id == ins.id


# --- Import fails closed -----------------------------------------------------------------------------

PHQ9 = REGISTRY.get("phq9")
ITEMS = {item.id: item for item in PHQ9.items}


def phq9_qr(**changes: Any) -> dict[str, Any]:
    answers = {f"phq9_{n}": 1 for n in range(1, 10)}
    rd = fhir.ResponseData(id=1, client_id=3, answers=answers, administered_at=WHEN, complete=True)
    qr = copy.deepcopy(fhir.questionnaire_response_for(PHQ9, rd))
    qr.update(changes)
    return qr


def refused(resource: object) -> list[fhir.Issue]:
    with pytest.raises(fhir.FhirImportError) as caught:
        fhir.parse_questionnaire_response(resource, REGISTRY)
    issues = caught.value.issues
    assert issues
    OperationOutcome.model_validate(fhir.operation_outcome(issues))
    return issues


def with_answer(link_id: str, answer: object) -> dict[str, Any]:
    qr = phq9_qr()
    for entry in qr["item"]:
        if entry["linkId"] == link_id:
            entry["answer"] = [answer]
    return qr


@pytest.mark.parametrize(("answer", "needle"), [
    ({"valueString": "2"}, "not a numeric answer"),
    ({"valueBoolean": True}, "not a numeric answer"),
    ({"valueInteger": "2"}, "not a whole number"),  # fhir.resources would coerce "2" to 2: we do not
    ({"valueInteger": True}, "not a whole number"),
    ({"valueInteger": 7}, "not an allowed answer"),
    ({"valueDecimal": 1.5}, "not a whole number"),
    ({"valueCoding": {"system": "http://loinc.org", "code": "LA33-6"}}, "answer options"),
    ({"valueCoding": {"system": "http://example.org/other", "code": "1"}}, "answer options"),
    ({}, "exactly one value"),
])  # fmt: skip
def test_bad_answers_are_refused_naming_the_link_id(answer: dict[str, Any], needle: str) -> None:
    issues = refused(with_answer("phq9_4", answer))
    assert [i.link_id for i in issues] == ["phq9_4"]
    assert needle in issues[0].message
    assert "phq9_4" in issues[0].message


def test_unknown_link_id_is_refused() -> None:
    qr = phq9_qr()
    qr["item"].append({"linkId": "phq9_99", "answer": [{"valueInteger": 1}]})
    issues = refused(qr)
    assert issues[0].link_id == "phq9_99" and "not an item of phq9" in issues[0].message


def test_a_repeated_link_id_is_refused() -> None:
    qr = phq9_qr()
    qr["item"].append(copy.deepcopy(qr["item"][2]))
    issues = refused(qr)
    assert [(i.link_id, i.code) for i in issues] == [("phq9_3", "duplicate")]


def test_two_answers_to_one_item_are_refused() -> None:
    qr = phq9_qr()
    qr["item"][0]["answer"].append({"valueInteger": 2})
    assert refused(qr)[0].link_id == "phq9_1"


def test_nested_items_are_refused() -> None:
    qr = phq9_qr()
    qr["item"] = [{"linkId": "group", "item": qr["item"]}]
    assert refused(qr)[0].link_id == "group"


@pytest.mark.parametrize("questionnaire", [
    "https://kapstone.example/fhir/Questionnaire/nope",
    "https://kapstone.example/fhir/Questionnaire/phq9|9.9.9",
    "http://loinc.org/q/44249-1",
    "",
])  # fmt: skip
def test_unknown_questionnaires_are_refused(questionnaire: str) -> None:
    issues = refused(phq9_qr(questionnaire=questionnaire))
    assert issues[-1].code in ("not-found", "required")
    assert issues[-1].expression == "QuestionnaireResponse.questionnaire"


def test_questionnaire_may_be_named_without_version_or_by_fhir_id() -> None:
    for ref in (fhir.canonical_url(PHQ9), "https://kapstone.example/fhir/Questionnaire/phq9|1.0.0"):
        assert fhir.parse_questionnaire_response(phq9_qr(questionnaire=ref), REGISTRY)[0] is PHQ9
    cssrs = REGISTRY.get("cssrs_screener")
    rd = fhir.ResponseData(id=1, client_id=3, answers={"cssrs_1": 0}, administered_at=WHEN, complete=True)
    qr = fhir.questionnaire_response_for(cssrs, rd)
    qr["questionnaire"] = "https://kapstone.example/fhir/Questionnaire/cssrs-screener"
    assert fhir.parse_questionnaire_response(qr, REGISTRY)[0] is cssrs


@pytest.mark.parametrize(("changes", "expression"), [
    ({"status": "in-progress"}, "QuestionnaireResponse.status"),
    ({"authored": "2025-01-01"}, "QuestionnaireResponse.authored"),
    ({"authored": "2025-01-01T10:00:00"}, "QuestionnaireResponse.authored"),
])  # fmt: skip
def test_resource_level_problems_name_the_element(changes: dict[str, Any], expression: str) -> None:
    assert [i.expression for i in refused(phq9_qr(**changes))] == [expression]


def test_structure_errors_from_fhir_resources_are_reported() -> None:
    qr = phq9_qr()
    qr["item"][1]["answer"][0]["valueInteger"] = "x"
    del qr["item"][1]["answer"][0]["valueCoding"]
    issues = refused(qr)
    assert issues[0].link_id == "phq9_2" and issues[0].code == "structure"
    assert refused({"resourceType": "QuestionnaireResponse"})[0].code == "structure"  # status is required
    assert refused({"resourceType": "Patient"})[0].code == "structure"
    assert refused(["not", "an", "object"])[0].code == "structure"
    assert refused(phq9_qr(unexpected=1))[0].code == "structure"


def test_authored_is_optional_and_parsed_with_its_zone() -> None:
    qr = phq9_qr()
    del qr["authored"]
    assert fhir.parse_questionnaire_response(qr, REGISTRY)[2] is None
    qr["authored"] = "2025-01-31T09:30:00Z"
    assert fhir.parse_questionnaire_response(qr, REGISTRY)[2] == datetime(2025, 1, 31, 9, 30, tzinfo=UTC)


def test_subject_must_be_a_patient_reference() -> None:
    assert fhir.subject_client_id(phq9_qr()) == 3
    for subject in (None, {"reference": "Group/3"}, {"reference": "Patient/abc"}, {"display": "Rowan"}):
        result = fhir.subject_client_id(phq9_qr(subject=subject))
        assert isinstance(result, fhir.Issue) and result.expression == "QuestionnaireResponse.subject"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    link=st.sampled_from([f"phq9_{n}" for n in range(1, 11)] + ["x", ""]),
    answer=JSON,
    key=st.sampled_from(["valueInteger", "valueDecimal", "valueCoding", "valueString", "item", "answer"]),
)
def test_import_never_guesses(link: str, answer: object, key: str) -> None:
    """Whatever arrives, the parser either returns valid answers or refuses with issues."""
    qr = phq9_qr()
    qr["item"][0] = {"linkId": link, "answer": [{key: answer}]}
    try:
        _, answers, _ = fhir.parse_questionnaire_response(qr, REGISTRY)
    except fhir.FhirImportError as exc:
        assert exc.issues
        return
    for item_id, value in answers.items():
        assert value in {o.value for o in ITEMS[item_id].response.options}, (item_id, value)
        assert type(value) is int
