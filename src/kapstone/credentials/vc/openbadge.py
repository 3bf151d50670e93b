"""Building an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C Verifiable Credential 2.0) for a
completed requirement set. Pure Python: the caller gives plain values, this returns the unsigned
document. The holder is named (an ``IdentityObject`` of type ``name``, as the certificate shows it)
and identified by a salted hash of their e-mail; nothing else about the trainee is in it."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"


@dataclass(frozen=True)
class Award:
    credential_id: str  # urn:uuid:...
    issuer_did: str
    issuer_name: str
    issuer_url: str
    holder_name: str
    holder_email: str
    achievement_id: str
    title: str
    description: str
    criteria: str
    set_id: str
    set_version: str
    set_title: str
    totals: Mapping[str, float]  # kind label -> hours counted
    requirements_met: int
    valid_from: str  # ISO 8601 with Z
    verify_url: str
    status: dict[str, Any]  # the credentialStatus entry
    code: str
    valid_until: str | None = None
    salt: str = field(default_factory=lambda: secrets.token_hex(8))


def email_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def build(award: Award) -> dict[str, Any]:
    totals = "; ".join(f"{kind}: {hours:g} h" for kind, hours in award.totals.items()) or "no hours"
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": award.title,
        "issuer": {
            "id": award.issuer_did, "type": ["Profile"], "name": award.issuer_name, "url": award.issuer_url,
        },
        "validFrom": award.valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": award.holder_name},
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": email_hash(award.holder_email, award.salt), "salt": award.salt},
            ],
            "achievement": {
                "id": award.achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": award.title,
                "description": award.description,
                "criteria": {"narrative": award.criteria},
                "humanCode": award.code,
                "version": award.set_version,
            },
        },
        "evidence": [
            {
                "id": award.verify_url,
                "type": ["Evidence"],
                "name": f"Requirement set {award.set_id}, version {award.set_version}",
                "description": f"{award.set_title}: all {award.requirements_met} requirements met, "
                "checked against the trainee's practicum ledger and signed off by a supervisor.",
                "narrative": f"Ledger totals counted: {totals}.",
            }
        ],
        "credentialStatus": award.status,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }  # fmt: skip
    if award.valid_until:
        document["validUntil"] = award.valid_until
    return document


def holder_name(credential: Mapping[str, Any]) -> str:
    for item in credential.get("credentialSubject", {}).get("identifier", []) or []:
        if isinstance(item, dict) and item.get("identityType") == "name" and not item.get("hashed"):
            return str(item.get("identityHash", ""))
    return ""
