"""What the referral directory (kapstone.community.hooks) is told about a person's certificates,
with their status now."""

from __future__ import annotations

from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.community.hooks import CredentialClaim
from kapstone.credentials.models import Credential
from kapstone.credentials.services import verify_url

STATUS = {"valid": "active", "suspended": "suspended", "revoked": "revoked"}


def claims_of(user_id: int) -> list[CredentialClaim]:

    found = list(Credential.objects.filter(holder_id=user_id).order_by("-issued_at"))
    names = dict(
        Organization.objects.filter(pk__in={c.organization_id for c in found}).values_list("pk", "name")
    )
    return [
        CredentialClaim(
            title=c.title,
            issuer=names.get(c.organization_id, ""),
            issued_on=timezone.localtime(c.issued_at).date(),
            status=STATUS[c.status],
            verify_url=verify_url(c.code),
        )  # fmt: skip
        for c in found
    ]
