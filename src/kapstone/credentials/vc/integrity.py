"""Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite (W3C Data Integrity EdDSA
Cryptosuites v1.0, §3.3): JSON Canonicalization (RFC 8785) of the document and of the proof
options, SHA-256 of each, Ed25519 over their concatenation. Pure Python over ``cryptography`` and
``rfc8785``.

Why this and not a JWT: the credential stays one readable JSON document with the proof inside it
(what Open Badges 3.0 wallets and the 1EdTech validator expect for embedded proofs), and JCS needs
no JSON-LD context fetching, so a credential verifies offline with nothing but the issuer's key —
``eddsa-rdfc-2022`` would need the contexts (and a JSON-LD processor) at verification time.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .multibase import decode_z, encode_z

CRYPTOSUITE = "eddsa-jcs-2022"


class ProofError(ValueError):
    """The proof is missing, malformed, or does not verify."""


def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    return hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()


def sign(
    document: dict[str, Any], key: Ed25519PrivateKey, *, verification_method: str, created: str
) -> dict[str, Any]:
    """A copy of ``document`` with an ``assertionMethod`` proof by ``key`` (a one-item proof set,
    the shape 1EdTech's schema requires)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    signature = key.sign(_hash_data(unsecured, options))
    proof = {k: v for k, v in options.items() if k != "@context"} | {"proofValue": encode_z(signature)}
    return copy.deepcopy(unsecured) | {"proof": [proof]}


def proof_of(document: dict[str, Any]) -> dict[str, Any]:
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("the document carries no single proof")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is not a DataIntegrityProof with the {CRYPTOSUITE} cryptosuite")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    if not isinstance(proof.get("verificationMethod"), str) or not isinstance(proof.get("proofValue"), str):
        raise ProofError("the proof has no verificationMethod or proofValue")
    return proof


def verify(document: dict[str, Any], public_key: Ed25519PublicKey) -> None:
    """Raise ``ProofError`` unless ``document``'s proof verifies with ``public_key``."""
    proof = proof_of(document)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options and options["@context"] != unsecured.get("@context"):
        raise ProofError("the proof's @context differs from the document's")
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    try:
        signature = decode_z(proof["proofValue"])
        public_key.verify(signature, _hash_data(unsecured, options))
    except (InvalidSignature, ValueError) as exc:
        raise ProofError(
            "the signature does not match the document: it was changed or signed by another key"
        ) from exc
