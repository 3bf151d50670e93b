"""Program outcomes kept as aggregates, maintained in the transaction that stores each response.

``ClientMeasureState``: one row per client and instrument with the baseline (first) and latest
scored response and the client's cohort (the protocol of their latest course; "" without one).
``ProgramOutcome``: per organization x protocol x instrument, how many clients have a baseline, a
follow-up, met response and met remission. The program page reads these rows (a point lookup),
never a scan of responses. ``kapstone outcomes_rebuild`` recomputes both from the responses.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.models import Client


class ClientMeasureState(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    instrument_id = models.CharField(max_length=60)
    protocol_key = models.CharField(max_length=60, blank=True, help_text="'' when the client has no course.")
    responses = models.PositiveIntegerField(default=0, help_text="Scored responses (with a total).")
    baseline_total = models.FloatField()
    baseline_at = models.DateTimeField()
    baseline_response_id = models.BigIntegerField()
    latest_total = models.FloatField()
    latest_at = models.DateTimeField()
    latest_response_id = models.BigIntegerField()
    responder = models.BooleanField(default=False)
    remitter = models.BooleanField(default=False)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["client", "instrument_id"], name="outcomes_state_client_instr")
        ]
        indexes: ClassVar = [
            models.Index(fields=["organization", "instrument_id"], name="outcomes_state_org_instr"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} state of client {self.client_id}"


class ProgramOutcome(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    protocol_key = models.CharField(max_length=60, blank=True)
    instrument_id = models.CharField(max_length=60)
    with_baseline = models.IntegerField(default=0)
    with_followup = models.IntegerField(default=0)
    responders = models.IntegerField(default=0)
    remitters = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "protocol_key", "instrument_id"], name="outcomes_program_unique"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.protocol_key or 'no course'} x {self.instrument_id} (organization {self.organization_id})"
        )
