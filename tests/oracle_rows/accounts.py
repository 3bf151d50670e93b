"""Access-oracle rows of passkeys (issue #17 item 6): each staff member's own security page; the JSON
endpoints are POST only (GET is 405 once the person may reach them). Removing another person's
passkey by POST is a 404 with its audit row: tests/accounts/test_passkeys.py."""

from __future__ import annotations

from tests.oracle_kit import Row, only

STAFF_ALL = ("avery", "theo", "tamsin", "priya", "sam", "toby", "olive")

ROWS: dict[str, Row] = {
    # The second sign-in step: public (the person is half-way through signing in), POST only.
    "accounts:passkey_sign_in_options": Row({"*": 405}),
    "accounts:passkey_sign_in": Row({"*": 405}),
    # A staff member's own passkeys; clients of the portal have none (404), anonymous people sign in.
    "accounts:security": Row(only(STAFF_ALL)),
    "accounts:passkey_options": Row(only(STAFF_ALL, ok=405)),
    "accounts:passkey_add": Row(only(STAFF_ALL, ok=405)),
    "accounts:passkey_remove": Row(only(STAFF_ALL, ok=405), kwargs=lambda w: {"pk": 1}),
}
