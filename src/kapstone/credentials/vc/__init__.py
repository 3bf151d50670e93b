"""The credential core: Open Badges 3.0 credentials with eddsa-jcs-2022 Data Integrity proofs,
did:web documents, Bitstring Status Lists, and offline verification. Pure Python (cryptography,
rfc8785; jsonschema optionally): no Django, no app."""
