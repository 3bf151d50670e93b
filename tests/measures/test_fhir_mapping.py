"""The FHIR mapping, read as a specification: codes, values, references (pure, no database)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from kapstone.measures import fhir
from kapstone.measures.scoring import Instrument, default_registry, score

REGISTRY = default_registry()
WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def instrument(instrument_id: str) -> Instrument:
    return REGISTRY.get(instrument_id)


def data_for(
    ins: Instrument, answers: dict[str, Any], rid: int = 42, client_id: int = 7
) -> fhir.ResponseData:
    result = score(ins, answers)
    return fhir.ResponseData(
        id=rid,
        client_id=client_id,
        answers=answers,
        administered_at=WHEN,
        complete=result.complete,
        total=result.total,
        band=result.band,
        subscales={k: v["score"] for k, v in result.subscales.items()},  # type: ignore[misc]
    )


def phq9_answers(*values: int) -> dict[str, Any]:
    return {f"phq9_{i}": v for i, v in enumerate(values, start=1)}


def by_code(observations: list[dict[str, Any]], code: str) -> dict[str, Any]:
    found = [o for o in observations if any(c["code"] == code for c in o["code"]["coding"])]
    assert len(found) == 1, f"expected one Observation coded {code}, found {len(found)}"
    return found[0]


# --- Questionnaire -----------------------------------------------------------------------------------


def test_phq9_questionnaire_has_canonical_url_version_panel_code_and_loinc_items() -> None:
    q = fhir.questionnaire_for(instrument("phq9"))
    assert q["url"] == f"{fhir.DEV_BASE}/Questionnaire/phq9"
    assert q["version"] == "1.0.0"
    assert q["status"] == "active"
    assert q["code"] == [
        {"system": "http://loinc.org", "code": "44249-1", "display": "Patient Health Questionnaire-9 (PHQ-9)"}
    ]
    link_ids = [i["linkId"] for i in q["item"]]
    assert link_ids == [f"phq9_{n}" for n in range(1, 11)]
    codes = [i["code"][0]["code"] for i in q["item"]]
    assert codes == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]
    first = q["item"][0]
    assert first["type"] == "choice" and first["required"] is True
    assert first["text"] == "Little interest or pleasure in doing things"
    options = [o["valueCoding"] for o in first["answerOption"]]
    assert [(o["system"], o["code"], o["display"]) for o in options] == [
        ("http://loinc.org", "LA6568-5", "Not at all"),
        ("http://loinc.org", "LA6569-3", "Several days"),
        ("http://loinc.org", "LA6570-1", "More than half the days"),
        ("http://loinc.org", "LA6571-9", "Nearly every day"),
    ]
    assert [o["extension"][0]["valueDecimal"] for o in options] == [0, 1, 2, 3]
    assert q["item"][9]["required"] is False  # the difficulty item is optional


def test_options_without_a_loinc_answer_code_use_the_option_value_in_a_kapstone_code_system() -> None:
    q = fhir.questionnaire_for(instrument("pcl5"))
    first = q["item"][0]
    assert "code" not in first  # PCL-5 item codes are UNCONFIRMED: none is invented
    assert q["code"] == [
        {"system": "http://loinc.org", "code": "101697-1", "display": "PTSD Checklist for DSM-5 (PCL-5)"}
    ]
    coding = first["answerOption"][2]["valueCoding"]
    assert coding["system"] == f"{fhir.DEV_BASE}/CodeSystem/pcl5/bother"
    assert (coding["code"], coding["display"]) == ("2", "Moderately")


def test_item_text_is_left_out_when_the_clinic_supplies_it() -> None:
    for ins in REGISTRY.all():
        q = fhir.questionnaire_for(ins)
        has_text = ["text" in i for i in q["item"]]
        if ins.item_text_supplied_by_clinic:
            assert not any(has_text), ins.id
        else:
            assert all(has_text), ins.id


def test_range_items_are_numeric_with_min_and_max() -> None:
    q = fhir.questionnaire_for(instrument("ebi"))
    item = q["item"][0]
    assert item["type"] == "integer"
    assert "answerOption" not in item
    limits = {e["url"].rsplit("/", 1)[1]: e["valueInteger"] for e in item["extension"]}
    assert limits == {"minValue": 0, "maxValue": 100}


def test_cssrs_skip_logic_becomes_enable_when() -> None:
    q = fhir.questionnaire_for(instrument("cssrs_screener"))
    items = {i["linkId"]: i for i in q["item"]}
    assert "enableWhen" not in items["cssrs_1"]
    assert items["cssrs_3"]["enableWhen"] == [
        {
            "question": "cssrs_2",
            "operator": "=",
            "answerCoding": {"system": "http://loinc.org", "code": "LA33-6", "display": "Yes"},
        }
    ]
    assert items["cssrs_6b"]["enableWhen"][0]["question"] == "cssrs_6"
    assert q["id"] == "cssrs-screener"  # FHIR ids have no underscore
    # The canonical URL ends in the same id the resource carries and the read answers at (it used
    # to end in cssrs_screener, a URL no read answered: issue #11).
    assert q["url"] == f"{fhir.DEV_BASE}/Questionnaire/cssrs-screener"


# --- QuestionnaireResponse ---------------------------------------------------------------------------


def test_questionnaire_response_points_at_the_versioned_canonical_and_the_patient() -> None:
    ins = instrument("phq9")
    qr = fhir.questionnaire_response_for(ins, data_for(ins, phq9_answers(1, 2, 0, 3, 1, 0, 0, 2, 1, 1)))
    assert qr["status"] == "completed"
    assert qr["questionnaire"] == f"{fhir.DEV_BASE}/Questionnaire/phq9|1.0.0"
    assert qr["subject"] == {"reference": "Patient/7"}
    assert qr["authored"] == "2025-03-04T09:30:00+00:00"
    assert qr["id"] == "42"
    second = qr["item"][1]
    assert second["linkId"] == "phq9_2"
    assert second["answer"] == [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6570-1",
                "display": "More than half the days",
            }
        }
    ]


def test_unanswered_optional_items_are_left_out() -> None:
    ins = instrument("phq9")
    qr = fhir.questionnaire_response_for(ins, data_for(ins, phq9_answers(*[0] * 9)))
    assert [i["linkId"] for i in qr["item"]] == [f"phq9_{n}" for n in range(1, 10)]


def test_a_naive_datetime_is_refused() -> None:
    ins = instrument("phq9")
    data = data_for(ins, phq9_answers(*[0] * 9))
    naive = dataclasses.replace(data, administered_at=datetime(2025, 1, 1, 9, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone"):
        fhir.questionnaire_response_for(ins, naive)


# --- Observations ------------------------------------------------------------------------------------


def test_phq9_total_observation_has_loinc_value_band_and_derived_from() -> None:
    ins = instrument("phq9")
    observations = fhir.observations_for(ins, data_for(ins, phq9_answers(2, 2, 2, 2, 2, 1, 1, 1, 0, 1)))
    total = by_code(observations, "44261-6")
    assert total["status"] == "final"
    assert total["valueInteger"] == 13
    assert total["interpretation"] == [{"text": "Moderate depression"}]
    assert total["derivedFrom"] == [{"reference": "QuestionnaireResponse/42"}]
    assert total["effectiveDateTime"] == "2025-03-04T09:30:00+00:00"
    assert total["subject"] == {"reference": "Patient/7"}
    assert total["category"][0]["coding"][0]["code"] == "survey"
    item9 = by_code(observations, "44260-8")
    assert item9["valueCodeableConcept"]["coding"][0]["code"] == "LA6568-5"
    assert item9["derivedFrom"] == total["derivedFrom"]
    # the total plus one per answered item with a LOINC code (all ten PHQ-9 items have one)
    assert len(observations) == 11
    assert len({o["id"] for o in observations}) == 11


def test_gad7_total_uses_its_loinc_code() -> None:
    ins = instrument("gad7")
    answers = {item.id: 3 for item in ins.items}
    total = by_code(fhir.observations_for(ins, data_for(ins, answers)), "70274-6")
    assert total["valueInteger"] == 21
    assert total["interpretation"][0]["text"].lower().startswith("severe")


def test_no_loinc_code_is_invented_for_items_or_totals_without_one() -> None:
    ins = instrument("pcl5")
    answers = {item.id: 1 for item in ins.items}
    observations = fhir.observations_for(ins, data_for(ins, answers))
    assert len(observations) == 1  # the total only: PCL-5 item codes are UNCONFIRMED
    coding = observations[0]["code"]["coding"][0]
    assert coding["system"] == fhir.local_codes() and coding["code"] == "pcl5.total"
    assert observations[0]["valueInteger"] == 20
    components = {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in observations[0]["component"]}
    assert sum(components.values()) == 20  # the four DSM-5 clusters


def test_every_loinc_code_in_the_export_comes_from_the_definition() -> None:
    for ins in REGISTRY.all():
        known = {ins.loinc.panel, ins.loinc.total, ins.loinc.band, *(i.loinc for i in ins.items)}
        known |= {o.loinc for rs in ins.response_sets.values() for o in rs.options}
        known |= {o.loinc for i in ins.items for o in i.response.options}
        known |= {b.loinc for b in ins.bands}
        answers = {
            i.id: (i.response.options[-1].value if i.response.options else i.response.max)
            for i in ins.items
            if i.required and i.ask_if is None
        }
        resources = [fhir.questionnaire_for(ins), *fhir.observations_for(ins, data_for(ins, answers))]
        used = set(_loinc_codes(resources))
        assert used <= known - {None}, (ins.id, used - known)


def _loinc_codes(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["code"]] if node.get("system") == fhir.LOINC else []
        return found + [c for v in node.values() for c in _loinc_codes(v)]
    if isinstance(node, list):
        return [c for v in node for c in _loinc_codes(v)]
    return []


def test_cssrs_level_gives_a_band_observation_with_the_risk_level_code() -> None:
    ins = instrument("cssrs_screener")
    answers = {"cssrs_1": 1, "cssrs_2": 0, "cssrs_6": 0}
    observations = fhir.observations_for(ins, data_for(ins, answers))
    band = by_code(observations, "93374-7")
    assert band["valueCodeableConcept"]["coding"][0]["code"] == "LA9194-7"
    assert band["valueCodeableConcept"]["text"] == "Low risk"
    total = by_code(observations, "cssrs_screener.total")
    assert total["valueInteger"] == 1
    assert total["interpretation"] == [{"text": "Low risk"}]
    # Items asked: Q1, Q2, Q6 all carry LOINC codes; skipped ones give nothing.
    assert {o["code"]["coding"][0]["code"] for o in observations} == {
        "93374-7",
        "cssrs_screener.total",
        "93246-7",
        "93247-5",
        "93267-3",
    }


def test_a_band_without_a_loinc_answer_code_is_text_only() -> None:
    ins = instrument("cssrs_screener")
    answers = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 0, "cssrs_5": 0, "cssrs_6": 0}
    band = by_code(fhir.observations_for(ins, data_for(ins, answers)), "93374-7")
    assert band["valueCodeableConcept"] == {"text": "Moderate risk"}


def test_a_mean_total_is_a_quantity() -> None:
    ins = instrument("ebi")
    answers = {item.id: 50 + n for n, item in enumerate(ins.items)}
    data = data_for(ins, answers)
    total = fhir.observations_for(ins, data)[0]
    if isinstance(data.total, float):
        assert total["valueQuantity"]["value"] == data.total
        assert total["valueQuantity"]["code"] == "{score}"
    else:
        assert total["valueInteger"] == data.total


def test_an_incomplete_response_has_no_total_and_is_in_progress() -> None:
    ins = instrument("phq9")
    data = fhir.ResponseData(id=1, client_id=2, answers={"phq9_1": 1}, administered_at=WHEN, complete=False)
    assert fhir.questionnaire_response_for(ins, data)["status"] == "in-progress"
    observations = fhir.observations_for(ins, data)
    assert [o["code"]["coding"][0]["code"] for o in observations] == ["44250-9"]


def test_response_data_accepts_a_plain_mapping() -> None:
    ins = instrument("phq9")
    plain = {
        "id": 5,
        "client_id": 9,
        "answers": phq9_answers(*[1] * 9),
        "administered_at": WHEN,
        "complete": True,
        "total": 9,
        "band": "Mild depression",
        "subscales": {},
    }
    assert fhir.observations_for(ins, plain)[0]["valueInteger"] == 9


# --- Bundles and OperationOutcome ----------------------------------------------------------------------


def test_streamed_bundle_is_a_valid_searchset() -> None:
    ins = instrument("phq9")
    resources = fhir.observations_for(ins, data_for(ins, phq9_answers(*[1] * 9)))
    bundle = fhir.searchset(
        resources,
        self_url="https://x.example/api/fhir/Patient/7/Observation",
        base_url="https://x.example/api/fhir",
    )
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(resources) == len(bundle["entry"])
    assert bundle["entry"][0]["fullUrl"] == "https://x.example/api/fhir/Observation/42-total"


def test_the_streamed_bundle_is_byte_for_byte_the_compact_json_of_its_entries_in_order() -> None:
    """Entries are encoded a batch at a time and the text is written in pieces; the body is still
    exactly the Bundle written out entry by entry (compact JSON), across batch and piece boundaries,
    with an OperationOutcome marked as the outcome of the search."""
    import json

    ins = instrument("phq9")
    resources: list[dict[str, Any]] = []
    for n in range(12):  # 12 responses x 10 Observations: more than two batches
        data = dataclasses.replace(data_for(ins, phq9_answers(*[n % 4] * 9)), id=n + 1)
        resources += fhir.observations_for(ins, data)
    resources.insert(57, {"resourceType": "OperationOutcome", "id": "unmapped-3", "issue": []})
    base, self_url = "https://x.example/api/fhir", "https://x.example/api/fhir/Patient/7/Observation"
    body = b"".join(
        fhir.pieces(fhir.stream_searchset(resources, total=None, self_url=self_url, base_url=base))
    )
    compact = {"separators": (",", ":")}
    entries = [
        json.dumps(
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "outcome" if r["resourceType"] == "OperationOutcome" else "match"},
            },
            **compact,
        )
        for r in resources
    ]
    head = json.dumps(
        {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": self_url}]},
        **compact,
    )
    assert len(resources) > 2 * fhir.export.ENTRIES_PER_CHUNK
    assert body == (head[:-1] + ',"entry":[' + ",".join(entries) + "]}").encode()
    # Written in pieces of about 32 KB, not one per chunk.
    assert [len(p) for p in fhir.pieces(["x" * 1000] * 100)] == [33_000, 33_000, 33_000, 1000]


def test_empty_bundle() -> None:
    bundle = fhir.searchset([], self_url="https://x.example/a", base_url="https://x.example")
    assert bundle["total"] == 0 and bundle["entry"] == []


def test_operation_outcome_names_the_link_id_in_expression() -> None:
    outcome = fhir.operation_outcome([fhir.Issue("linkId phq9_3: bad", link_id="phq9_3", code="value")])
    issue = outcome["issue"][0]
    assert issue["severity"] == "error" and issue["code"] == "value"
    assert issue["expression"] == ["QuestionnaireResponse.item.where(linkId='phq9_3')"]
    assert "phq9_3" in issue["diagnostics"]
