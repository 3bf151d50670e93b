"""The plan of a synthetic load: how many of what, fictional names, and stable e-mail addresses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

GENERATOR_VERSION = "3"  # bump when the same seed would give other rows (keys the bench cache)
CLINICIANS_PER_ORG = 100
BENCH_CASELOAD = 200  # the first therapist of the first organization has exactly this many clients
PENDING_COSIGNS_PER_TRAINEE = 12  # a trainee's latest notes wait; earlier ones were co-signed
INSTRUMENTS = ("phq9", "gad7", "pcl5")
LEVELS = 16
VARIANTS = 8

GIVEN = (
    "Ash",
    "Bay",
    "Cove",
    "Dale",
    "Elm",
    "Fern",
    "Glen",
    "Heath",
    "Isle",
    "Jade",
    "Kestrel",
    "Lark",
    "Moss",
    "Nook",
    "Oak",
    "Pike",
    "Quill",
    "Reed",
    "Sage",
    "Tarn",
    "Umber",
    "Vale",
    "Wren",
    "Yarrow",
)
FAMILY = (
    "Sample",
    "Madeup",
    "Fictional",
    "Placeholder",
    "Testwood",
    "Notreal",
    "Synthetica",
    "Mockridge",
    "Pretendly",
    "Inventa",
    "Fakenham",
    "Dummett",
)
ROLE_SHARES = (("therapist", 0.6), ("prescriber", 0.1), ("supervisor", 0.1), ("trainee", 0.2))


@dataclass(frozen=True)
class Plan:
    clinicians: int
    clients: int
    responses_per_client: int
    seed: int = 1
    organizations: int = 0  # 0: one per CLINICIANS_PER_ORG clinicians
    dosing_per_client: float = 0.2
    anchor: date | None = None  # "today" of the data (default: today, UTC)

    @property
    def org_count(self) -> int:
        return self.organizations or max(1, math.ceil(self.clinicians / CLINICIANS_PER_ORG))

    @property
    def anchor_dt(self) -> datetime:
        day = self.anchor or datetime.now(UTC).date()
        return datetime(day.year, day.month, day.day, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as stored

    def scaled(self, clients: int) -> Plan:
        """A smaller plan of the same shape (for the raw-insert comparison)."""
        share = clients / self.clients if self.clients else 1
        return Plan(
            clinicians=max(len(ROLE_SHARES) + 1, round(self.clinicians * share)),
            clients=clients,
            responses_per_client=self.responses_per_client,
            seed=self.seed,
            organizations=max(1, round(self.org_count * share)),
            dosing_per_client=self.dosing_per_client,
            anchor=self.anchor,
        )


def email_of(seed: int, role: str, org_no: int, n: int) -> str:
    return f"{role}-{n:04d}@org-{org_no:04d}.synth-{seed}.invalid"
