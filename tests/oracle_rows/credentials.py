"""Access-oracle rows of the certificate pages. Public: the verification pages and the DID
document. Signed in: a trainee's own certificates, the sign-off (a supervisor of the trainee),
the organization's list for its admin and supervisor; the other organization gets 404."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import Row, only

PUBLIC_OK = {"*": 200}


def _tobys_certificate(w: Any) -> dict[str, Any]:
    from kapstone.credentials.models import Credential, IssuerKey

    key = IssuerKey.objects.create(
        organization=w.org_a, fragment="larkspur-test-oracle", public_multibase="z6Mk"
    )
    credential = Credential.objects.create(
        organization=w.org_a,
        holder=w.users["toby"],
        issued_by=w.users["sam"],
        key=key,
        code="KAP-ORAC-LE22",
        title="KAP certificate",
        set_id="kap_certificate",
        set_version="1.0.0",
        status_index=99,
        document={},
    )
    return {"code": credential.code}


def _toby(w: Any) -> dict[str, Any]:
    return {"pk": w.users["toby"].pk}


def _larkspur(w: Any) -> dict[str, Any]:
    return {"slug": w.org_a.slug}


ROWS: dict[str, Row] = {
    "did_json": Row(PUBLIC_OK),
    "verify:lookup": Row(PUBLIC_OK),
    "verify:credential": Row(PUBLIC_OK, _tobys_certificate),
    # No key yet, so no list: a public GET never makes a key (the list itself: tests/credentials).
    "credentials:status_list": Row({"*": 404}, _larkspur),
    "credentials:mine": Row(only(("toby",))),
    "credentials:manage": Row(only(("avery", "sam"))),
    "credentials:issue": Row(only(("sam",), ok=405), _toby),  # POST only
    "credentials:download": Row(only(("avery", "sam", "toby")), _tobys_certificate),
    "credentials:pdf": Row(only(("avery", "sam", "toby")), _tobys_certificate),
    "credentials:set_status": Row(only(("avery", "sam"), ok=405), _tobys_certificate),  # POST only
}
