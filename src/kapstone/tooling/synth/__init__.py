"""Synthetic data at scale, for benchmarks and load tests: ``kapstone synth``.

Obviously fictional (names from a small pool of made-up words, addresses under ``.invalid``), and
deterministic for a seed and an anchor date. Fills organizations, clinicians (therapists, prescribers,
supervisors, trainees and an admin per organization), clients with care teams, courses on the shipped
protocols, dosing sessions with their dose and 24 vitals readings, questionnaire responses with
plausible trajectories (responders improve, others drift), safety tasks for flagged responses, measure
schedules, trainees' notes waiting for a co-sign, and the program-outcome aggregates (folded with the
application's own ``kapstone.outcomes.core``).

Rows are written by the fastest path each database offers: SQLite ``executemany`` in large
transactions, PostgreSQL ``COPY ... FROM STDIN`` through psycopg. Answers and results come from a
pool scored once by the real scoring core, so generation costs little beside the insert; the
``compare_raw`` check times the generator against a raw insert of the very same rows through the
driver (the same run, printed as a ratio).
"""

from kapstone.tooling.synth.plan import (
    BENCH_CASELOAD,
    CLINICIANS_PER_ORG,
    FAMILY,
    GENERATOR_VERSION,
    GIVEN,
    PENDING_COSIGNS_PER_TRAINEE,
    Plan,
    email_of,
)
from kapstone.tooling.synth.run import Report, compare_raw, describe, load

__all__ = [
    "BENCH_CASELOAD",
    "CLINICIANS_PER_ORG",
    "FAMILY",
    "GENERATOR_VERSION",
    "GIVEN",
    "PENDING_COSIGNS_PER_TRAINEE",
    "Plan",
    "Report",
    "compare_raw",
    "describe",
    "email_of",
    "load",
]
