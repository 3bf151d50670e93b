"""Access-oracle rows of the shell's own pages (issue #12): a person's time settings (any staff
member), the organization's settings (its admin only; the other organization's admin acts on theirs,
never on ours, so a GET is allowed for each admin of their own)."""

from __future__ import annotations

from tests.oracle_kit import STAFF_IN_A, Row, only

ROWS: dict[str, Row] = {
    "core:preferences": Row(only((*STAFF_IN_A, "olive"))),
    "core:organization_settings": Row(only(("avery",))),
}
