"""Access-oracle rows of the audit log's signed checkpoint (issue #17 item 5): its admin only."""

from __future__ import annotations

from tests.oracle_kit import Row, only

ROWS: dict[str, Row] = {
    "audit:checkpoint": Row(only(("avery",))),
}
