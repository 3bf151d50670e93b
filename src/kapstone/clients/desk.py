"""What the record adds to the client header (kapstone.shell.client_header): age, allergies, the
touch agreement as signed, and the next step before dosing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kapstone.access.policy import allows
from kapstone.clients.consent_selectors import open_consent
from kapstone.clients.hooks import dosing_readiness
from kapstone.clients.models import Client, Intake
from kapstone.core.actor import Actor
from kapstone.shell.client_header import HeaderFact, register_header


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _allergies(client: Client) -> HeaderFact:
    intake = (  # the three answers the fact shows, not the whole intake form
        Intake.objects.filter(client=client)
        .only("allergy_ketamine", "allergy_esketamine", "other_allergies")
        .first()
    )
    url = reverse("intake:detail", args=[client.pk])
    if intake is None:
        return HeaderFact("Allergies", "Not asked yet (no intake)", "warn", url, order=30)
    found = [
        name
        for name, yes in (("Ketamine", intake.allergy_ketamine), ("Esketamine", intake.allergy_esketamine))
        if yes
    ]
    if intake.other_allergies.strip():
        found.append(intake.other_allergies.strip())
    if found:
        return HeaderFact("Allergies", "; ".join(found), "alert", url, order=30)
    if intake.allergy_ketamine is None or intake.allergy_esketamine is None:
        return HeaderFact("Allergies", "Ketamine and esketamine not asked yet", "warn", url, order=30)
    return HeaderFact("Allergies", "None known", url=url, order=30)


def record_facts(actor: Actor, client: Any) -> list[HeaderFact]:
    if not allows(actor, "client.view"):
        return []
    facts = []
    if client.date_of_birth:
        facts.append(HeaderFact("Age", f"{age_on(client.date_of_birth, timezone.localdate())}", order=10))
    if allows(actor, "intake.view"):
        facts.append(_allergies(client))
    if allows(actor, "consent.view"):
        consent = open_consent(client)
        url = reverse("intake:consent", args=[client.pk])
        if consent is None:
            facts.append(HeaderFact("Touch", "No current consent", "warn", url, order=40))
        elif consent.touch:
            facts.append(
                HeaderFact(
                    "Touch", f"Agreed: {consent.touch_scope or 'as in the consent'}", url=url, order=40
                )
            )
        else:
            facts.append(HeaderFact("Touch", "Not agreed: no supportive touch", url=url, order=40))
    if allows(actor, "screening.view"):
        readiness = dosing_readiness(client)
        if readiness.ready:
            facts.append(HeaderFact("Before dosing", "Cleared and consented", order=60))
        else:
            facts.append(HeaderFact("Next step", readiness.missing[0], "warn", order=60))
    return facts


register_header(record_facts)
