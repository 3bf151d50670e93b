"""Who is acting, where, and from which request: passed to every service and selector.

The organization and roles come from the server (the session's active membership), never from
the request body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kapstone.accounts.models import Organization, User


@dataclass(frozen=True)
class Actor:
    user: User | None
    organization: Organization | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    request_id: str = ""
    source_ip: str | None = None
    upstream_request_id: str = ""  # a trusted proxy's id for the same request, kept beside ours
    # Until when (epoch seconds) this session holds an emergency (break-glass) grant: a hint that
    # lets the record's selectors look for grants only then; the grant rows decide (kapstone.clients).
    break_glass_until: float = 0.0

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def organization_id(self) -> int | None:
        return self.organization.pk if self.organization is not None else None

    @property
    def role_label(self) -> str:
        return ",".join(sorted(self.roles))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


BREAK_GLASS_UNTIL = "kapstone.break_glass_until"  # the session key the hint is kept under

SYSTEM = Actor(user=None, request_id="system")
