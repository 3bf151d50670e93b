"""Every refusal path of the pure credential core: tampered and malformed credentials fail with the
named reason; malformed multibase, DID documents and status lists are refused with their message;
the ``kapstone credential verify`` CLI is called in-process."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from kapstone.credentials.vc import did, integrity, multibase, openbadge, statuslist
from kapstone.credentials.vc.cli import EXIT_INVALID, EXIT_NOT_VALID, EXIT_OK, verify_main
from kapstone.credentials.vc.verify import Report, verify

DID = "did:web:kapstone.test"
LIST = "https://kapstone.test/credentials/status/larkspur/"
METHOD = f"{DID}#larkspur-1"
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
PRIVATE = Ed25519PrivateKey.generate()
PUBLIC = multibase.ed25519_public_multibase(
    PRIVATE.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
)
DOCUMENT = did.document(DID, [did.PublicKey("larkspur-1", PUBLIC)])


def _award(**overrides: Any) -> openbadge.Award:
    values: dict[str, Any] = {
        "credential_id": "urn:uuid:6f0c2c1e-0000-4000-8000-000000000002",
        "issuer_did": DID,
        "issuer_name": "Larkspur",
        "issuer_url": "https://kapstone.test/",
        "holder_name": "Toby Test",
        "holder_email": "toby@test.example",
        "achievement_id": "https://kapstone.test/credentials/achievements/kap_certificate/1.0.0/",
        "title": "KAP certificate",
        "description": "d",
        "criteria": "c",
        "set_id": "kap_certificate",
        "set_version": "1.0.0",
        "set_title": "KAP certificate",
        "totals": {"Group consultation": 24.0},
        "requirements_met": 8,
        "valid_from": "2026-02-01T00:00:00Z",
        "verify_url": "https://kapstone.test/verify/KAP-AAAA-BBBB/",
        "status": statuslist.entry(list_url=LIST, index=7),
        "code": "KAP-AAAA-BBBB",
    }
    return openbadge.Award(**(values | overrides))


def _signed(
    document: dict[str, Any], key: Ed25519PrivateKey = PRIVATE, method: str = METHOD
) -> dict[str, Any]:
    return integrity.sign(document, key, verification_method=method, created="2026-02-01T00:00:00Z")


def _credential(**overrides: Any) -> dict[str, Any]:
    return _signed(openbadge.build(_award(**overrides)))


def _status_list(statuses: dict[int, int] | None = None, *, issuer: str = DID, method: str = METHOD,
                 key: Ed25519PrivateKey = PRIVATE, encoded: str | None = None) -> dict[str, Any]:  # fmt: skip
    unsigned = statuslist.list_credential(
        list_url=LIST, issuer={"id": issuer},
        encoded_list=encoded if encoded is not None else statuslist.encode(statuses or {}),
        valid_from="2026-02-01T00:00:00Z",
    )  # fmt: skip
    return _signed(unsigned, key, method)


def _check(report: Report, name: str) -> tuple[bool | None, str]:
    [found] = [(c.ok, c.detail) for c in report.checks if c.name == name]
    return found


# --- multibase ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: multibase.b58decode("abc0"), "not base58btc: '0'"),
        (lambda: multibase.decode_z("u123"), "expected a base58btc multibase value"),
        (lambda: multibase.decode_u("z123"), "expected a base64url multibase value"),
        (lambda: multibase.ed25519_public_multibase(b"\x01" * 31), "an Ed25519 public key is 32 bytes"),
        (
            lambda: multibase.ed25519_public_raw(multibase.encode_z(b"\xed\x01" + b"\x01" * 31)),
            "not an Ed25519",
        ),
        (
            lambda: multibase.ed25519_public_raw(multibase.encode_z(b"\xec\x01" + b"\x01" * 32)),
            "not an Ed25519",
        ),
    ],
)
def test_malformed_multibase_is_refused_with_its_message(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@given(st.binary(max_size=64))
def test_base64url_multibase_round_trip(data: bytes) -> None:
    text = multibase.encode_u(data)
    assert text.startswith("u") and "=" not in text
    assert multibase.decode_u(text) == data


@given(st.binary(min_size=32, max_size=32))
def test_ed25519_key_multibase_round_trip(raw: bytes) -> None:
    text = multibase.ed25519_public_multibase(raw)
    assert text.startswith("z6Mk")
    assert multibase.ed25519_public_raw(text) == raw


# --- did:web --------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["", "   ", "example.org/path"])
def test_a_non_host_gets_no_did(host: str) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        did.did_for_host(host)


def test_host_for_did_reverses_did_for_host_and_refuses_other_methods() -> None:
    assert did.host_for_did(did.did_for_host("LocalHost:8000")) == "localhost:8000"
    assert did.host_for_did("did:web:example.org:users:alice") == "example.org"
    with pytest.raises(ValueError, match="not a did:web identifier"):
        did.host_for_did("did:key:z6Mkabc")


def test_key_in_finds_an_assertion_key_listed_by_id_or_by_embedded_method() -> None:
    embedded = copy.deepcopy(DOCUMENT) | {"assertionMethod": [{"id": METHOD}]}
    assert did.key_in(DOCUMENT, METHOD) == PUBLIC
    assert did.key_in(embedded, METHOD) == PUBLIC


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (DOCUMENT | {"id": "did:web:other.test"}, "the DID document is for 'did:web:other.test'"),
        (DOCUMENT | {"assertionMethod": []}, f"{METHOD} is not an assertion key of {DID}"),
        ({"id": DID}, "is not an assertion key"),
        (DOCUMENT | {"verificationMethod": []}, "has no publicKeyMultibase in the DID document"),
        (
            DOCUMENT | {"verificationMethod": [{"id": METHOD, "publicKeyMultibase": 42}]},
            "has no publicKeyMultibase",
        ),
        (
            DOCUMENT | {"verificationMethod": [{"id": f"{DID}#other", "publicKeyMultibase": PUBLIC}]},
            "has no publicKeyMultibase",
        ),
    ],
)
def test_a_malformed_did_document_is_refused_with_its_message(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        did.key_in(document, METHOD)


# --- integrity ------------------------------------------------------------------------------------


def _proof(**changes: Any) -> dict[str, Any]:
    credential = _credential()
    credential["proof"][0] |= changes
    return credential


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"a": 1}, "the document carries no single proof"),
        ({"a": 1, "proof": []}, "the document carries no single proof"),
        ({"a": 1, "proof": [{}, {}]}, "the document carries no single proof"),
        ({"a": 1, "proof": "z1"}, "the document carries no single proof"),
        (_proof(type="Ed25519Signature2020"), "not a DataIntegrityProof with the eddsa-jcs-2022"),
        (_proof(cryptosuite="eddsa-rdfc-2022"), "not a DataIntegrityProof with the eddsa-jcs-2022"),
        (_proof(proofPurpose="authentication"), "the proof's purpose is not assertionMethod"),
        (_proof(verificationMethod=None), "the proof has no verificationMethod or proofValue"),
        (_proof(proofValue=7), "the proof has no verificationMethod or proofValue"),
    ],
)
def test_a_malformed_proof_is_refused_with_its_message(document: dict[str, Any], message: str) -> None:
    with pytest.raises(integrity.ProofError, match=message):
        integrity.proof_of(document)


def test_a_single_proof_object_not_in_a_list_is_accepted() -> None:
    credential = _credential()
    credential["proof"] = credential["proof"][0]
    integrity.verify(credential, PRIVATE.public_key())


def test_a_proof_whose_context_differs_from_the_documents_is_refused() -> None:
    credential = _proof(**{"@context": ["https://example.org/other"]})
    with pytest.raises(integrity.ProofError, match="the proof's @context differs from the document's"):
        integrity.verify(credential, PRIVATE.public_key())
    matching = _proof(**{"@context": _credential()["@context"]})
    integrity.verify(matching, PRIVATE.public_key())


def test_a_document_without_context_signs_and_verifies_and_a_garbled_proof_value_fails() -> None:
    signed = _signed({"id": "urn:x", "name": "no context"})
    integrity.verify(signed, PRIVATE.public_key())
    signed["proof"][0]["proofValue"] = "u-not-base58"
    with pytest.raises(integrity.ProofError, match="was changed or signed by another key"):
        integrity.verify(signed, PRIVATE.public_key())


# --- status lists ---------------------------------------------------------------------------------


def test_a_full_status_list_gives_no_index_and_a_nearly_full_one_gives_the_free_one() -> None:
    with pytest.raises(statuslist.StatusListError, match="the status list is full"):
        statuslist.random_index(range(8), entries=8)
    # Forty draws: the free index every time, and (all but surely) a taken one drawn again first.
    assert {statuslist.random_index([0, 1, 2, 4, 5, 6, 7], entries=8) for _ in range(40)} == {3}


@pytest.mark.parametrize(("index", "value"), [(-1, 1), (statuslist.MIN_ENTRIES, 1), (3, 4), (3, -1)])
def test_a_status_that_does_not_fit_is_refused(index: int, value: int) -> None:
    with pytest.raises(statuslist.StatusListError, match=f"status {value} at index {index} does not fit"):
        statuslist.encode({index: value})


@pytest.mark.parametrize(
    ("encoded", "index", "message"),
    [
        ("zabc", 0, "the status list is not GZIP-compressed base64url"),
        (multibase.encode_u(b"plain, not gzip"), 0, "the status list is not GZIP-compressed base64url"),
        (multibase.encode_u(gzip.compress(b"\0" * 16)), 0, "has 64 entries; at least 131072 are required"),
        (statuslist.encode({}), statuslist.MIN_ENTRIES, f"index {statuslist.MIN_ENTRIES} is outside"),
        (statuslist.encode({}), -1, "index -1 is outside the status list"),
    ],
)
def test_a_malformed_status_list_is_refused_with_its_message(encoded: str, index: int, message: str) -> None:
    with pytest.raises(statuslist.StatusListError, match=message):
        statuslist.read(encoded, index)


# --- openbadge ------------------------------------------------------------------------------------


def test_the_holder_is_named_and_only_a_salted_email_hash_is_kept() -> None:
    document = openbadge.build(_award(totals={}, valid_until="2027-02-01T00:00:00Z", salt="abcd"))
    assert document["validUntil"] == "2027-02-01T00:00:00Z"
    assert "no hours" in document["evidence"][0]["narrative"]
    assert "toby@test.example" not in json.dumps(document)
    identifiers = document["credentialSubject"]["identifier"]
    assert identifiers[1]["identityHash"] == openbadge.email_hash(" Toby@Test.example ", "abcd")
    assert openbadge.holder_name(document) == "Toby Test"


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"credentialSubject": {}},
        {"credentialSubject": {"identifier": None}},
        {"credentialSubject": {"identifier": ["name", {"identityType": "name", "hashed": True}]}},
    ],
)
def test_a_credential_without_a_plain_name_has_no_holder_name(credential: dict[str, Any]) -> None:
    assert openbadge.holder_name(credential) == ""


# --- verify: the issuer key -----------------------------------------------------------------------


def test_a_credential_with_no_proof_names_the_missing_proof_for_the_key_and_the_signature() -> None:
    credential = _credential()
    del credential["proof"]
    report = verify(credential, did_document=DOCUMENT, status_list=_status_list(), now=NOW)
    assert not report.valid
    assert _check(report, "issuer key") == (False, "the document carries no single proof")
    assert _check(report, "signature") == (False, "not verified: no usable issuer key")


def test_a_proof_by_a_key_of_another_did_is_refused_even_with_a_string_issuer() -> None:
    credential = _signed(openbadge.build(_award()) | {"issuer": DID}, method="did:web:evil.test#k")
    report = verify(credential, key_multibase=PUBLIC, now=NOW)
    assert _check(report, "issuer key") == (
        False,
        f"the proof's key did:web:evil.test#k does not belong to the issuer {DID}",
    )


def test_without_a_did_document_or_key_nothing_can_be_verified() -> None:
    report = verify(_credential(), now=NOW)
    assert _check(report, "issuer key") == (False, "no DID document or key was given to verify against")
    assert not report.valid


def test_a_key_file_key_verifies_and_a_malformed_key_is_refused_with_its_message() -> None:
    credential = _credential(status=None)
    del credential["credentialStatus"]
    credential = _signed(credential)
    good = verify(credential, key_multibase=PUBLIC, now=NOW)
    assert _check(good, "issuer key") == (True, f"{METHOD}, from the key file")
    assert _check(good, "status") == (True, "the credential has no status entry")
    bad = verify(credential, key_multibase="u-not-a-key", now=NOW)
    assert _check(bad, "issuer key") == (False, "expected a base58btc multibase value (starting with 'z')")


def test_a_tampered_credential_fails_the_signature_with_the_named_reason() -> None:
    credential = _credential()
    credential["credentialSubject"]["achievement"]["name"] = "Something grander"
    report = verify(credential, did_document=DOCUMENT, status_list=_status_list(), now=NOW)
    assert not report.valid
    assert _check(report, "signature") == (
        False,
        "the signature does not match the document: it was changed or signed by another key",
    )
    assert report.as_dict()["checks"][1] == {
        "check": "signature",
        "ok": False,
        "detail": "the signature does not match the document: it was changed or signed by another key",
    }


def test_a_credential_breaking_the_schema_names_the_problem() -> None:
    credential = _credential()
    del credential["credentialSubject"]["achievement"]["criteria"]
    report = verify(_signed(credential), did_document=DOCUMENT, status_list=_status_list(), now=NOW)
    ok, detail = _check(report, "schema")
    assert ok is False and "criteria" in detail


def test_without_jsonschema_the_schema_is_reported_as_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from kapstone.credentials.vc import verify as module

    def missing(credential: dict[str, Any]) -> list[str]:
        raise ImportError("jsonschema")

    monkeypatch.setattr(module, "schema_errors", missing)
    report = verify(_credential(), did_document=DOCUMENT, status_list=_status_list(), now=NOW)
    assert _check(report, "schema") == (None, "not checked: jsonschema is not installed")
    assert report.valid  # "not checked" is not a failure


# --- verify: dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "expected"),
    [
        (None, None, (False, "validFrom is missing or not a date-time with a zone")),
        (12345, None, (False, "validFrom is missing or not a date-time with a zone")),
        ("yesterday", None, (False, "validFrom is missing or not a date-time with a zone")),
        ("2026-02-01T00:00:00", None, (False, "validFrom is missing or not a date-time with a zone")),
        ("2026-02-01T00:00:00Z", "soon", (False, "expired at soon")),
        ("2026-02-01T00:00:00Z", "2027-02-01T00:00:00Z",
         (True, "valid from 2026-02-01T00:00:00Z until 2027-02-01T00:00:00Z")),
        ("2026-02-01T00:00:00Z", None, (True, "valid from 2026-02-01T00:00:00Z")),
    ],
)  # fmt: skip
def test_validity_dates(valid_from: Any, valid_until: Any, expected: tuple[bool, str]) -> None:
    credential = {k: v for k, v in _credential().items() if k not in ("validFrom", "proof")}
    if valid_from is not None:
        credential["validFrom"] = valid_from
    if valid_until is not None:
        credential["validUntil"] = valid_until
    report = verify(_signed(credential), did_document=DOCUMENT, status_list=_status_list(), now=NOW)
    assert _check(report, "dates") == expected


# --- verify: status -------------------------------------------------------------------------------


def _status_detail(credential: dict[str, Any], status_list: dict[str, Any] | None, **kwargs: Any) -> str:
    report = verify(credential, status_list=status_list, now=NOW, **kwargs)
    ok, detail = _check(report, "status")
    assert ok is False and not report.valid
    return detail


def test_a_status_list_other_than_the_one_named_is_refused() -> None:
    other = _status_list() | {"id": "https://kapstone.test/other/"}
    assert _status_detail(_credential(), other, did_document=DOCUMENT) == (
        "the status list given is not the one the credential names"
    )
    credential = _signed({k: v for k, v in _credential().items() if k != "proof"} | {"credentialStatus": "x"})
    assert _status_detail(credential, _status_list(), did_document=DOCUMENT) == (
        "the status list given is not the one the credential names"
    )


def test_a_status_list_from_another_issuer_is_refused() -> None:
    foreign = _status_list(issuer="did:web:evil.test", method="did:web:evil.test#k")
    assert _status_detail(_credential(), foreign, did_document=DOCUMENT) == (
        "the status list cannot be used: the status list was not issued by the credential's issuer"
    )


def test_a_status_list_with_a_string_issuer_credential_is_checked_against_the_did_document() -> None:
    credential = _signed({k: v for k, v in _credential().items() if k != "proof"} | {"issuer": DID})
    report = verify(credential, did_document=DOCUMENT, status_list=_status_list({7: 2}), now=NOW)
    assert report.status == "revoked"
    assert _check(report, "status") == (False, "the status list says revoked")


def test_a_status_list_cannot_be_verified_without_any_key() -> None:
    assert _status_detail(_credential(), _status_list()) == (
        "the status list cannot be used: it cannot be verified without the issuer's key"
    )


def test_a_status_list_checked_with_the_key_file() -> None:
    report = verify(_credential(), key_multibase=PUBLIC, status_list=_status_list({7: 1}), now=NOW)
    assert report.status == "suspended" and not report.valid


def test_a_tampered_status_list_is_not_believed() -> None:
    tampered = _status_list()
    tampered["credentialSubject"]["encodedList"] = statuslist.encode({7: 0, 8: 2})
    detail = _status_detail(_credential(), tampered, did_document=DOCUMENT)
    assert detail == (
        "the status list cannot be used: the signature does not match the document: "
        "it was changed or signed by another key"
    )


@pytest.mark.parametrize(
    ("credential_changes", "encoded", "message"),
    [
        ({}, multibase.encode_u(gzip.compress(b"\0" * 16)), "has 64 entries; at least 131072 are required"),
        ({"statusListIndex": "seven"}, None, "invalid literal for int()"),
        ({"statusListIndex": None}, None, "int() argument must be"),
    ],
)
def test_a_malformed_status_list_or_entry_is_refused_with_its_message(
    credential_changes: dict[str, Any], encoded: str | None, message: str
) -> None:
    unsigned = openbadge.build(_award(status=statuslist.entry(list_url=LIST, index=7) | credential_changes))
    detail = _status_detail(_signed(unsigned), _status_list(encoded=encoded), did_document=DOCUMENT)
    assert detail.startswith("the status list cannot be used: ") and message in detail


def test_a_status_list_without_a_subject_is_refused() -> None:
    unsigned = {k: v for k, v in _status_list().items() if k not in ("proof", "credentialSubject")}
    detail = _status_detail(_credential(), _signed(unsigned), did_document=DOCUMENT)
    assert detail == "the status list cannot be used: 'credentialSubject'"


def test_an_unknown_status_value_is_reported_unknown() -> None:
    report = verify(_credential(), did_document=DOCUMENT, status_list=_status_list({7: 3}), now=NOW)
    assert report.status == "unknown" and _check(report, "status") == (False, "the status list says unknown")


# --- the CLI, in-process --------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_a_valid_credential_exits_0_and_prints_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        _write(tmp_path, "c.json", _credential()),
        "--did-document", _write(tmp_path, "did.json", DOCUMENT),
        "--status-list", _write(tmp_path, "list.json", _status_list()),
    ]  # fmt: skip
    assert verify_main(argv) == EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    assert printed["valid"] is True and printed["status"] == "valid"


def test_cli_a_revoked_credential_checked_with_a_key_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        _write(tmp_path, "c.json", _credential()),
        "--key", _write(tmp_path, "key.txt", PUBLIC + "\n"),
        "--status-list", _write(tmp_path, "list.json", _status_list({7: 2})),
    ]  # fmt: skip
    assert verify_main(argv) == EXIT_NOT_VALID
    assert json.loads(capsys.readouterr().out)["status"] == "revoked"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the credential"),
        ("[1, 2]", "is not a JSON object"),
        (None, "cannot read the credential"),
    ],
)
def test_cli_unreadable_input_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = _write(tmp_path, "c.json", content) if content is not None else str(tmp_path / "missing.json")
    assert verify_main([path]) == EXIT_INVALID
    assert message in capsys.readouterr().err


def test_cli_an_unreadable_did_document_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [_write(tmp_path, "c.json", _credential()), "--did-document", str(tmp_path / "nope.json")]
    assert verify_main(argv) == EXIT_INVALID
    assert "cannot read the DID document" in capsys.readouterr().err
