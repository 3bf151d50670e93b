"""Access-oracle rows of the practicum pages: a trainee's own ledger; a supervisor's desk and the
trainees they supervise (Sam supervises Toby here); everyone else, and the other organization, 404."""

from __future__ import annotations

from typing import Any

from tests.oracle_kit import Row, only


def _toby_supervised_by_sam(w: Any) -> dict[str, Any]:
    from kapstone.practicum.models import Supervision

    Supervision.objects.get_or_create(
        organization=w.org_a, supervisor=w.users["sam"], trainee=w.users["toby"]
    )
    return {"pk": w.users["toby"].pk}


def _tobys_entry(w: Any) -> dict[str, Any]:
    import datetime as dt

    from kapstone.practicum.models import LedgerEntry

    _toby_supervised_by_sam(w)
    entry = LedgerEntry.objects.create(
        organization=w.org_a, trainee=w.users["toby"], supervisor=w.users["sam"], kind="didactic_live",
        occurred_on=dt.date(2026, 1, 5), minutes=60,
    )  # fmt: skip
    return {"pk": entry.pk}


ROWS: dict[str, Row] = {
    "practicum:home": Row(only(("avery", "sam", "toby"), ok=302)),  # to the ledger, desk or program
    "practicum:ledger": Row(only(("toby",))),
    "practicum:entry_new": Row(only(("toby",))),
    "practicum:entry_reverse": Row(only(("toby",), ok=405), _tobys_entry),  # POST only
    "practicum:entry_review": Row(only(("sam",), ok=405), _tobys_entry),  # POST only
    "practicum:trainee": Row(only(("sam",)), _toby_supervised_by_sam),
    "practicum:fact_record": Row(only(("sam",), ok=405), _toby_supervised_by_sam),  # POST only
    "practicum:desk": Row(only(("sam",))),
    "practicum:program": Row(only(("avery",))),
    "practicum:program_configure": Row(only(("avery",), ok=405)),  # POST only
    "practicum:supervision_assign": Row(only(("avery",), ok=405)),  # POST only
    "practicum:supervision_end": Row(only(("avery",), ok=405), lambda w: {"pk": 1}),  # POST only
    "practicum:ledger_pdf": Row(only(("toby",))),
    "practicum:export": Row(only(("avery", "sam")), lambda w: {"what": "status"}),
    "practicum:meeting_new": Row(only(("sam",))),
}
