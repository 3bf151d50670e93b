"""Access-oracle rows of the shell's own pages (issue #12): a person's time settings (any staff
member), the organization's settings (its admin only; the other organization's admin acts on theirs,
never on ours, so a GET is allowed for each admin of their own)."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import STAFF_IN_A, Row, only


def rowan_note_pending_cosign(w: Any) -> dict[str, Any]:
    from tests.notes.notes_helpers import signed_note

    return {"pk": signed_note(w, "toby").pk}


ROWS: dict[str, Row] = {
    "core:preferences": Row(only((*STAFF_IN_A, "olive"))),
    "core:organization_settings": Row(only(("avery",))),
    # A signed-in client starts their own open questionnaire (POST only; a staff member gets 404).
    "questionnaire:start": Row({"*": 404, "anon": 302, "rowan_portal": 405}, kwargs=lambda w: {"pk": 1}),
    # Return a trainee's note with comments: the supervisor who may co-sign it (POST only).
    "notes:return": Row(only(("sam",), ok=405), kwargs=rowan_note_pending_cosign),
}
