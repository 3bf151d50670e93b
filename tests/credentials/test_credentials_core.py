"""The pure credential core: eddsa-jcs-2022 proofs, status lists, did:web, and the offline verifier."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from kapstone.credentials.vc import did, integrity, openbadge, statuslist
from kapstone.credentials.vc.multibase import b58decode, b58encode, ed25519_public_multibase
from kapstone.credentials.vc.verify import schema_errors, verify

DID = "did:web:kapstone.test"
LIST = "https://kapstone.test/credentials/status/larkspur/"
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def _key() -> tuple[Ed25519PrivateKey, str]:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private, ed25519_public_multibase(raw)


def _credential(private: Ed25519PrivateKey, index: int = 4242, **overrides: Any) -> dict[str, Any]:
    award = openbadge.Award(
        credential_id="urn:uuid:6f0c2c1e-0000-4000-8000-000000000001",
        issuer_did=DID,
        issuer_name="Larkspur",
        issuer_url="https://kapstone.test/",
        holder_name="Toby Test",
        holder_email="toby@test.example",
        achievement_id="https://kapstone.test/credentials/achievements/kap_certificate/1.0.0/",
        title="KAP certificate",
        description="d",
        criteria="c",
        set_id="kap_certificate",
        set_version="1.0.0",
        set_title="KAP certificate (Polaris shape)",
        totals={"Group consultation": 24.0},
        requirements_met=8,
        valid_from="2026-02-01T00:00:00Z",
        verify_url="https://kapstone.test/verify/KAP-AAAA-BBBB/",
        status=statuslist.entry(list_url=LIST, index=index),
        code="KAP-AAAA-BBBB",
        **overrides,
    )
    return integrity.sign(
        openbadge.build(award),
        private,
        verification_method=f"{DID}#larkspur-1",
        created="2026-02-01T00:00:00Z",
    )


def _list(private: Ed25519PrivateKey, statuses: dict[int, int]) -> dict[str, Any]:
    unsigned = statuslist.list_credential(
        list_url=LIST,
        issuer={"id": DID},
        encoded_list=statuslist.encode(statuses),
        valid_from="2026-02-01T00:00:00Z",
    )
    return integrity.sign(
        unsigned, private, verification_method=f"{DID}#larkspur-1", created="2026-02-01T00:00:00Z"
    )


def test_a_fresh_credential_verifies_offline_and_conforms_to_the_ob3_schema() -> None:
    private, public = _key()
    credential = _credential(private)
    assert schema_errors(credential) == []
    document = did.document(DID, [did.PublicKey("larkspur-1", public)])
    report = verify(credential, did_document=document, status_list=_list(private, {}), now=NOW)
    assert report.valid and report.status == "valid"
    assert {c.name for c in report.checks} == {"issuer key", "signature", "schema", "dates", "status"}


def test_every_changed_byte_breaks_the_signature() -> None:
    private, public = _key()
    credential = _credential(private)
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Toby Tast"
    report = verify(tampered, key_multibase=public, status_list=_list(private, {}), now=NOW)
    assert not report.valid
    assert next(c for c in report.checks if c.name == "signature").ok is False


def test_a_revoked_or_suspended_credential_is_reported_so() -> None:
    private, public = _key()
    credential = _credential(private, index=77)
    for value, name in ((statuslist.REVOKED, "revoked"), (statuslist.SUSPENDED, "suspended")):
        report = verify(credential, key_multibase=public, status_list=_list(private, {77: value}), now=NOW)
        assert report.status == name and not report.valid


def test_a_status_list_signed_by_someone_else_is_not_believed() -> None:
    private, public = _key()
    forger, _ = _key()
    report = verify(_credential(private), key_multibase=public, status_list=_list(forger, {}), now=NOW)
    assert (
        not report.valid and "cannot be used" in next(c for c in report.checks if c.name == "status").detail
    )


def test_another_issuers_key_and_an_unlisted_key_are_refused() -> None:
    private, _ = _key()
    _, other = _key()
    report = verify(_credential(private), key_multibase=other, status_list=_list(private, {}), now=NOW)
    assert not report.valid
    document = did.document(DID, [did.PublicKey("larkspur-2", other)])
    report = verify(_credential(private), did_document=document, now=NOW)
    assert "not an assertion key" in report.checks[0].detail


def test_expiry_and_not_yet_valid() -> None:
    private, public = _key()
    expired = _credential(private, valid_until="2026-02-15T00:00:00Z")
    report = verify(expired, key_multibase=public, status_list=_list(private, {}), now=NOW)
    assert not report.valid and "expired" in next(c for c in report.checks if c.name == "dates").detail
    early = verify(
        _credential(private),
        key_multibase=public,
        status_list=_list(private, {}),
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert not early.valid


def test_without_a_status_list_the_status_cannot_be_known() -> None:
    private, public = _key()
    report = verify(_credential(private), key_multibase=public, now=NOW)
    assert not report.valid and report.status == "unknown"


def test_the_status_list_has_at_least_131072_entries_and_random_indexes() -> None:
    encoded = statuslist.encode({131_071: statuslist.REVOKED})
    assert statuslist.read(encoded, 131_071) == statuslist.REVOKED
    assert statuslist.read(encoded, 0) == statuslist.VALID
    indexes = {statuslist.random_index([]) for _ in range(50)}
    assert len(indexes) > 45  # random, not sequential
    with pytest.raises(statuslist.StatusListError):
        statuslist.encode({131_072: 1})


@given(st.dictionaries(st.integers(0, statuslist.MIN_ENTRIES - 1), st.integers(0, 3), max_size=30))
def test_status_list_round_trip(statuses: dict[int, int]) -> None:
    encoded = statuslist.encode(statuses)
    for index, value in statuses.items():
        assert statuslist.read(encoded, index) == value


@given(st.binary(max_size=64))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


def test_did_web_for_a_host_with_a_port() -> None:
    assert did.did_for_host("localhost:8000") == "did:web:localhost%3A8000"
    assert did.host_for_did("did:web:localhost%3A8000") == "localhost:8000"


_PRIVATE, _PUBLIC = _key()
_SIGNED = _credential(_PRIVATE)


def _strings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() if k != "proof" for p in _strings(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _strings(v, (*path, i))]
    return [path] if isinstance(node, str) and node else []


@given(st.data())
def test_changing_any_character_of_any_signed_value_breaks_the_signature(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(_strings(_SIGNED)))
    tampered = copy.deepcopy(_SIGNED)
    parent = tampered
    for step in path[:-1]:
        parent = parent[step]
    text = parent[path[-1]]
    index = data.draw(st.integers(0, len(text) - 1))
    parent[path[-1]] = text[:index] + chr(ord(text[index]) ^ 1) + text[index + 1 :]
    report = verify(tampered, key_multibase=_PUBLIC, status_list=_list(_PRIVATE, {}), now=NOW)
    assert next(c for c in report.checks if c.name == "signature").ok is False
    assert not report.valid
