"""Verifying a credential offline: the proof (eddsa-jcs-2022), the issuer's key (from a cached
``did:web`` document, or a key given directly), the OB 3.0 schema (when ``jsonschema`` is
installed), validity dates, and the status from a cached status list credential (itself verified
with the same issuer's key). Every check is reported; the credential is valid only if all pass.
Pure Python."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import did as didweb
from . import integrity, statuslist
from .multibase import ed25519_public_raw

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "ob_v3p0_achievementcredential_schema.json"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not checked (the reason says why)
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    status: str = "unknown"  # valid / suspended / revoked / unknown

    @property
    def valid(self) -> bool:
        return all(c.ok is not False for c in self.checks) and self.status == "valid"

    def add(self, name: str, ok: bool | None, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "status": self.status,
            "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft201909Validator, FormatChecker  # an optional dependency

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=FormatChecker())


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """Messages of every way ``credential`` breaks 1EdTech's OB 3.0 schema ([] if it conforms)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in _validator().iter_errors(credential)
    ]


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _public_key(report: Report, credential: dict[str, Any], did_document: dict[str, Any] | None,
                key_multibase: str | None) -> Ed25519PublicKey | None:  # fmt: skip
    try:
        method = integrity.proof_of(credential)["verificationMethod"]
    except integrity.ProofError as exc:
        report.add("issuer key", False, str(exc))
        return None
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if method.split("#")[0] != issuer_id:
        report.add("issuer key", False, f"the proof's key {method} does not belong to the issuer {issuer_id}")
        return None
    try:
        if did_document is not None:
            key_multibase = didweb.key_in(did_document, method)
            where = "the issuer's DID document"
        elif key_multibase is None:
            report.add("issuer key", False, "no DID document or key was given to verify against")
            return None
        else:
            where = "the key file"
        key = Ed25519PublicKey.from_public_bytes(ed25519_public_raw(key_multibase))
    except ValueError as exc:
        report.add("issuer key", False, str(exc))
        return None
    report.add("issuer key", True, f"{method}, from {where}")
    return key


def _list_key(status_list: dict[str, Any], credential: dict[str, Any], did_document: dict[str, Any] | None,
              key: Ed25519PublicKey | None) -> Ed25519PublicKey | None:  # fmt: skip
    """The key that signed the status list: any assertion key of the credential's issuer (the list
    may be signed by a newer key after a rotation), or the one key given."""
    if did_document is None:
        return key
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    method = integrity.proof_of(status_list)["verificationMethod"]
    if status_list.get("issuer") != issuer_id or method.split("#")[0] != issuer_id:
        raise ValueError("the status list was not issued by the credential's issuer")
    return Ed25519PublicKey.from_public_bytes(ed25519_public_raw(didweb.key_in(did_document, method)))


def _status(report: Report, credential: dict[str, Any], status_list: dict[str, Any] | None,
            did_document: dict[str, Any] | None, key: Ed25519PublicKey | None) -> None:  # fmt: skip
    entry = credential.get("credentialStatus")
    if entry is None:
        report.add("status", True, "the credential has no status entry")
        report.status = "valid"
        return
    if status_list is None:
        report.add("status", False, "no status list was given: the credential's status cannot be known")
        return
    if not isinstance(entry, dict) or entry.get("statusListCredential") != status_list.get("id"):
        report.add("status", False, "the status list given is not the one the credential names")
        return
    try:
        list_key = _list_key(status_list, credential, did_document, key)
        if list_key is None:
            raise ValueError("it cannot be verified without the issuer's key")
        integrity.verify(status_list, list_key)
        subject = status_list["credentialSubject"]
        value = statuslist.read(subject["encodedList"], int(entry["statusListIndex"]),
                                status_size=int(subject.get("statusSize", 1)))  # fmt: skip
    except (integrity.ProofError, statuslist.StatusListError, KeyError, TypeError, ValueError) as exc:
        report.add("status", False, f"the status list cannot be used: {exc}")
        return
    report.status = statuslist.NAMES.get(value, "unknown")
    report.add("status", report.status == "valid", f"the status list says {report.status}")


def verify(
    credential: dict[str, Any],
    *,
    did_document: dict[str, Any] | None = None,
    key_multibase: str | None = None,
    status_list: dict[str, Any] | None = None,
    now: dt.datetime,
) -> Report:
    report = Report()
    key = _public_key(report, credential, did_document, key_multibase)
    if key is not None:
        try:
            integrity.verify(credential, key)
            report.add("signature", True, "eddsa-jcs-2022 proof verifies")
        except integrity.ProofError as exc:
            report.add("signature", False, str(exc))
    else:
        report.add("signature", False, "not verified: no usable issuer key")
    try:
        errors = schema_errors(credential)
        report.add("schema", not errors, "; ".join(errors[:3]) or "conforms to 1EdTech's OB 3.0 schema")
    except ImportError:
        report.add("schema", None, "not checked: jsonschema is not installed")
    start, end = _parse_time(credential.get("validFrom")), _parse_time(credential.get("validUntil"))
    if start is None:
        report.add("dates", False, "validFrom is missing or not a date-time with a zone")
    elif now < start:
        report.add("dates", False, f"not valid before {credential['validFrom']}")
    elif "validUntil" in credential and (end is None or now > end):
        report.add("dates", False, f"expired at {credential.get('validUntil')}")
    else:
        report.add(
            "dates",
            True,
            f"valid from {credential['validFrom']}" + (f" until {credential['validUntil']}" if end else ""),
        )
    _status(report, credential, status_list, did_document, key)
    return report
