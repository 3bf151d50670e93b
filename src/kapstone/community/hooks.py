"""Where apps above community plug into it, without community importing them.

The credentials app (which sits above community) registers a credential source in its
``AppConfig.ready``: a function from a user id to the credentials that user holds, with their
*current* status. The directory asks the sources at the moment a page is drawn, so a certificate
revoked a minute ago no longer shows as verified. Until a source is registered, the only verified
credential is a licence an organization admin attested.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

CLAIM_STATUSES = ("active", "revoked", "suspended", "expired")


@dataclass(frozen=True)
class CredentialClaim:
    title: str
    issuer: str
    issued_on: dt.date
    status: str  # "active" | "revoked" | "suspended" | "expired"
    verify_url: str

    @property
    def is_active(self) -> bool:
        return self.status == "active"


CredentialSource = Callable[[int], list[CredentialClaim]]

_sources: list[CredentialSource] = []
log = logging.getLogger(__name__)


def register_credential_source(fn: CredentialSource) -> CredentialSource:
    """Register ``fn(user_id) -> list[CredentialClaim]``. Registering the same function twice is a no-op."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


def unregister_credential_source(fn: CredentialSource) -> None:
    """For tests and for an app that is switched off."""
    if fn in _sources:
        _sources.remove(fn)


def credential_sources() -> tuple[CredentialSource, ...]:
    return tuple(_sources)


def credentials_of(user_id: int) -> list[CredentialClaim]:
    """Every claim every registered source makes for ``user_id``, read now.

    A source that fails does not take the page down with it: its claims are simply absent (so
    nothing is shown as verified on its word), which is the closed way to fail.
    """
    claims: list[CredentialClaim] = []
    for source in _sources:
        try:
            claims.extend(source(user_id))
        except Exception:  # a broken source verifies nothing; it must not break the page
            log.exception("credential source %r failed for user %s", source, user_id)
    return claims


def active_credentials_of(user_id: int) -> list[CredentialClaim]:
    return [claim for claim in credentials_of(user_id) if claim.is_active]
