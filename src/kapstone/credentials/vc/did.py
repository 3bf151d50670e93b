"""``did:web`` for a Kapstone instance: the DID of a host, and the DID document that lists each
organization's Ed25519 keys (Multikey), old ones kept so credentials they signed still verify."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class PublicKey:
    fragment: str  # e.g. "larkspur-1"
    multibase: str  # publicKeyMultibase (z6Mk...)


def did_for_host(host: str) -> str:
    """``example.org`` -> ``did:web:example.org``; a port is percent-encoded (``localhost%3A8000``)."""
    host = host.strip().lower()
    if not host or "/" in host:
        raise ValueError(f"not a host name: {host!r}")
    return "did:web:" + quote(host, safe=".-")


def host_for_did(did: str) -> str:
    if not did.startswith("did:web:"):
        raise ValueError(f"not a did:web identifier: {did!r}")
    return did[len("did:web:") :].split(":")[0].replace("%3A", ":").replace("%3a", ":")


def document(did: str, keys: Iterable[PublicKey]) -> dict[str, Any]:
    methods = [
        {
            "id": f"{did}#{k.fragment}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": k.multibase,
        }
        for k in keys
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }


def key_in(document: dict[str, Any], verification_method: str) -> str:
    """The ``publicKeyMultibase`` of ``verification_method`` if the document lists it for assertions."""
    did = verification_method.split("#")[0]
    if document.get("id") != did:
        raise ValueError(f"the DID document is for {document.get('id')!r}, not {did!r}")
    allowed = set()
    for item in document.get("assertionMethod", []):
        allowed.add(item if isinstance(item, str) else item.get("id"))
    if verification_method not in allowed:
        raise ValueError(f"{verification_method} is not an assertion key of {did}")
    for method in document.get("verificationMethod", []):
        if method.get("id") == verification_method and isinstance(method.get("publicKeyMultibase"), str):
            return str(method["publicKeyMultibase"])
    raise ValueError(f"{verification_method} has no publicKeyMultibase in the DID document")
