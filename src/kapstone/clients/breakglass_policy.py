"""What an emergency (break-glass) grant opens: the record's reads and the documentation of the
emergency, nothing that outlives it or carries the record elsewhere.

45 CFR 164.312(a)(2)(ii) asks for a procedure to obtain necessary ePHI during an emergency; the
minimum-necessary standard (164.514(d)) bounds it. A grant therefore widens the care team only for
the actions below, and only for the roles whose row in ``kapstone.access.policy.POLICY`` already
gives them that action on their own care team's clients. Left out on purpose: joining the care team
(``careteam.manage``), medical clearance and out-of-protocol dosing decisions, co-signing (a
supervision relationship), psychotherapy notes (their author's only, 164.501), consultation cases,
referrals and printing (disclosures beyond the emergency), and the person's own caseload.
"""

from __future__ import annotations

BREAK_GLASS_ACTIONS = frozenset(
    {
        "client.list",
        "client.view",
        "intake.view",
        "consent.view",
        "screening.view",
        "measure.view",
        "measure.record",
        "safety.acknowledge",
        "note.view",
        "note.write",
        "note.sign",
        "note.addendum",
        "course.view",
        "dosing.record",
        "alert.acknowledge",
    }
)
